{#-
    Batch bookkeeping for the incremental models.

    Each incremental model reads the rows of bronze files in (its watermark, bronze_through_seq()] and,
    in the same transaction as its insert, records that bound as its new watermark, with the stream
    clock there (macros/stream_time.sql). A model that fails keeps its old
    watermark, so the next run finishes its job; upstream models always hold at least what their
    children have not read yet, since dbt runs a model only after its parents succeed.
-#}

{% macro create_watermarks_table() %}{{ return(adapter.dispatch('create_watermarks_table')()) }}{% endmacro %}

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

{#-
    Whether this model's batch starts at its watermark: an incremental model's does, and so does
    staging's, whose table lives in the transit database that ./periodic deletes once every model has
    read it. A full refresh, and a first run, start from nothing.
-#}
{% macro starts_at_watermark() %}
    {{ return(execute and not flags.FULL_REFRESH and (is_incremental() or this.database == 'transit')) }}
{% endmacro %}

{#- The last bronze sequence number this model has processed (0 when it starts from nothing). -#}
{% macro watermark() %}
    {%- if not starts_at_watermark() -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set query -%}
        select coalesce(max(through_seq), 0) from silver.watermarks where model_name = '{{ this.identifier }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] | int) }}
{% endmacro %}

{#-
    Post-hook: this model now holds everything up to bronze_through_seq, with the stream clock there
    (macros/stream_time.sql, stream_clock_row).
-#}
{% macro save_watermark() %}{{ return(adapter.dispatch('save_watermark')()) }}{% endmacro %}

{#- The filter selecting this run's batch of an upstream model with a file_seq column. -#}
{% macro in_batch(column='file_seq') %}
    {{ column }} > {{ watermark() }} and {{ column }} <= {{ bronze_through_seq() }}
{% endmacro %}

{#-
    Pre-hook of staging: rows of bronze files that every model reading it has already read are
    deleted (a view reading it counts through the models reading the view; a reader with no
    watermark yet keeps everything), and so are rows past staging's own watermark: a run killed
    after its insert committed but before its watermark was saved stages the same files again.
-#}
{% macro delete_rows_every_child_has_read() %}{{ return(adapter.dispatch('delete_rows_every_child_has_read')()) }}{% endmacro %}

{#- The names of the incremental models that read the node `unique_id`, directly or through views. -#}
{% macro incremental_readers(unique_id) %}
    {%- set readers = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and unique_id in node.depends_on.nodes -%}
            {%- if node.config.materialized == 'view' -%}
                {%- do readers.extend(incremental_readers(node.unique_id)) -%}
            {%- else -%}
                {%- do readers.append(node.name) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(readers | unique | list) }}
{% endmacro %}

{#-
    Pre-hook of int_event_copies_tracked: copies whose stream time is more than the dedup window
    behind the stream floor at the model's watermark can never make a later copy a repeat (every
    later line's stream time is at least that floor).
-#}
{% macro forget_copies_behind_the_dedup_window() %}{{ return(adapter.dispatch('forget_copies_behind_the_dedup_window')()) }}{% endmacro %}

{#-
    Pre-hook of int_likes_extracted: a like that is not late (at most like_lateness_hours behind the
    stream) reads only the likes within one fast-liker window of its own time, so likes further back
    than both from the stream floor at the model's watermark are never read again.
-#}
{% macro forget_likes_behind_the_lateness_horizon() %}{{ return(adapter.dispatch('forget_likes_behind_the_lateness_horizon')()) }}{% endmacro %}
