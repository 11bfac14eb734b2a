-- Each minute this run's batch of likes touched holds exactly the likes silver has for it (no like
-- lost or counted twice), for the minutes silver still holds whole (it forgets likes beyond the
-- lateness horizon).
{%- set ranges = batch_time_ranges(ref('int_likes_extracted'), 'liked_at', 0, tested_batch()) %}

with

likes as {{ not_materialized() }} (
    select * from {{ ref('int_likes_extracted') }}
),

silver_minutes as (
    {%- for range in ranges %}
    select
        date_trunc('minute', liked_at) as minute_at,
        count(*) as likes
    from likes
    where liked_at >= {{ range.start }} and liked_at < {{ range.end }}
    group by minute_at
    union all
    {%- endfor %}
    select
        null::timestamp as minute_at,
        0 as likes
    from likes
    where false
),

held_whole as (
    -- Silver forgets likes before (stream floor at its last run - horizon - one fast-liker window);
    -- the stream floor now is at least that, so the minutes from there on are whole.
    select * from silver_minutes
    where
        minute_at >= {{ current_stream_clock().floor_at }}
        - interval '{{ var("like_lateness_hours") }} hours'
        - interval '{{ var("fast_liker_window_seconds") }} seconds'
)

select
    held_whole.minute_at,
    held_whole.likes as silver_likes,
    likes_per_minute.likes as counted_likes
from held_whole
left join {{ ref('likes_per_minute') }} as likes_per_minute on held_whole.minute_at = likes_per_minute.minute_at
where likes_per_minute.likes is distinct from held_whole.likes
