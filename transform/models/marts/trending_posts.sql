{{ config(materialized='table') }}

-- The 10 posts with the most likes in the last 60 minutes of event time, counted back from the
-- newest event seen (of any kind). Ties by post_uri.

{% set newest_query %}
    select max(event_at)::varchar from {{ ref('int_events_deduplicated') }}
{% endset %}
{% set newest_at = run_query(newest_query).columns[0].values()[0] if execute else none %}

with

likes as (
    select * from {{ ref('int_likes_extracted') }}
),

recent_likes as (
    select post_uri from likes
    {% if newest_at is not none %}
        where
            post_uri is not null
            and liked_at > '{{ newest_at }}'::timestamp - interval 60 minutes
            and liked_at <= '{{ newest_at }}'::timestamp
    {% else %}
    where false
    {% endif %}
),

final as (
    select
        post_uri,
        count(*) as likes
    from recent_likes
    group by post_uri
    order by likes desc, post_uri asc
    limit 10
)

select * from final
