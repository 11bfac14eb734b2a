-- The two top-10 marts hold at most 10 rows each.
select
    'top_words' as mart,
    count(*) as row_count
from {{ ref('top_words') }}
having count(*) > 10
union all
select
    'trending_posts' as mart,
    count(*) as row_count
from {{ ref('trending_posts') }}
having count(*) > 10
