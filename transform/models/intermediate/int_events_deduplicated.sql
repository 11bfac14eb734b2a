{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

-- The same event (repo, path, action) counts once: the first copy landed wins, across batches too.

with

batch as not materialized (
    -- Read where used (not spilled to a temporary table: that cost more than the reads).
    select * from {{ ref('stg_bronze__lines') }}
    where line_kind = 'event' and {{ in_batch() }}
),

-- Copies are rare, so the batch is not sorted or partitioned: the keys seen more than once are found
-- by grouping (first on a 64-bit hash of the key, cheaper; then exactly, among those candidates),
-- and the batch passes through a join with them in landing order. A full build of 10M events: 19 s
-- with a window (row_number over each key) -> 11 s, about what writing the rows costs.
repeated_hashes as (
    select hash(event_key) as key_hash
    from batch
    group by key_hash
    having count(*) > 1
),

repeated_keys as (
    select
        event_key,
        min((file_seq, line_no)) as first_copy
    from batch
    where hash(event_key) in (select repeated_hashes.key_hash from repeated_hashes)
    group by event_key
    having count(*) > 1
),

first_in_batch as (
    select batch.* from batch
    left join repeated_keys on batch.event_key = repeated_keys.event_key
    where repeated_keys.event_key is null or (batch.file_seq, batch.line_no) = repeated_keys.first_copy
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
