{#-
    How each engine keeps the incremental models' state (docs/design.md, docs/scaling-out.md).
    DuckDB deletes rows and replaces a watermark in one transaction with the model's insert. Spark's
    Parquet tables cannot delete rows and Spark has no transaction: state changes there by whole
    partitions (spark_incremental.sql), a watermark is a partition of its own, added after the data it
    covers, and older ones are dropped once a newer one is in place.
-#}

{% macro default__create_watermarks_table() %}
    create schema if not exists silver;
    create table if not exists silver.watermarks (
        model_name varchar primary key,
        through_seq bigint not null,
        stream_at timestamp,
        updated_at timestamp not null
    );
    -- A warehouse made before stream times were recorded (run ./periodic --full-refresh once after).
    alter table silver.watermarks add column if not exists stream_at timestamp;
{% endmacro %}

{#-
    One partition per (model, watermark). A run killed after writing a watermark's file but before
    adding its partition left a directory that msck repair adds: that watermark's data was complete.
-#}
{% macro spark__create_watermarks_table() %}
    {#- (Spark runs one statement at a time.) -#}
    {%- if execute -%}
        {%- do run_query('create schema if not exists silver') -%}
        {%- do run_query('create schema if not exists gold') -%}
        {%- do run_query(
            'create table if not exists silver.watermarks'
            ~ ' (stream_at timestamp, updated_at timestamp, model_name string, through_seq bigint)'
            ~ ' using parquet partitioned by (model_name, through_seq)'
        ) -%}
        {%- do run_query('msck repair table silver.watermarks sync partitions') -%}
    {%- endif -%}
{% endmacro %}

{% macro default__save_watermark() %}
    insert or replace into silver.watermarks (model_name, through_seq, stream_at, updated_at)
    values ('{{ this.identifier }}', {{ bronze_through_seq() }}, {{ stream_clock() }}, current_timestamp::timestamp)
{% endmacro %}

{#-
    The new watermark's partition is added before the older ones are dropped, so a model always has
    one (its highest is the one in force: watermark() reads max(through_seq)). When the watermark
    does not move (nothing new), nothing is written.
-#}
{% macro spark__save_watermark() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set through = bronze_through_seq() -%}
    {%- set partitions = run_query("show partitions silver.watermarks partition (model_name = '" ~ this.identifier ~ "')").rows -%}
    {%- set seqs = [] -%}
    {%- for row in partitions -%}
        {%- do seqs.append(row[0].split('through_seq=')[1] | int) -%}
    {%- endfor -%}
    {%- if through not in seqs or flags.FULL_REFRESH -%}
        {%- set stream_at = run_query("select cast(" ~ stream_clock() ~ " as string)").columns[0].values()[0] -%}
        {% call statement('save_watermark') %}
            insert overwrite table silver.watermarks partition (model_name = '{{ this.identifier }}', through_seq = {{ through }})
            select {{ "timestamp '" ~ stream_at ~ "'" if stream_at is not none else 'cast(null as timestamp)' }}, cast(current_timestamp() as timestamp_ntz)
        {% endcall %}
    {%- endif -%}
    {%- set older = seqs | reject('equalto', through) | list -%}
    {%- if older -%}
        alter table silver.watermarks drop if exists
        {% for seq in older %}partition (model_name = '{{ this.identifier }}', through_seq = {{ seq }}){{ ', ' if not loop.last }}{% endfor %}
    {%- endif -%}
{% endmacro %}

{#-
    Pre-hook of staging: rows of bronze files that every model reading it has already read are
    deleted (a view reading it counts through the models reading the view; a reader with no
    watermark yet keeps everything), and so are rows past staging's own watermark: a run killed
    after its insert committed but before its watermark was saved stages the same files again.
-#}
{% macro default__delete_rows_every_child_has_read() %}
    {%- if execute and is_incremental() -%}
        {%- set readers = incremental_readers(model.unique_id) -%}
        delete from {{ this }}
        where
            file_seq > {{ watermark() }}
            or file_seq <= (
                select case when count(*) = {{ readers | length }} then min(through_seq) else 0 end
                from silver.watermarks
                where model_name in ('{{ readers | join("', '") }}')
            )
    {%- endif -%}
{% endmacro %}

{#- Spark: the batches (partitions) every reader has read are dropped; those past the watermark already are (spark_incremental.sql). -#}
{% macro spark__delete_rows_every_child_has_read() %}
    {%- if execute and is_incremental() -%}
        {%- set readers = incremental_readers(model.unique_id) -%}
        {%- set read_by_all = run_query(
            "select case when count(distinct model_name) = " ~ (readers | length) ~ " then min(through_seq) else 0 end"
            ~ " from (select model_name, max(through_seq) as through_seq from silver.watermarks"
            ~ " where model_name in ('" ~ (readers | join("', '")) ~ "') group by model_name)"
        ).columns[0].values()[0] | int -%}
        {{ drop_partitions_where(this, 'as_of_seq <= ' ~ read_by_all) }}
    {%- endif -%}
{% endmacro %}

{#-
    Pre-hook of int_event_copies_tracked: copies whose stream time is more than the dedup window
    behind the stream time at the model's watermark can never make a later copy a repeat.
-#}
{% macro default__forget_copies_behind_the_dedup_window() %}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where stream_at < {{ watermark_stream_at() }} - interval '{{ var("dedup_window_hours") }} hours'
    {%- endif -%}
{% endmacro %}

{#- Spark: batches whose every copy is that far behind (keeping more copies changes no result). -#}
{% macro spark__forget_copies_behind_the_dedup_window() %}
    {%- if execute and is_incremental() -%}
        {{ drop_partitions_where(this, 'max(stream_at) < ' ~ watermark_stream_at() ~ " - interval '" ~ var("dedup_window_hours") ~ " hours'") }}
    {%- endif -%}
{% endmacro %}

{#-
    Pre-hook of int_likes_extracted: a like that is not late (at most like_lateness_hours behind the
    stream) has its fast-liker window within the fast-liker window of its own time, so likes further
    back than both, from the stream time at the model's watermark, are never read again.
-#}
{% macro default__forget_likes_behind_the_lateness_horizon() %}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where liked_at < {{ watermark_stream_at() }}
            - interval '{{ var("like_lateness_hours") }} hours'
            - interval '{{ var("fast_liker_window_seconds") }} seconds'
    {%- endif -%}
{% endmacro %}

{#- Spark: batches whose every like is that far back (the readers' time ranges never reach the others). -#}
{% macro spark__forget_likes_behind_the_lateness_horizon() %}
    {%- if execute and is_incremental() -%}
        {{ drop_partitions_where(
            this,
            'max(liked_at) < ' ~ watermark_stream_at()
            ~ " - interval '" ~ var("like_lateness_hours") ~ " hours'"
            ~ " - interval '" ~ var("fast_liker_window_seconds") ~ " seconds'"
        ) }}
    {%- endif -%}
{% endmacro %}

{#-
    Post-hook of a running total: rows matching the model's forget_rows_where (likes = 0) are
    deleted. Spark writes its new state without them (spark_incremental.sql).
-#}
{% macro forget_rows() %}{{ return(adapter.dispatch('forget_rows')()) }}{% endmacro %}

{% macro default__forget_rows() %}
    delete from {{ this }} where {{ config.get('forget_rows_where') }}
{% endmacro %}

{% macro spark__forget_rows() %}{% endmacro %}

{#-
    Staging lives in its own database on DuckDB, the transit file deleted once every model has read
    it (a full build's staged history would otherwise stay behind as free blocks in the warehouse).
    Spark has one catalog, and drops staging's read batches as partitions, which frees their files:
    there a model's database setting is left out.
-#}
{% macro spark__generate_database_name(custom_database_name=none, node=none) %}{{ return(none) }}{% endmacro %}

{#- Spark: an aggregate condition on a partition's rows (`having`), or a condition on as_of_seq, naming the partitions to drop. -#}
{% macro drop_partitions_where(relation, condition) %}
    {%- if 'max(' in condition -%}
        {%- set query = 'select as_of_seq from ' ~ relation ~ ' group by as_of_seq having ' ~ condition -%}
    {%- else -%}
        {%- set query = 'select distinct as_of_seq from ' ~ relation ~ ' where ' ~ condition -%}
    {%- endif -%}
    {%- set doomed = run_query(query).columns[0].values() -%}
    {%- if doomed | length > 0 -%}
        alter table {{ relation }} drop if exists
        {% for seq in doomed %}partition (as_of_seq = {{ seq }}){{ ', ' if not loop.last }}{% endfor %}
    {%- endif -%}
{% endmacro %}
