-- For the events of this run's batch: a copy is counted exactly when no earlier copy of its event
-- (in the window's history or the batch) has a stream time at most the dedup window before its own.
{%- set window = "interval '" ~ var('dedup_window_hours') ~ " hours'" %}

with

copies as {{ not_materialized() }} (
    select * from {{ ref('int_event_copies_tracked') }}
),

batch as (
    select
        event_key,
        file_seq,
        line_no,
        is_counted,
        stream_at
    from copies
    where {{ tested_batch() }}
),

history as (
    -- The newest copy before the batch of each of its events (only the columns needed are read).
    select
        event_key,
        max(stream_at) as stream_at
    from copies
    where not ({{ tested_batch() }}) and event_key in (select batch.event_key from batch)
    group by event_key
),

judged as (
    select
        batch.is_counted,
        batch.stream_at,
        greatest(
            history.stream_at,
            max(batch.stream_at) over (
                partition by batch.event_key
                order by batch.file_seq, batch.line_no
                rows between unbounded preceding and 1 preceding
            )
        ) as newest_earlier_copy_at
    from batch
    left join history on batch.event_key = history.event_key
)

select *
from judged
where is_counted != (newest_earlier_copy_at is null or newest_earlier_copy_at < stream_at - {{ window }})
