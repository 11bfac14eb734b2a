{#-
    The lines of bronze files (after_seq, through_seq]: file_seq, line_no (position in its file),
    landed_at, line, original_size; the same rows whether a file is still live or has been compacted.

    The layout comes from ./periodic (bronze_layout.sql_environment in the Python package, its one
    definition): seqs up to BLUESKY_BRONZE_COMPACTED_THROUGH_SEQ are read from the compacted files,
    which carry each line's file_seq and line_no; later ones from the live files, one per commit,
    read with file pruning (DuckDB skips files by name before opening them), so a refresh costs what
    landed, not the whole history. The compacted files are only listed when a read reaches them.
-#}
{% macro bronze_lines(source_relation, after_seq, through_seq) %}
    {%- set compacted_through = bronze_layout('COMPACTED_THROUGH_SEQ') | int -%}
    {%- set live_after = [after_seq, compacted_through] | max -%}
    {%- set reads = [] -%}
    {%- if after_seq < compacted_through and after_seq < through_seq -%}
        {%- set compacted -%}
            select file_seq, line_no, landed_at, line, original_size
            from read_parquet('{{ bronze_layout("COMPACTED_GLOB") }}')
            where file_seq > {{ after_seq }} and file_seq <= {{ [through_seq, compacted_through] | min }}
        {%- endset -%}
        {%- do reads.append(compacted) -%}
    {%- endif -%}
    {%- if live_after < through_seq -%}
        {%- set live -%}
            select
                cast(regexp_extract(filename, '{{ bronze_layout("LIVE_SEQ_PATTERN") }}', 1) as bigint) as file_seq,
                file_row_number as line_no,
                landed_at,
                line,
                original_size
            from {{ source_relation }}
            where filename > '{{ bronze_layout("LIVE_FILE") | format(live_after) }}'
                and filename <= '{{ bronze_layout("LIVE_FILE") | format(through_seq) }}'
        {%- endset -%}
        {%- do reads.append(live) -%}
    {%- endif -%}
    {%- if reads -%}
        ({{ reads | join(' union all ') }})
    {%- else -%}
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
    {%- endif -%}
{% endmacro %}

{#- One item of the bronze layout, as ./periodic passes it (BLUESKY_BRONZE_<name>). -#}
{% macro bronze_layout(name) -%}
    {%- set value = env_var('BLUESKY_BRONZE_' ~ name, '') -%}
    {%- if value == '' -%}
        {{ exceptions.raise_compiler_error("BLUESKY_BRONZE_" ~ name ~ " is not set: run ./periodic (it passes the bronze layout to dbt)") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
