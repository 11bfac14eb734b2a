{{ config(materialized='table') }}

-- The top_n meaningful words used by the most posts that use the required word ("engineering").
-- Ties by word.

with

word_counts as (
    select * from {{ ref('int_words_counted') }}
),

final as (
    select
        word,
        posts
    from word_counts
    order by posts desc, word asc
    limit {{ var('top_n') }}
)

select * from final
