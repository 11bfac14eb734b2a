-- For the events of this run's batch: two counted copies of one event are more than the dedup
-- window apart, and every repeat has an earlier copy at most the window before it.
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
        lag(stream_at) over (partition by event_key order by file_seq, line_no) as previous_copy_at,
        max(case when is_counted then stream_at end) over (
            partition by event_key order by file_seq, line_no rows between unbounded preceding and 1 preceding
        ) as previous_counted_at
    from copies
    where event_key in (select batch_keys.event_key from batch_keys)
)

select *
from ordered
where
    {{ tested_batch() }}
    and (
        (is_counted and stream_at - previous_counted_at <= {{ window }})
        or (not is_counted and (previous_copy_at is null or stream_at - previous_copy_at > {{ window }}))
    )
