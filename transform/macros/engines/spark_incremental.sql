{#-
    Spark: the incremental materialization of this project (dbt-spark's own needs Delta or Iceberg to
    replace rows, which cannot be fetched here; plain Parquet tables cannot delete or update).

    Nothing is changed in place. Every incremental table is partitioned by `as_of_seq`, the bronze
    file sequence number the run that wrote the partition read up to, and a run only adds the
    partition of its batch (a dynamic partition overwrite, so that a rerun of the same batch replaces
    it whole) and drops whole partitions:
    - an append model (staging, rejected lines, event copies, likes) adds the rows of its batch;
    - a running total (incremental_strategy delete+insert on DuckDB) writes its whole new state, the
      rows of the keys the batch did not touch carried over from the state at its watermark, and then
      drops the older state, so that it holds one state whenever a run has finished.
    The commit point is the model's watermark (a partition of silver.watermarks, added after the
    data): before it writes, a run re-reads the table's directory (msck repair) and drops every
    partition past the watermark (an append model) or other than it (a running total), so that a run
    killed at any point leaves nothing that the rerun would count twice (docs/scaling-out.md).
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

    {%- if not rebuild -%}
        {%- set watermark_seq = watermark() -%}
        {% call statement('repair') %}msck repair table {{ target_relation }} sync partitions{% endcall %}
        {{ drop_partitions_not_kept(target_relation, watermark_seq, keeps_one_state) }}
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
    {%- else -%}
        {%- set columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | reject('equalto', 'as_of_seq') | list -%}
        {%- set batch_rows = this.identifier ~ '__batch_rows' -%}
        {% call statement('batch_rows') %}cache table {{ batch_rows }} as {{ sql }}{% endcall %}
        {#- An append (Spark refuses to overwrite a table the query reads): what lay past the watermark
            was dropped above, and a running total whose watermark has not moved keeps its state. #}
        {% call statement('main') %}
            {%- if keeps_one_state and through == watermark_seq %}
            select 1 where false
            {%- else %}
            insert into table {{ target_relation }} partition (as_of_seq = {{ through }})
            {%- if keeps_one_state %}
            select {{ columns | join(', ') }} from {{ target_relation }}
            where as_of_seq = {{ watermark_seq }}
                and {{ unique_key }} not in (select {{ unique_key }} from {{ batch_rows }})
            union all
            {%- endif %}
            select {{ columns | join(', ') }} from {{ batch_rows }} where {{ kept }}
            {%- endif %}
        {% endcall %}
        {% call statement('drop_batch_rows') %}uncache table {{ batch_rows }}{% endcall %}
        {% call statement('drop_batch_view') %}drop view if exists {{ batch_rows }}{% endcall %}
    {%- endif -%}

    {{ run_hooks_in_order(post_hooks) }}

    {%- if keeps_one_state and not rebuild -%}
        {{ drop_partitions_not_kept(target_relation, through, true) }}
    {%- endif -%}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#-
    Drop the partitions of `relation` past `seq` (an append model) or other than `seq` (a table that
    keeps one state); whole partitions, so a drop killed halfway is finished by the next run.
-#}
{% macro drop_partitions_not_kept(relation, seq, keeps_one_state) %}
    {%- set doomed = [] -%}
    {%- for row in run_query('show partitions ' ~ relation).rows -%}
        {%- set partition_seq = row[0].split('=')[1] | int -%}
        {%- if partition_seq > seq or (keeps_one_state and partition_seq != seq) -%}
            {%- do doomed.append(partition_seq) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if doomed -%}
        {% call statement('drop_partitions') %}
            alter table {{ relation }} drop if exists
            {% for partition_seq in doomed %}partition (as_of_seq = {{ partition_seq }}){{ ', ' if not loop.last }}{% endfor %}
        {% endcall %}
    {%- endif -%}
{% endmacro %}

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
