{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='liker_did',
    post_hook="{{ save_watermark() }}",
) }}

-- Users whose peak number of likes in a window [t, t + 60 s) reached 50.
-- A user's peak can only change through windows holding one of the batch's likes, and such a window
-- starts at one of their likes within 60 s before a new like: only those likes are read again.

{% set bounds = batch_bounds(ref('int_likes_extracted'), 'liked_at') %}

with

likes as not materialized (
    -- Read where used: referenced twice, DuckDB would otherwise spill the whole table to a temporary
    -- result first (filtered only by an OR of the two uses' filters, which no zonemap can skip).
    select * from {{ ref('int_likes_extracted') }}
),

new_likes as (
    select * from likes
    where {{ in_batch() }}
),

affected_users as (
    select
        liker_did,
        min(liked_at) - interval 60 seconds as reach_from,
        max(liked_at) + interval 60 seconds as reach_to
    from new_likes
    group by liker_did
),

nearby_likes as (
    select
        likes.liker_did,
        likes.liked_at
    from likes
    inner join affected_users on likes.liker_did = affected_users.liker_did
    where
        likes.liked_at > affected_users.reach_from
        and likes.liked_at < affected_users.reach_to
    {% if bounds is not none %}
        -- The same bounds as constants, so whole row groups of older likes are skipped.
        and likes.liked_at > {{ bounds.min }}::timestamp - interval 60 seconds
        and likes.liked_at < {{ bounds.max }}::timestamp + interval 60 seconds
        {% endif %}
),

windows as (
    select
        liker_did,
        -- Likes in [liked_at, liked_at + 60 s): event times have microsecond precision.
        count(*) over (
            partition by liker_did
            order by liked_at
            range between current row and interval 59999999 microseconds following
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
where likes >= 50
