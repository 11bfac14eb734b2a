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
        lines_through bigint,
        newest_event_at timestamp,
        stream_floor_at timestamp,
        updated_at timestamp not null
    );
    -- A warehouse made before stream times were recorded (run ./periodic --full-refresh once after).
    alter table silver.watermarks add column if not exists lines_through bigint;
    alter table silver.watermarks add column if not exists newest_event_at timestamp;
    alter table silver.watermarks add column if not exists stream_floor_at timestamp;
{% endmacro %}

{#-
    One partition per (model, watermark). A run killed after writing a watermark's file but before
    adding its partition left a directory that msck repair adds: that watermark's data was complete.
    (Spark runs one statement at a time.)
-#}
{% macro spark__create_watermarks_table() %}
    {%- if execute -%}
        {%- do run_query('create schema if not exists silver') -%}
        {%- do run_query('create schema if not exists gold') -%}
        {%- do run_query(
            'create table if not exists silver.watermarks ('
            ~ 'lines_through bigint, newest_event_at timestamp, stream_floor_at timestamp, updated_at timestamp,'
            ~ ' model_name string, through_seq bigint'
            ~ ') using parquet partitioned by (model_name, through_seq)'
        ) -%}
        {%- do run_query('msck repair table silver.watermarks sync partitions') -%}
    {%- endif -%}
{% endmacro %}

{% macro default__save_watermark() %}
    insert or replace into silver.watermarks
        (model_name, through_seq, lines_through, newest_event_at, stream_floor_at, updated_at)
    select '{{ this.identifier }}', {{ bronze_through_seq() }}, lines_through, newest_event_at, stream_floor_at,
        current_timestamp::timestamp
    from ({{ stream_clock_row() }}) as clock
{% endmacro %}

{#-
    The clock is read first (Spark refuses to write a table that the same statement reads), then
    written as the new watermark's partition, before the older ones are dropped: a model always has a
    watermark, its highest (watermark() and stream_clock() read the maximum). Nothing is written when
    the watermark does not move (nothing new).
-#}
{% macro spark__save_watermark() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set through = bronze_through_seq() -%}
    {%- set seqs = spark_watermark_seqs(this.identifier) -%}
    {%- if through not in seqs -%}
        {%- set clock = run_query(
            'select lines_through, cast(newest_event_at as string), cast(stream_floor_at as string) from ('
            ~ stream_clock_row() ~ ') as clock'
        ).rows[0] -%}
        {% call statement('save_watermark') %}
            insert overwrite table silver.watermarks
            partition (model_name = '{{ this.identifier }}', through_seq = {{ through }})
            select
                cast({{ clock[0] }} as bigint),
                {{ timestamp_literal(clock[1]) }},
                {{ timestamp_literal(clock[2]) }},
                current_timestamp::timestamp
        {% endcall %}
    {%- endif -%}
    {{ drop_watermarks(this.identifier, seqs | reject('equalto', through) | list) }}
{% endmacro %}

{#- The through_seq of every watermark partition of `model_name` (one, or two after a run cut short). -#}
{% macro spark_watermark_seqs(model_name) %}
    {%- set seqs = [] -%}
    {%- for row in run_query("show partitions silver.watermarks partition (model_name = '" ~ model_name ~ "')").rows -%}
        {%- do seqs.append(row[0].split('through_seq=')[1] | int) -%}
    {%- endfor -%}
    {{ return(seqs) }}
{% endmacro %}

{#- Drop the watermark partitions `seqs` of `model_name`. -#}
{% macro drop_watermarks(model_name, seqs) %}
    {%- if seqs -%}
        {% call statement('drop_watermarks') %}
            alter table silver.watermarks drop if exists
            {% for seq in seqs %}partition (model_name = '{{ model_name }}', through_seq = {{ seq }}){{ ', ' if not loop.last }}{% endfor %}
        {% endcall %}
    {%- endif -%}
{% endmacro %}

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
            ~ " where model_name in ('" ~ (readers | join("', '")) ~ "') group by model_name) as readers"
        ).columns[0].values()[0] | int -%}
        {{ drop_partitions(this, spark_partitions(this) | select('le', read_by_all) | list) }}
    {%- endif -%}
{% endmacro %}

{% macro default__forget_copies_behind_the_dedup_window() %}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where stream_at < {{ stream_clock().floor_at }} - interval '{{ var("dedup_window_hours") }} hours'
    {%- endif -%}
{% endmacro %}

{#- Spark: the batches whose every copy is that far behind (keeping more copies changes no result). -#}
{% macro spark__forget_copies_behind_the_dedup_window() %}
    {%- if execute and is_incremental() -%}
        {{ drop_partitions_behind(this, 'stream_at', stream_clock().floor_at, var('dedup_window_hours') ~ ' hours') }}
    {%- endif -%}
{% endmacro %}

{% macro default__forget_likes_behind_the_lateness_horizon() %}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where liked_at < {{ stream_clock().floor_at }}
            - interval '{{ var("like_lateness_hours") }} hours'
            - interval '{{ var("fast_liker_window_seconds") }} seconds'
    {%- endif -%}
{% endmacro %}

{#- Spark: the batches whose every like is that far back (the readers' time ranges never reach the others). -#}
{% macro spark__forget_likes_behind_the_lateness_horizon() %}
    {%- if execute and is_incremental() -%}
        {{ drop_partitions_behind(
            this,
            'liked_at',
            stream_clock().floor_at,
            var('like_lateness_hours') ~ ' hours ' ~ var('fast_liker_window_seconds') ~ ' seconds',
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

{#- Spark: the as_of_seq of every partition of `relation`, in order. -#}
{% macro spark_partitions(relation) %}
    {%- set seqs = [] -%}
    {%- for row in run_query('show partitions ' ~ relation).rows -%}
        {%- do seqs.append(row[0].split('=')[1] | int) -%}
    {%- endfor -%}
    {{ return(seqs | sort) }}
{% endmacro %}

{#-
    Spark: drop the partitions of `relation` none of whose rows has `column` at or after `age` (an
    interval) before `moment` (a timestamp literal; nothing is dropped when it is null, as a delete
    with that condition deletes nothing).
-#}
{% macro drop_partitions_behind(relation, column, moment, age) %}
    {%- if moment.startswith('null') -%}{{ return('') }}{%- endif -%}
    {%- set kept = run_query(
        'select distinct as_of_seq from ' ~ relation ~ ' where ' ~ column ~ ' >= ' ~ moment ~ " - interval '" ~ age ~ "'"
    ).columns[0].values() | map('int') | list -%}
    {{ drop_partitions(relation, spark_partitions(relation) | reject('in', kept) | list) }}
{% endmacro %}

{#- Spark: drop the partitions `seqs` (as_of_seq values) of `relation`. -#}
{% macro drop_partitions(relation, seqs) %}
    {%- if seqs -%}
        {% call statement('drop_partitions') %}
            alter table {{ relation }} drop if exists
            {% for seq in seqs %}partition (as_of_seq = {{ seq }}){{ ', ' if not loop.last }}{% endfor %}
        {% endcall %}
    {%- endif -%}
{% endmacro %}
