{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where collection = 'app.bsky.feed.post' and action = 'create' and {{ in_batch() }}
),

final as (
    select
        file_seq,
        'at://' || repo || '/' || collection || '/' || record_key as post_uri,
        repo as author_did,
        event_at as posted_at,
        coalesce(post_text, '') as post_text,
        -- Language tags reduced to their primary subtag: en-US -> en.
        list_transform(
            coalesce(json_extract_string(post_languages, '$[*]'), []),
            lambda tag: lower(split_part(tag, '-', 1))
        ) as languages
    from events
)

select * from final
