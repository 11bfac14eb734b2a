{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

-- The same event (repo, path, action) counts once: the first copy landed wins, across batches too.

with

batch as (
    select * from {{ ref('stg_bronze__lines') }}
    where line_kind = 'event' and {{ in_batch() }}
),

first_in_batch as (
    select * from batch
    qualify row_number() over (partition by event_key order by file_seq, line_no) = 1
),

{% if is_incremental() %}
seen_before as (
    -- Probe the history with the batch's keys only.
    select event_key from {{ this }}
    where event_key in (select first_in_batch.event_key from first_in_batch)
),
{% endif %}

final as (
    select
        file_seq,
        line_no,
        landed_at,
        event_key,
        repo,
        collection,
        record_key,
        action,
        event_at,
        subject_uri,
        post_text,
        post_languages
    from first_in_batch
    {% if is_incremental() %}
    where event_key not in (select seen_before.event_key from seen_before)
    {% endif %}
)

select * from final
