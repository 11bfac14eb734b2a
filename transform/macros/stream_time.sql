{#-
    Stream time: how far the input has got, measured by the input alone (docs/metrics.md).

    The lines of bronze, in landing order (file, then line), are numbered from 0 (staging's
    line_ordinal) and cut into blocks of stream_time_block_lines. A line's stream time is the newest
    event time among the lines of the earlier blocks, or its own event time if that is newer. It
    depends on the input alone, never on when or in how many refreshes the lines arrived, and every
    later line's stream time is at least the stream floor: the newest event time of the blocks before
    the current one. Blocks, rather than a running maximum line by line, because a maximum per block
    is an aggregate (parallel, cheap) while a running maximum needs every line sorted.

    The stream clock at a watermark: lines_through (lines numbered so far), newest_at (the newest
    event time so far: "the newest event seen") and floor_at (the stream floor). int_stream_blocks
    computes it, staging counts the lines, and every model records it with its watermark in
    silver.watermarks.
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

{#- The stream clock at bronze_through_seq, once int_stream_blocks has run. -#}
{% macro current_stream_clock() %}
    {{ return(stream_clock_of('int_stream_blocks')) }}
{% endmacro %}

{% macro stream_clock_of(model_name) %}
    {%- set query -%}
        select
            coalesce(max(lines_through), 0),
            cast(max(newest_event_at) as {{ string_type() }}),
            cast(max(stream_floor_at) as {{ string_type() }})
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
    The stream clock as this model's watermark records it, as one row (lines_through,
    newest_event_at, stream_floor_at): staging numbers the lines (and knows nothing of event times
    yet), int_stream_blocks moves the clock on from the lines staged in its batch, every other model
    copies int_stream_blocks' clock.
-#}
{% macro stream_clock_row() %}
    {%- set block_lines = var('stream_time_block_lines') -%}
    {%- if this.identifier == 'stg_bronze__lines' -%}
        {%- set before = stream_clock() -%}
        select
            coalesce(max(line_ordinal) + 1, {{ before.lines_through }}) as lines_through,
            null::timestamp as newest_event_at,
            null::timestamp as stream_floor_at
        from {{ this }}
        where line_ordinal >= {{ before.lines_through }}
    {%- elif this.identifier == 'int_stream_blocks' -%}
        {%- set before = stream_clock() -%}
        with batch as (
            select line_ordinal, event_at from {{ ref('stg_bronze__lines') }}
            where line_kind = 'event' and {{ in_batch() }}
        ),

        ends as (
            select lines_through from silver.watermarks where model_name = 'stg_bronze__lines'
        )

        select
            ends.lines_through,
            greatest({{ before.newest_at }}, (select max(batch.event_at) from batch)) as newest_event_at,
            case
                when {{ integer_divide('ends.lines_through', block_lines) }} > {{ before.lines_through // block_lines }}
                    then greatest(
                        {{ before.newest_at }},
                        (
                            select max(batch.event_at) from batch
                            where batch.line_ordinal < {{ integer_divide('ends.lines_through', block_lines) }} * {{ block_lines }}
                        )
                    )
                else {{ before.floor_at }}
            end as stream_floor_at
        from ends
    {%- else -%}
        select lines_through, newest_event_at, stream_floor_at
        from silver.watermarks where model_name = 'int_stream_blocks'
    {%- endif -%}
{% endmacro %}

{#- An event's stream time: the larger of its block's floor and its own time. -#}
{% macro stream_time(event_at, block_floor_at) -%}
    greatest({{ block_floor_at }}, {{ event_at }})
{%- endmacro %}
