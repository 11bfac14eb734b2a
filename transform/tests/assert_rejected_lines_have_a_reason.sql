-- Every rejected line of this run's batch carries its reason and its bytes; no event has a reason.
select *
from {{ ref('stg_bronze__lines') }}
where
    file_seq > {{ env_var('BLUESKY_TESTS_AFTER_SEQ', '0') }}
    and ((line_kind = 'rejected') != (reject_reason is not null) or (line_kind = 'rejected' and rejected_line is null))
