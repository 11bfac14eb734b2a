{#-
    Stream time: how far the input has got, measured by the input alone (docs/metrics.md).

    The lines of bronze, in landing order (file, then line), are numbered from 0 and cut into blocks
    of stream_time_block_lines. A line's stream time is the newest event time among the lines of
    the earlier blocks, or its own event time if that is newer. It depends on the input alone, never
    on when or in how many refreshes the lines arrived, and every later line's stream time is at least
    the stream floor: the newest event time of the blocks before the current one. Blocks, rather than
    a running maximum line by line, because a maximum per block is an aggregate (parallel, cheap)
    while a running maximum needs every line sorted (a fifth of staging's time, measured).

    The stream clock at a watermark: lines_through (lines numbered so far), newest_at (the newest
    event time so far: "the newest event seen") and floor_at (the stream floor), recorded with every
    watermark in silver.watermarks.
-#}

{#-
    The stream clock at this model's watermark, as SQL literals; at nothing landed (0, null, null)
    when the model starts from nothing (a full refresh, a first run).
-#}
{% macro stream_clock() %}
    {%- if not starts_at_watermark() -%}
        {{ return({'lines_through': 0, 'newest_at': 'null::timestamp', 'floor_at': 'null::timestamp'}) }}
    {%- endif -%}
    {{ return(stream_clock_of(this.identifier)) }}
{% endmacro %}

{#- The stream clock where staging's last run stopped: after its run, the clock at bronze_through_seq. -#}
{% macro current_stream_clock() %}
    {{ return(stream_clock_of('stg_bronze__lines')) }}
{% endmacro %}

{% macro stream_clock_of(model_name) %}
    {%- set query -%}
        select
            coalesce(max(lines_through), 0),
            max(newest_event_at)::varchar,
            max(stream_floor_at)::varchar
        from silver.watermarks
        where model_name = '{{ model_name }}'
    {%- endset -%}
    {%- set row = run_query(query).rows[0] if execute else [0, none, none] -%}
    {{ return({
        'lines_through': row[0] | int,
        'newest_at': timestamp_literal(row[1]),
        'floor_at': timestamp_literal(row[2]),
    }) }}
{% endmacro %}

{% macro timestamp_literal(text) -%}
    {{ return("null::timestamp" if text is none else "timestamp '" ~ text ~ "'") }}
{%- endmacro %}

{#-
    Staging's post-hook: the stream clock after the lines staging has just staged (its rows numbered
    from the clock at its watermark on), as one row (lines_through, newest_event_at, stream_floor_at).
-#}
{% macro stream_clock_after_staging() %}
    {%- set before = stream_clock() -%}
    {%- set block_lines = var('stream_time_block_lines') -%}
    with batch as (
        select line_ordinal, event_at from {{ this }}
        where line_ordinal >= {{ before.lines_through }}
    ),

    ends as (
        select coalesce(max(line_ordinal) + 1, {{ before.lines_through }}) as lines_through from batch
    )

    select
        ends.lines_through,
        greatest({{ before.newest_at }}, (select max(batch.event_at) from batch)) as newest_event_at,
        case
            when ends.lines_through // {{ block_lines }} > {{ before.lines_through // block_lines }}
                then greatest(
                    {{ before.newest_at }},
                    (
                        select max(batch.event_at) from batch
                        where batch.line_ordinal < ends.lines_through // {{ block_lines }} * {{ block_lines }}
                    )
                )
            else {{ before.floor_at }}
        end as stream_floor_at
    from ends
{% endmacro %}
