-- Every rejected line of this run's batch carries its reason and its bytes; no event has a reason.
select *
from {{ ref('stg_bronze__lines') }}
where
    {{ tested_batch() }}
    and ((line_kind = 'rejected') != (reject_reason is not null) or (line_kind = 'rejected' and rejected_line is null))
