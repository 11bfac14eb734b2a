{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='word',
    post_hook="{{ save_watermark() }}",
) }}

-- For each meaningful word, the number of posts using the required word that use it. Each post is
-- counted once, in the batch that brought it, so a word touched again is its old count plus the
-- batch's: the top words never re-read the posts of earlier batches.

with

new_words as (
    select * from {{ ref('int_post_words_tokenized') }}
    where {{ in_batch() }}
),

batch_counts as (
    select
        word,
        count(*) as posts
    from new_words
    group by word
),

{% if is_incremental() %}
previous_counts as (
    select * from {{ this }}
    where word in (select batch_counts.word from batch_counts)
),
{% endif %}

final as (
    select
        batch_counts.word,
        (batch_counts.posts {% if is_incremental() %}+ coalesce(previous_counts.posts, 0){% endif %})::bigint as posts
    from batch_counts
    {% if is_incremental() %}
    left join previous_counts on batch_counts.word = previous_counts.word
    {% endif %}
)

select * from final
