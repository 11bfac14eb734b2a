-- Every fast liker made at least 50 likes within one window [t, t + 60 s).
select *
from {{ ref('fast_likers') }}
where likes < 50
