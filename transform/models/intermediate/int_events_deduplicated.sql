{{ config(materialized='view') }}

-- The staged events, each once: the copies that count (int_event_copies_tracked decides), with
-- every field the marts use. A view: its readers take their own batch from it, and what it holds
-- is staging's, which is kept only until every model has read it.

with

events as (
    select * from {{ ref('stg_bronze__lines') }}
    where line_kind = 'event' and {{ in_batch() }}
),

repeats as (
    select
        file_seq,
        line_no
    from {{ ref('int_event_copies_tracked') }}
    where not is_counted and {{ in_batch() }}
),

final as (
    select
        events.file_seq,
        events.line_no,
        events.line_ordinal,
        events.landed_at,
        events.event_key,
        events.repo,
        events.collection,
        events.record_key,
        events.action,
        events.event_at,
        events.subject_uri,
        events.post_text,
        events.post_languages,
        events.post_facets
    from events
    left join repeats on events.file_seq = repeats.file_seq and events.line_no = repeats.line_no
    where repeats.file_seq is null
)

select * from final
