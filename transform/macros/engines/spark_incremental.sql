{#-
    Spark: the incremental materialization of this project (dbt-spark's own needs Delta or Iceberg to
    replace rows, which cannot be fetched here; plain Parquet tables cannot delete or update).

    Nothing is changed in place. Every incremental table is partitioned by `as_of_seq`, the bronze
    file sequence number the run that wrote the partition read up to; a run adds at most one
    partition and drops whole partitions:
    - an append model (staging, rejected lines, stream blocks, event copies, likes) adds the rows of
      its batch;
    - a running total (incremental_strategy delete+insert on DuckDB) adds its whole new state, the
      rows of the keys the batch did not touch carried over from the state at its watermark, and then
      drops the older state, so that it holds one state whenever a run has finished.
    The commit point is the model's watermark (a partition of silver.watermarks, added after the
    data). Before it writes, a run re-reads the table's directory (msck repair: a partition whose
    files were moved in but not yet registered) and drops every partition past the watermark (an
    append model) or other than it (a running total); a rebuild first drops the model's watermark.
    So a run killed at any point leaves nothing that the rerun would count twice or lose
    (docs/scaling-out.md). Rows are written with a dynamic partition, so that an empty batch adds no
    partition.
-#}
{% materialization incremental, adapter='spark' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_relation(this) -%}
    {%- set through = bronze_through_seq() -%}
    {%- set keeps_one_state = config.get('incremental_strategy') == 'delete+insert' -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set forget_where = config.get('forget_rows_where') -%}
    {%- set kept = 'not (' ~ forget_where ~ ')' if forget_where else 'true' -%}
    {%- set rebuild = existing_relation is none or should_full_refresh() -%}

    {%- if rebuild -%}
        {#- A rebuild cut short must start again from nothing, not append to what it left. -#}
        {{ drop_watermarks(this.identifier, spark_watermark_seqs(this.identifier)) }}
        {%- set watermark_seq = 0 -%}
    {%- else -%}
        {%- set watermark_seq = watermark() -%}
        {% call statement('repair') %}msck repair table {{ target_relation }} sync partitions{% endcall %}
        {%- set partitions = spark_partitions(target_relation) -%}
        {{ drop_partitions(target_relation, partitions | select('gt', watermark_seq) | list if not keeps_one_state else partitions | reject('equalto', watermark_seq) | list) }}
    {%- endif -%}

    {{ run_hooks_in_order(pre_hooks) }}

    {%- if rebuild -%}
        {%- if existing_relation is not none -%}
            {% do adapter.drop_relation(existing_relation) %}
        {%- endif -%}
        {% call statement('main') %}
            create table {{ target_relation }}
            using parquet
            partitioned by (as_of_seq)
            as select *, cast({{ through }} as bigint) as as_of_seq from ({{ sql }}) as model_rows where {{ kept }}
        {% endcall %}
        {{ write_column_file(target_relation) }}
    {%- elif through == watermark_seq -%}
        {#- Nothing new: the batch is empty, and a running total keeps its state. -#}
        {% call statement('main') %}select 1 where false{% endcall %}
    {%- elif keeps_one_state -%}
        {%- set columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | reject('equalto', 'as_of_seq') | list -%}
        {%- set batch_rows = this.identifier ~ '__batch_rows' -%}
        {#- (Read twice below: computed once. A session kept by --follow may still hold the view of a
            build that failed after caching it: `cache table` would not replace it.) -#}
        {% call statement('uncache_earlier_batch_rows') %}uncache table if exists {{ batch_rows }}{% endcall %}
        {% call statement('drop_earlier_batch_view') %}drop view if exists {{ batch_rows }}{% endcall %}
        {% call statement('batch_rows') %}cache table {{ batch_rows }} as {{ sql }}{% endcall %}
        {% call statement('main') %}
            insert into table {{ target_relation }} partition (as_of_seq)
            select {{ columns | join(', ') }}, cast({{ through }} as bigint) from (
                select {{ columns | join(', ') }} from {{ target_relation }} as previous
                where previous.as_of_seq = {{ watermark_seq }}
                    and not exists (select 1 from {{ batch_rows }} where {{ batch_rows }}.{{ unique_key }} = previous.{{ unique_key }})
                union all
                select {{ columns | join(', ') }} from {{ batch_rows }}
            ) as new_state
            where {{ kept }}
        {% endcall %}
        {% call statement('drop_batch_rows') %}uncache table {{ batch_rows }}{% endcall %}
        {% call statement('drop_batch_view') %}drop view if exists {{ batch_rows }}{% endcall %}
    {%- else -%}
        {% call statement('main') %}
            insert into table {{ target_relation }} partition (as_of_seq)
            select *, cast({{ through }} as bigint) from ({{ sql }}) as model_rows
        {% endcall %}
    {%- endif -%}

    {{ run_hooks_in_order(post_hooks) }}

    {%- if keeps_one_state and not rebuild and through != watermark_seq -%}
        {{ drop_partitions(target_relation, [watermark_seq]) }}
    {%- endif -%}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#-
    Spark has no transaction (and refuses dbt's COMMIT): every hook runs in order, those marked
    before_begin or after_commit (staging's watermark) among the others.
-#}
{% macro run_hooks_in_order(hooks) %}
    {%- for hook in hooks -%}
        {%- set rendered = render(hook.get('sql')) | trim -%}
        {%- if rendered | length > 0 -%}
            {% call statement(auto_begin=false) %}{{ rendered }}{% endcall %}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{#-
    Spark: an empty Parquet file of the table's columns in its _columns/ directory (which Spark's
    readers skip, as every name starting with _), for the readers that open the table's files without
    Spark (refresh/spark_warehouse.py): a partitioned table whose partitions are all dropped, or
    were never written, has no data file to take them from.
-#}
{% macro write_column_file(relation) %}
    {%- set location = run_query('describe table extended ' ~ relation).rows | selectattr(0, 'equalto', 'Location') | map(attribute=1) | first -%}
    {% call statement('column_file') %}
        insert overwrite directory '{{ location }}/_columns' using parquet select * from {{ relation }} where false
    {% endcall %}
{% endmacro %}
