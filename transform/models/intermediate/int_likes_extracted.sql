{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where collection = 'app.bsky.feed.like' and action = 'create' and {{ in_batch() }}
),

final as (
    select
        file_seq,
        'at://' || repo || '/' || collection || '/' || record_key as like_uri,
        repo as liker_did,
        event_at as liked_at,
        subject_uri as post_uri
    from events
)

select * from final
