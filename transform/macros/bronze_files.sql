{#-
    The bronze rows of files (after_seq, through_seq], read with file pruning: DuckDB skips files by
    name before opening them, so a refresh costs what landed, not the whole history.
-#}
{% macro bronze_files(source_relation, after_seq, through_seq) %}
    {%- if through_seq <= after_seq -%}
        {#- Nothing new (or no file yet): an empty relation of the same shape; never glob an empty directory. -#}
        (
            select
                null::blob as line,
                null::bigint as original_size,
                null::timestamptz as landed_at,
                null::varchar as filename,
                null::bigint as file_row_number
            where false
        )
    {%- else -%}
        (
            select * from {{ source_relation }}
            where filename > '{{ bronze_file_path(after_seq) }}'
                and filename <= '{{ bronze_file_path(through_seq) }}'
        )
    {%- endif -%}
{% endmacro %}

{% macro bronze_file_path(seq) -%}
    {{ env_var("BLUESKY_DATA_DIR", "../data") }}/bronze/events/events-{{ "%012d" | format(seq) }}.parquet
{%- endmacro %}
