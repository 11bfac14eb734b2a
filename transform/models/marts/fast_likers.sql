{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='liker_did',
    post_hook="{{ save_watermark() }}",
) }}

-- Users whose peak number of likes in one window [t, t + fast_liker_window_seconds) reached
-- fast_liker_min_likes. Late likes (int_likes_extracted.is_late) are left out.
-- A user's peak can only change through windows holding one of the batch's likes, and such a window
-- starts at one of their likes at most one window before a new like: only those likes are read again.

{%- set window_seconds = var('fast_liker_window_seconds') %}
{%- set ranges = batch_time_ranges(ref('int_likes_extracted'), 'liked_at', window_seconds, 'not is_late') %}

with

likes as {{ not_materialized() }} (
    -- Read where used: referenced twice, DuckDB would otherwise spill the whole table to a temporary
    -- result first (filtered only by an OR of the two uses' filters, which no zonemap can skip).
    select * from {{ ref('int_likes_extracted') }}
    where not is_late
),

new_likes as (
    select * from likes
    where {{ in_batch() }}
),

affected_users as (
    select distinct liker_did
    from new_likes
),

likes_near_the_batch as (
    {%- for range in ranges %}
    select
        liker_did,
        liked_at
    from likes
    where liked_at > {{ range.start }} and liked_at < {{ range.end }}
    union all
    {%- endfor %}
    select
        liker_did,
        liked_at
    from likes
    where false
),

nearby_likes as (
    select
        likes_near_the_batch.liker_did,
        likes_near_the_batch.liked_at
    from likes_near_the_batch
    inner join affected_users on likes_near_the_batch.liker_did = affected_users.liker_did
),

windows as (
    select
        liker_did,
        -- Likes in [liked_at, liked_at + window): event times have microsecond precision.
        count(*) over (
            partition by liker_did
            order by liked_at
            range between current row and interval '{{ window_seconds * 1000000 - 1 }} microseconds' following
        ) as likes_in_window
    from nearby_likes
),

batch_peaks as (
    select
        liker_did,
        max(likes_in_window) as likes
    from windows
    group by liker_did
),

{% if is_incremental() %}
previous_peaks as (
    select * from {{ this }}
    where liker_did in (select affected_users.liker_did from affected_users)
),
{% endif %}

final as (
    select
        batch_peaks.liker_did,
        {% if is_incremental() %}
        greatest(batch_peaks.likes, coalesce(previous_peaks.likes, 0)) as likes
        {% else %}
            batch_peaks.likes
        {% endif %}
    from batch_peaks
    {% if is_incremental() %}
    left join previous_peaks on batch_peaks.liker_did = previous_peaks.liker_did
    {% endif %}
)

select * from final
where likes >= {{ var('fast_liker_min_likes') }}
