{#-
    Data tests on tables that grow with history check only this run's batch: a test whose `where`
    config is the placeholder "__batch__" reads rows with file_seq > BLUESKY_TESTS_AFTER_SEQ (set by
    ./periodic to where the previous refresh stopped; 0 checks everything).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__batch__', tested_batch()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows data tests check: those of bronze files after where the previous refresh stopped. -#}
{% macro tested_batch(column='file_seq') -%}
    {{ column }} > {{ env_var('BLUESKY_TESTS_AFTER_SEQ', '0') }}
{%- endmacro %}
