{#-
    Loading the seeds. dbt-spark binds seed values by pasting them between quotes, so in session mode
    a value with an apostrophe (d'un in the stopwords) breaks the statement; Spark gets each value
    as the hex of its UTF-8 bytes instead, which no character can break. And a seed whose table
    already holds this version of its file (dbt's checksum of the file, stored as a table property
    once every row is in) is not loaded again: on Spark a reload costs seconds on every refresh.
-#}
{% macro spark__reset_csv_table(model, full_refresh, old_relation, agate_table) %}
    {%- if not full_refresh and spark_seed_is_loaded(old_relation, model) -%}
        {{ return('') }}
    {%- endif -%}
    {{ adapter.drop_relation(old_relation) }}
    {{ return(create_csv_table(model, agate_table)) }}
{% endmacro %}

{% macro spark_seed_is_loaded(relation, model) %}
    {%- set stored = run_query("show tblproperties " ~ relation ~ " ('bluesky.seed_checksum')").columns[-1].values() -%}
    {{ return(stored | length == 1 and stored[0] == model.checksum.checksum) }}
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- if spark_seed_is_loaded(this, model) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    {%- set column = agate_table.column_names[loop.index0] -%}
                    {%- set type = column_override.get(column, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast(cast(unhex('{{ (value | string).encode("utf-8").hex() }}') as string) as {{ type }})
                    {%- endif -%}
                    {{- ', ' if not loop.last -}}
                {%- endfor -%}
                ){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {%- do adapter.add_query("alter table " ~ this.render() ~ " set tblproperties ('bluesky.seed_checksum' = '" ~ model.checksum.checksum ~ "')") -%}
    {{ return(statements[0]) }}
{% endmacro %}
