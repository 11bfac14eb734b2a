-- For the events of this run's batch: a copy is counted exactly when no earlier copy of its event
-- (in the window's history or the batch) has a stream time at most the dedup window before its own.
{%- set window = "interval '" ~ var('dedup_window_hours') ~ " hours'" %}

with

copies as (
    select * from {{ ref('int_event_copies_tracked') }}
),

batch_keys as (
    select distinct event_key from copies
    where {{ tested_batch() }}
),

ordered as (
    select
        event_key,
        file_seq,
        line_no,
        is_counted,
        stream_at,
        max(stream_at) over (
            partition by event_key order by file_seq, line_no rows between unbounded preceding and 1 preceding
        ) as newest_earlier_copy_at
    from copies
    where event_key in (select batch_keys.event_key from batch_keys)
)

select *
from ordered
where
    {{ tested_batch() }}
    and is_counted != (newest_earlier_copy_at is null or newest_earlier_copy_at < stream_at - {{ window }})
