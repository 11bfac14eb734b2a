{#-
    min and max of `column` over this run's batch of `relation`, as SQL literals, or none when the
    batch is empty. Used as constant range filters, which DuckDB's zonemaps turn into skipped row
    groups: history that cannot be touched by the batch is never read.
-#}
{% macro batch_bounds(relation, column) %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select min({{ column }})::varchar, max({{ column }})::varchar from {{ relation }} where {{ in_batch() }}
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'min': "'" ~ row[0] ~ "'", 'max': "'" ~ row[1] ~ "'"}) }}
{% endmacro %}
