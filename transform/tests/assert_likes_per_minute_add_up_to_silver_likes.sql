-- The per-minute counts add up to the number of likes in silver: no like lost or counted twice.
with

per_minute as (
    select coalesce(sum(likes), 0) as likes from {{ ref('likes_per_minute') }}
),

silver as (
    select count(*) as likes from {{ ref('int_likes_extracted') }}
)

select
    per_minute.likes as likes_per_minute_total,
    silver.likes as silver_likes
from per_minute, silver
where per_minute.likes != silver.likes
