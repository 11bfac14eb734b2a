{{ config(materialized='view') }}

-- Silver posts (create on app.bsky.feed.post) with their text, languages and rich-text facets. A
-- view over the staged events: the marts need a post's words, not its text.

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
        {{ primary_language_subtags('post_languages') }} as languages,
        post_facets as facets
    from events
)

select * from final
