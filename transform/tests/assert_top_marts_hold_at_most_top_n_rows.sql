-- The two top-N marts hold at most top_n rows each.
select
    'top_words' as mart,
    count(*) as row_count
from {{ ref('top_words') }}
having count(*) > {{ var('top_n') }}
union all
select
    'trending_posts' as mart,
    count(*) as row_count
from {{ ref('trending_posts') }}
having count(*) > {{ var('top_n') }}
