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

blocks as (
    -- The batch's blocks of stream time only, as a constant (zonemaps skip the older ones).
    select * from {{ ref('int_stream_blocks') }}
    where block_no >= {{ stream_clock().lines_through // var('stream_time_block_lines') }}
),

final as (
    select
        events.file_seq,
        events.repo as liker_did,
        events.event_at as liked_at,
        case when {{ is_post_uri('events.subject_uri') }} then events.subject_uri end as post_uri,
        -- A like further behind its stream time than the horizon counts in its minute, but not in
        -- fast likers: the likes around it may already be forgotten. (Its stream time is its block's
        -- floor or its own time, so this compares the like with its block's floor.)
        events.event_at < {{ stream_time('events.event_at', 'blocks.floor_at') }}
        - interval '{{ var("like_lateness_hours") }} hours' as is_late
    from events
    inner join blocks on {{ integer_divide('events.line_ordinal', var('stream_time_block_lines')) }} = blocks.block_no
    -- In landing order, which the join does not keep: then each row group holds a stretch of time,
    -- and the zonemaps of liked_at let fast likers and trending skip the rest (at 20 M events of
    -- history, fast_likers' nearby likes scanned half of silver's likes as inserted out of order).
    order by events.file_seq, events.line_no
)

select * from final
