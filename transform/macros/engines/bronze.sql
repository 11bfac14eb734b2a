{#-
    Reading bronze (macros/bronze_lines.sql joins the two parts). DuckDB prunes the live files of the
    source's glob by name before opening them (a filter on `filename`); Spark lists every file a path
    matches, whatever the filter (also on _metadata), so its path names the batch's live files alone,
    as a brace glob (events-{…}.parquet). Compacted files carry file_seq and line_no; both engines skip
    the row groups outside the range by their statistics. The same columns either way: file_seq,
    line_no (position in its file, from 0), landed_at, line, original_size.
-#}

{#- The lines of the compacted files with seqs in (after_seq, through_seq]. -#}
{% macro compacted_bronze_lines(after_seq, through_seq) %}{{ return(adapter.dispatch('compacted_bronze_lines')(after_seq, through_seq)) }}{% endmacro %}

{% macro default__compacted_bronze_lines(after_seq, through_seq) -%}
            select file_seq, line_no, landed_at, line, original_size
            from read_parquet('{{ bronze_layout("COMPACTED_GLOB") }}')
            where file_seq > {{ after_seq }} and file_seq <= {{ through_seq }}
{%- endmacro %}

{% macro spark__compacted_bronze_lines(after_seq, through_seq) -%}
    select file_seq, line_no, landed_at, line, original_size
    from parquet.`{{ bronze_layout("COMPACTED_GLOB") }}`
    where file_seq > {{ after_seq }} and file_seq <= {{ through_seq }}
{%- endmacro %}

{#- The lines of the live files with seqs in (after_seq, through_seq]. -#}
{% macro live_bronze_lines(source_relation, after_seq, through_seq) %}{{ return(adapter.dispatch('live_bronze_lines')(source_relation, after_seq, through_seq)) }}{% endmacro %}

{% macro default__live_bronze_lines(source_relation, after_seq, through_seq) -%}
            select
                cast(regexp_extract(filename, '{{ bronze_layout("LIVE_SEQ_PATTERN") }}', 1) as bigint) as file_seq,
                file_row_number as line_no,
                landed_at,
                line,
                original_size
            from {{ source_relation }}
            where filename > '{{ bronze_layout("LIVE_FILE") | format(after_seq) }}'
                and filename <= '{{ bronze_layout("LIVE_FILE") | format(through_seq) }}'
{%- endmacro %}

{% macro spark__live_bronze_lines(source_relation, after_seq, through_seq) -%}
    {%- set live_file = bronze_layout("LIVE_FILE") -%}
    {%- set directory = live_file.rsplit('/', 1)[0] -%}
    {%- set names = [] -%}
    {%- for seq in range(after_seq + 1, through_seq + 1) -%}
        {%- do names.append((live_file | format(seq)).rsplit('/', 1)[1]) -%}
    {%- endfor -%}
    select
        cast(regexp_extract(_metadata.file_name, '{{ bronze_layout("LIVE_SEQ_PATTERN") }}', 1) as bigint) as file_seq,
        _metadata.row_index as line_no,
        landed_at,
        line,
        original_size
    {#- (A one-name brace is not taken for a glob.) #}
    from parquet.`{{ directory }}/{{ names[0] if names | length == 1 else '{' ~ (names | join(',')) ~ '}' }}`
{%- endmacro %}

{#- No line: an empty relation of the same shape. -#}
{% macro no_bronze_lines() %}{{ return(adapter.dispatch('no_bronze_lines')()) }}{% endmacro %}

{% macro default__no_bronze_lines() -%}
            select
                null::bigint as file_seq,
                null::bigint as line_no,
                null::timestamptz as landed_at,
                null::blob as line,
                null::bigint as original_size
            where false
{%- endmacro %}

{% macro spark__no_bronze_lines() -%}
    select
        cast(null as bigint) as file_seq,
        cast(null as bigint) as line_no,
        cast(null as timestamp_ltz) as landed_at,
        cast(null as binary) as line,
        cast(null as bigint) as original_size
    where false
{%- endmacro %}

{#- Spark's view of the bronze source (`dbt source freshness`, and the lineage of staging), made at the start of a run. -#}
{% macro spark__create_bronze_source() %}
    {%- if execute -%}
        {%- do run_query('create schema if not exists bronze') -%}
        {%- do run_query('create or replace view bronze.events as select * from parquet.`' ~ bronze_layout('LIVE_GLOB') ~ '`') -%}
    {%- endif -%}
{% endmacro %}

{% macro default__create_bronze_source() %}{% endmacro %}
