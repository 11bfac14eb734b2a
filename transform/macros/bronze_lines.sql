{#-
    The lines of bronze files (after_seq, through_seq]: file_seq, line_no (position in its file),
    landed_at, line, original_size; the same rows whether a file is still live or has been compacted.

    The layout comes from ./periodic (bronze_layout.sql_environment in the Python package, its one
    definition): seqs up to BLUESKY_BRONZE_COMPACTED_THROUGH_SEQ are read from the compacted files,
    which carry each line's file_seq and line_no; later ones from the live files, one per commit,
    read with file pruning (DuckDB skips files by name before opening them), so a refresh costs what
    landed, not the whole history. The compacted files are only listed when a read reaches them.
    How each engine reads them: engines/bronze.sql.
-#}
{% macro bronze_lines(source_relation, after_seq, through_seq) %}
    {%- set compacted_through = bronze_layout('COMPACTED_THROUGH_SEQ') | int -%}
    {%- set live_after = [after_seq, compacted_through] | max -%}
    {%- set reads = [] -%}
    {%- if after_seq < compacted_through and after_seq < through_seq -%}
        {%- do reads.append(compacted_bronze_lines(after_seq, [through_seq, compacted_through] | min)) -%}
    {%- endif -%}
    {%- if live_after < through_seq -%}
        {%- do reads.append(live_bronze_lines(source_relation, live_after, through_seq)) -%}
    {%- endif -%}
    {%- if reads -%}
        ({{ reads | join(' union all ') }})
    {%- else -%}
        {#- Nothing new (or no file yet): an empty relation of the same shape; never glob an empty directory. -#}
        ({{ no_bronze_lines() }})
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

{#- On-run-start: the bronze source as the engine sees it (engines/bronze.sql). -#}
{% macro create_bronze_source() %}{{ return(adapter.dispatch('create_bronze_source')()) }}{% endmacro %}
