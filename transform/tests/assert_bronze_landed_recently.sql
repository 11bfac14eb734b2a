-- Warns when the newest bronze file landed more than 10 minutes ago: is handle-stream still fed?
-- (The same check as `dbt source freshness` on bronze, at the cost of reading one file.)
{{ config(severity='warn') }}

with

newest_file as (
    select max(landed_at) as landed_at
    from {{ bronze_lines(source('bronze', 'events'), [bronze_through_seq() - 1, 0] | max, bronze_through_seq()) }}
)

select landed_at
from newest_file
where landed_at < current_timestamp - interval 10 minutes
