-- Every fast liker made at least fast_liker_min_likes likes within one window.
select *
from {{ ref('fast_likers') }}
where likes < {{ var('fast_liker_min_likes') }}
