{{ config(
    materialized='incremental',
    pre_hook="{{ forget_likes_behind_the_lateness_horizon() }}",
    post_hook="{{ save_watermark() }}",
) }}

-- Silver likes (create on app.bsky.feed.like), one row per like, kept for the like lateness horizon:
-- fast likers and trending posts never look further back. post_uri is the liked post only when the
-- subject is a valid AT-URI of an app.bsky.feed.post record (likes also name feed generators, and
-- record content is whatever the user's client wrote); the like counts as a like either way.

with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where collection = 'app.bsky.feed.like' and action = 'create' and {{ in_batch() }}
),

final as (
    select
        file_seq,
        repo as liker_did,
        event_at as liked_at,
        case when {{ is_post_uri('subject_uri') }} then subject_uri end as post_uri,
        -- A like landing further behind the stream than the horizon counts in its minute, but not
        -- in fast likers: the likes around it may already be forgotten.
        event_at < stream_at - interval '{{ var("like_lateness_hours") }} hours' as is_late
    from events
)

select * from final
