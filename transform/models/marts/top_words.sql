{{ config(materialized='table') }}

-- The 10 meaningful words used by the most posts that mention "engineering". Ties by word.
-- A full aggregate on purpose: it reads only the (post, word) pairs of engineering posts, a small
-- share of all posts, and stays exact whatever the history.

with

post_words as (
    select * from {{ ref('int_post_words_tokenized') }}
),

final as (
    select
        word,
        count(*) as posts
    from post_words
    group by word
    order by posts desc, word asc
    limit 10
)

select * from final
