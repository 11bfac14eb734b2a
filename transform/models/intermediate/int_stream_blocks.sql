{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

-- Stream time, block by block (macros/stream_time.sql): the lines of the input are cut into blocks of
-- stream_time_block_lines by their place in it, and each block gets its floor, the newest event time
-- of the blocks before it. An event's stream time is the larger of its block's floor and its own
-- time. A block's floor depends only on earlier blocks, so a block is written once, when its first
-- line is staged, whichever refresh that is.

{%- set clock = stream_clock() %}
{%- set block_lines = var('stream_time_block_lines') %}

with

lines as (
    select
        line_ordinal,
        line_kind,
        event_at
    from {{ ref('stg_bronze__lines') }}
    where {{ in_batch() }}
),

blocks as (
    select
        {{ integer_divide('line_ordinal', block_lines) }} as block_no,
        max(event_at) filter (where line_kind = 'event') as newest_at
    from lines
    group by block_no
),

floors as (
    -- The block where the batch starts already has its floor when an earlier batch started it.
    select
        block_no,
        case
            when block_no = {{ clock.lines_through // block_lines }} then {{ clock.floor_at }}
            else greatest(
                {{ clock.newest_at }},
                max(newest_at) over (order by block_no rows between unbounded preceding and 1 preceding)
            )
        end as floor_at
    from blocks
),

final as (
    select
        block_no,
        floor_at
    from floors
    where block_no * {{ block_lines }} >= {{ clock.lines_through }}
)

select * from final
