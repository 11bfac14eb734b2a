{{ config(
    materialized='incremental',
    pre_hook="{{ forget_copies_behind_the_dedup_window() }}",
    post_hook="{{ save_watermark() }}",
) }}

-- Every copy of every event (repo, path, action) landed within the dedup window, in landing order,
-- with its stream time and whether it counts. A copy is a repeat when an earlier copy of the same
-- event has a stream time at most dedup_window_hours before its own (or after it); otherwise it
-- counts. Copies further back can never make a later copy a repeat, so they are forgotten (the
-- pre-hook).

with

events as (
    select
        staged.file_seq,
        staged.line_no,
        staged.event_key,
        {{ stream_time('staged.event_at', 'blocks.floor_at') }} as stream_at
    from {{ ref('stg_bronze__lines') }} as staged
    inner join {{ ref('int_stream_blocks') }} as blocks
        on {{ integer_divide('staged.line_ordinal', var('stream_time_block_lines')) }} = blocks.block_no
    where
        staged.line_kind = 'event' and {{ in_batch('staged.file_seq') }}
        -- The batch's blocks only, as a constant (zonemaps skip the older ones).
        and blocks.block_no >= {{ stream_clock().lines_through // var('stream_time_block_lines') }}
),

-- Copies are rare, so the batch is not sorted or partitioned whole: the keys seen more than once are
-- found by grouping (first on a 64-bit hash of the key, cheaper; then exactly, among those
-- candidates), and only their copies are ranked.
repeated_hashes as (
    select {{ key_hash('event_key') }} as key_hash
    from events
    group by key_hash
    having count(*) > 1
),

repeated_in_batch as (
    select event_key
    from events
    where {{ key_hash('event_key') }} in (select repeated_hashes.key_hash from repeated_hashes)
    group by event_key
    having count(*) > 1
),

{% if is_incremental() %}
seen_before as (
    -- The window's history, probed with the batch's keys only: for each, its newest earlier copy.
    select
        event_key,
        max(stream_at) as stream_at
    from {{ this }}
    where event_key in (select events.event_key from events)
    group by event_key
),
{% endif %}

copies as (
    select events.*
    from events
    where
        events.event_key in (select repeated_in_batch.event_key from repeated_in_batch)
        {% if is_incremental() %}
        or events.event_key in (select seen_before.event_key from seen_before)
        {% endif %}
),

with_previous as (
    select
        copies.file_seq,
        copies.line_no,
        greatest(
            max(copies.stream_at) over (
                partition by copies.event_key
                order by copies.file_seq, copies.line_no
                rows between unbounded preceding and 1 preceding
            ),
            {{ 'seen_before.stream_at' if is_incremental() else 'null' }}
        ) as previous_copy_at
    from copies
    {% if is_incremental() %}
    left join seen_before on copies.event_key = seen_before.event_key
    {% endif %}
),

final as (
    select
        events.file_seq,
        events.line_no,
        events.event_key,
        events.stream_at,
        (
            with_previous.previous_copy_at is null
            or events.stream_at - with_previous.previous_copy_at > interval '{{ var("dedup_window_hours") }} hours'
        ) as is_counted
    from events
    left join with_previous
        on events.file_seq = with_previous.file_seq and events.line_no = with_previous.line_no
)

select * from final
