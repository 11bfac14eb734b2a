-- No event of this run's batch is also in silver from an earlier batch (nor twice in the batch).
with

events as (
    select * from {{ ref('int_events_deduplicated') }}
),

batch_keys as (
    select event_key from events
    where {{ tested_batch() }}
)

select
    event_key,
    count(*) as copies
from events
where event_key in (select batch_keys.event_key from batch_keys)
group by event_key
having count(*) > 1
