{{ config(materialized='view') }}

-- The dead-letter store: every rejected line, its reason and its bytes as received.

with

lines as (
    select * from {{ ref('stg_bronze__lines') }}
),

final as (
    select
        file_seq,
        line_no,
        landed_at,
        reject_reason,
        rejected_line
    from lines
    where line_kind = 'rejected'
)

select * from final
