{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='minute_at',
    post_hook="{{ save_watermark() }}",
) }}

-- Likes per minute of event time. Each like is counted once, in the batch that brought it, so a
-- minute touched again (late likes) is its previous count plus the batch's.

with

new_likes as (
    select * from {{ ref('int_likes_extracted') }}
    where {{ in_batch() }}
),

batch_counts as (
    select
        date_trunc('minute', liked_at) as minute_at,
        count(*) as likes
    from new_likes
    group by minute_at
),

{% if is_incremental() %}
previous_counts as (
    select
        minute_at,
        likes
    from {{ this }}
    where minute_at in (select batch_counts.minute_at from batch_counts)
),
{% endif %}

final as (
    select
        minute_at,
        sum(likes)::bigint as likes
    from (
        select
            minute_at,
            likes
        from batch_counts
        {% if is_incremental() %}
        union all
        select
            minute_at,
            likes
        from previous_counts
        {% endif %}
    )
    group by minute_at
)

select * from final
