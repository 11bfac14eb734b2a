{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}
-- depends_on: {{ ref('int_stream_blocks') }}

-- The dead-letter store: every rejected line, its reason and its bytes as received.

with

lines as (
    select * from {{ ref('stg_bronze__lines') }}
    where line_kind = 'rejected' and {{ in_batch() }}
),

final as (
    select
        file_seq,
        line_no,
        landed_at,
        reject_reason,
        rejected_line
    from lines
)

select * from final
