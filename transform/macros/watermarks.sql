{#-
    Batch bookkeeping for the incremental models.

    Each incremental model reads the rows of bronze files in (its watermark, bronze_through_seq()] and,
    in the same transaction as its insert, records that bound as its new watermark. A model
    that fails keeps its old watermark, so the next run finishes its job; upstream models always
    hold everything up to bronze_through_seq, since dbt runs a model only after its parents succeed.
-#}

{% macro create_watermarks_table() %}
    create schema if not exists silver;
    create table if not exists silver.watermarks (
        model_name varchar primary key,
        through_seq bigint not null,
        updated_at timestamp not null
    );
{% endmacro %}

{#-
    Highest bronze file sequence number this run may read: ./periodic sets it to the end of the
    gap-free run of committed files. An environment variable rather than a dbt var, because a change
    of --vars makes dbt re-parse the whole project (seconds) on every refresh.
-#}
{% macro bronze_through_seq() %}
    {%- set through = env_var('BLUESKY_BRONZE_THROUGH_SEQ', '') -%}
    {%- if through == '' -%}
        {{ exceptions.raise_compiler_error("BLUESKY_BRONZE_THROUGH_SEQ is not set: run ./periodic, or set it to the last bronze file's sequence number") }}
    {%- endif -%}
    {{ return(through | int) }}
{% endmacro %}

{#- The last bronze sequence number this model has processed (0 on a full build). -#}
{% macro watermark() %}
    {%- if not execute or not is_incremental() -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set query -%}
        select coalesce(max(through_seq), 0) from silver.watermarks where model_name = '{{ this.identifier }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] | int) }}
{% endmacro %}

{#- Post-hook: this model now holds everything up to bronze_through_seq. -#}
{% macro save_watermark() %}
    insert or replace into silver.watermarks
    values ('{{ this.identifier }}', {{ bronze_through_seq() }}, current_timestamp::timestamp)
{% endmacro %}

{#- The filter selecting this run's batch of an upstream model with a file_seq column. -#}
{% macro in_batch(column='file_seq') %}
    {{ column }} > {{ watermark() }} and {{ column }} <= {{ bronze_through_seq() }}
{% endmacro %}
