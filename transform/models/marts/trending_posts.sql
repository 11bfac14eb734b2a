{{ config(materialized='table') }}

-- The top_n posts with the most likes in the last trending_window_minutes of event time, counted
-- back from the newest event seen (of any kind). Ties by post_uri.

with

window_counts as (
    select * from {{ ref('int_post_likes_windowed') }}
),

final as (
    select
        post_uri,
        likes
    from window_counts
    order by likes desc, post_uri asc
    limit {{ var('top_n') }}
)

select * from final
