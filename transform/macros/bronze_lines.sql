{#-
    The lines of bronze files (after_seq, through_seq]: file_seq, line_no (position in its file),
    landed_at, line, original_size. Read with file pruning: DuckDB skips files by name before opening
    them, so a refresh costs what landed, not the whole history.
-#}
{% macro bronze_lines(source_relation, after_seq, through_seq) %}{{ return(adapter.dispatch('bronze_lines')(source_relation, after_seq, through_seq)) }}{% endmacro %}

{% macro default__bronze_lines(source_relation, after_seq, through_seq) %}
    {%- if through_seq <= after_seq -%}
        {#- Nothing new (or no file yet): an empty relation of the same shape; never glob an empty directory. -#}
        (
            select
                null::bigint as file_seq,
                null::bigint as line_no,
                null::timestamptz as landed_at,
                null::blob as line,
                null::bigint as original_size
            where false
        )
    {%- else -%}
        (
            select
                cast(regexp_extract(filename, 'events-(\d+)\.parquet$', 1) as bigint) as file_seq,
                file_row_number as line_no,
                landed_at,
                line,
                original_size
            from {{ source_relation }}
            where filename > '{{ bronze_file_path(after_seq) }}'
                and filename <= '{{ bronze_file_path(through_seq) }}'
        )
    {%- endif -%}
{% endmacro %}

{% macro bronze_file_path(seq) -%}
    {{ bronze_events_dir() }}/events-{{ "%012d" | format(seq) }}.parquet
{%- endmacro %}

{#- The directory of the live bronze files. -#}
{% macro bronze_events_dir() -%}
    {{ env_var("BLUESKY_DATA_DIR", "../data") }}/bronze/events
{%- endmacro %}

{#- On-run-start: the bronze source as the engine sees it (engines/bronze.sql). -#}
{% macro create_bronze_source() %}{{ return(adapter.dispatch('create_bronze_source')()) }}{% endmacro %}
