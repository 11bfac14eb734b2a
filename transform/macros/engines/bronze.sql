{#-
    Reading bronze. DuckDB prunes the files of the glob by name before opening them (a filter on
    `filename`); Spark lists every file a path matches, whatever the filter (also on _metadata), so
    its path names the batch's files alone, as a brace glob (events-{…}.parquet). The same columns
    either way: file_seq, line_no (position in its file, from 0), landed_at, line, original_size.
-#}

{% macro spark__bronze_lines(source_relation, after_seq, through_seq) %}
    {%- if through_seq <= after_seq -%}
        (
            select
                cast(null as bigint) as file_seq,
                cast(null as bigint) as line_no,
                cast(null as timestamp_ltz) as landed_at,
                cast(null as binary) as line,
                cast(null as bigint) as original_size
            where false
        )
    {%- else -%}
        {%- set seqs = range(after_seq + 1, through_seq + 1) -%}
        (
            select
                cast(regexp_extract(_metadata.file_name, 'events-(\d+)\.parquet$', 1) as bigint) as file_seq,
                _metadata.row_index as line_no,
                landed_at,
                line,
                original_size
            {%- set names = [] -%}
            {%- for seq in seqs -%}{%- do names.append("%012d" | format(seq)) -%}{%- endfor %}
            {#- (A one-name brace is not taken for a glob.) #}
            from parquet.`{{ bronze_events_dir() }}/events-{{ names[0] if names | length == 1 else '{' ~ (names | join(',')) ~ '}' }}.parquet`
        )
    {%- endif -%}
{% endmacro %}

{#- Spark's view of the bronze source (`dbt source freshness`, and the lineage of staging), made at the start of a run. -#}
{% macro spark__create_bronze_source() %}
    {%- if execute -%}
        {%- do run_query('create schema if not exists bronze') -%}
        {%- do run_query('create or replace view bronze.events as select * from parquet.`' ~ bronze_events_dir() ~ '/events-*.parquet`') -%}
    {%- endif -%}
{% endmacro %}

{% macro default__create_bronze_source() %}{% endmacro %}
