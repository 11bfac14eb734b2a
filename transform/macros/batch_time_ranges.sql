{#-
    The stretches of `column` time that this run's batch of `relation` (rows matching `where`) covers,
    widened by `margin_seconds` on each side, as disjoint [start, end) pairs of SQL timestamp literals:
    minute by minute, merged where the widened stretches would touch. Models read history through
    one constant range each (a union, not an or: DuckDB's zonemaps skip row groups for a range, not
    for an or of ranges), so a few late rows in a batch do not make a refresh read the hours between.
-#}
{% macro batch_time_ranges(relation, column, margin_seconds, where='true') %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        with minutes as (
            select distinct date_trunc('minute', {{ column }}) as minute_at
            from {{ relation }}
            where {{ in_batch() }} and {{ where }}
        ),
        starts as (
            select
                minute_at,
                coalesce(
                    minute_at - lag(minute_at) over (order by minute_at)
                    > interval '1 minute' + 2 * interval '{{ margin_seconds }} seconds',
                    true
                ) as starts_range
            from minutes
        ),
        numbered as (
            select minute_at, sum(starts_range::int) over (order by minute_at) as range_no from starts
        )
        select
            cast(min(minute_at) - interval '{{ margin_seconds }} seconds' as {{ string_type() }}),
            cast(max(minute_at) + interval '1 minute' + interval '{{ margin_seconds }} seconds' as {{ string_type() }})
        from numbered
        group by range_no
        order by 1
    {%- endset -%}
    {%- set ranges = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do ranges.append({'start': "timestamp '" ~ row[0] ~ "'", 'end': "timestamp '" ~ row[1] ~ "'"}) -%}
    {%- endfor -%}
    {{ return(ranges) }}
{% endmacro %}
