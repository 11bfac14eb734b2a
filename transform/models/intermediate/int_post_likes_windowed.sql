{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='post_uri',
    forget_rows_where='likes = 0',
    post_hook=["{{ forget_rows() }}", "{{ save_watermark() }}"],
) }}

-- For each post, its likes in the trending window: the trending_window_minutes of event time that
-- end at the newest event seen (of any kind), (newest - window, newest]. Kept as
-- it slides: a refresh adds the batch's likes that fall in the new window and takes away the earlier
-- likes that the window has moved past, so it reads the batch and the slice the window left, never
-- an hour of likes.

{%- if var('like_lateness_hours') * 60 < var('trending_window_minutes') %}
    {{ exceptions.raise_compiler_error("like_lateness_hours must cover trending_window_minutes: the likes leaving the window must still be in silver") }}
{%- endif %}
{%- set window = "interval '" ~ var('trending_window_minutes') ~ " minutes'" %}
{%- set window_end = current_stream_clock().newest_at %}
{%- set previous_end = stream_clock().newest_at %}

with

likes as {{ not_materialized() }} (  -- read twice: materialised, it would copy every like in silver
    select * from {{ ref('int_likes_extracted') }}
    where post_uri is not null
),

entered as (
    select
        post_uri,
        count(*) as likes
    from likes
    where
        {{ in_batch() }}
        and liked_at > {{ window_end }} - {{ window }}
        and liked_at <= {{ window_end }}
    group by post_uri
),

{% if is_incremental() %}
left_behind as (
    -- Earlier likes that were in the window where it ended before and are behind where it ends now.
    select
        post_uri,
        count(*) as likes
    from likes
    where
        file_seq <= {{ watermark() }}
        and liked_at > {{ previous_end }} - {{ window }}
        and liked_at <= {{ window_end }} - {{ window }}
    group by post_uri
),

previous_counts as (
    select * from {{ this }}
    where
        post_uri in (select entered.post_uri from entered)
        or post_uri in (select left_behind.post_uri from left_behind)
),
{% endif %}

final as (
    select
        post_uri,
        sum(likes)::bigint as likes
    from (
        select
            post_uri,
            likes
        from entered
        {% if is_incremental() %}
        union all
        select
            post_uri,
            -likes as likes
        from left_behind
        union all
        select
            post_uri,
            likes
        from previous_counts
        {% endif %}
    ) as changes
    group by post_uri
)

select * from final
