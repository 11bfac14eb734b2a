{{ config(
    materialized='incremental',
    database='transit',
    pre_hook="{{ delete_rows_every_child_has_read() }}",
    post_hook=after_commit("{{ save_watermark() }}"),
) }}

-- Every landed line of the batch, judged: an event (a JSON object with a usable timestamp, a DID
-- as repo and an <NSID>/<record key> path), blank, or rejected with its reason. Kept only until
-- every model that reads it has read it, in the transit database that ./periodic deletes once they
-- all have: silver keeps no second copy of bronze. (A transaction writes one database, so staging's
-- watermark is saved after its insert commits; the pre-hook makes a batch staged twice harmless.)
-- Each line also gets its place in the whole input (line_ordinal), from which int_stream_blocks
-- measures stream time.

{#- The JSON fields read from each line, parsed in one pass: a new field is one entry here. -#}
{%- set fields = {
    'timestamp': '$.timestamp',
    'path': '$.path',
    'repo': '$.repo',
    'action': '$.action',
    'subject_uri': '$.record.subject.uri',
    'record_uri': '$.record.uri',
    'post_text': '$.record.text',
    'post_languages': '$.record.langs',
    'post_facets': '$.record.facets',
} %}

with

bronze as {{ not_materialized() }} (
    -- file_seq, line_no, landed_at, line, original_size of the bronze files in the batch. Read twice,
    -- the second time for the files' line counts only (no column of the lines themselves).
    select * from {{ bronze_lines(source('bronze', 'events'), watermark(), bronze_through_seq()) }}
),

file_starts as (
    -- Where each file's lines start in the whole input, from where staging's watermark stopped.
    select
        file_seq,
        {{ stream_clock().lines_through }} + coalesce(
            sum(line_count) over (order by file_seq rows between unbounded preceding and 1 preceding), 0
        ) as first_line_ordinal
    from (
        select
            file_seq,
            count(*) as line_count
        from bronze
        group by file_seq
    ) as file_lines
),

decoded as (
    select
        bronze.file_seq,
        bronze.line_no,
        file_starts.first_line_ordinal + bronze.line_no as line_ordinal,
        bronze.original_size,
        bronze.line as raw_line,
        {{ as_naive_utc('bronze.landed_at') }} as landed_at,
        {{ utf8_text('bronze.line') }} as line_text
    from bronze
    inner join file_starts on bronze.file_seq = file_starts.file_seq
),

parsed as (
    select
        *,
        -- One parse per line (surrounding whitespace is fine); null when the line is not JSON.
        {{ json_fields('line_text', fields.values()) }} as field_values
    from decoded
),

extracted as (
    select
        {%- for name, path in fields.items() %}
        {{ json_field('field_values', loop.index, path) }} as {{ name }}_json,
        {%- endfor %}
        -- What the engine's parser accepts but JSON does not (engines/json.sql) is invalid JSON too.
        {{ has_non_standard_json('line_text', 'field_values') }} as has_non_standard_json,
        *
    from parsed
),

typed as (
    select
        *,
        coalesce({{ json_type('timestamp_json') }}, 'NULL') as timestamp_type,
        coalesce({{ json_type('path_json') }}, 'NULL') as path_type,
        coalesce({{ json_type('repo_json') }}, 'NULL') as repo_type,
        {{ json_text('timestamp_json') }} as timestamp_text,
        {{ json_text('path_json') }} as path,
        {{ json_text('repo_json') }} as repo,
        {{ json_text('action_json') }} as action
    from extracted
),

validated as (
    select
        *,
        {{ parse_event_time('timestamp_text') }} as event_at,
        split_part(path, '/', 1) as collection,
        substr(path, {{ strpos('path', "'/'") }} + 1) as record_key
    from typed
),

judged as (
    select
        *,
        -- The costlier checks (trim, a second parse) sit in branches that only bad lines reach.
        case
            when original_size is not null
                then 'line too long: ' || original_size || ' bytes, over the landing cap'
            when line_text is null then 'invalid UTF-8'
            when field_values is null or has_non_standard_json
                then
                    case
                        when {{ trim_characters('line_text', "' ' || chr(9) || chr(10) || chr(13)") }} != ''
                            then 'invalid JSON'
                    end
            when timestamp_type = 'NULL'
                then
                    case
                        when {{ json_text_is_object('line_text', 'field_values') }} then 'missing timestamp'
                        else 'not a JSON object'
                    end
            when timestamp_type != 'VARCHAR' then 'timestamp is not a string'
            when event_at is null then 'unparseable timestamp'
            when path_type = 'NULL' then 'missing path'
            when path_type != 'VARCHAR' then 'path is not a string'
            when {{ strpos('path', "'/'") }} = 0 then 'path is not <collection>/<record key>'
            when not {{ is_nsid('collection') }} then 'collection is not an NSID'
            when not {{ is_record_key('record_key') }} then 'record key is not valid'
            when repo_type = 'NULL' then 'missing repo'
            when repo_type != 'VARCHAR' then 'repo is not a string'
            when not {{ is_did('repo') }} then 'repo is not a DID'
        end as reject_reason
    from validated
),

classified as (
    select
        *,
        case
            when reject_reason is not null then 'rejected'
            when field_values is null then 'blank'
            else 'event'
        end as line_kind
    from judged
),

final as (
    select
        file_seq,
        line_no,
        line_ordinal,
        landed_at,
        line_kind,
        reject_reason,
        case when line_kind = 'rejected' then raw_line end as rejected_line,
        case
            when line_kind = 'event'
                then {{ event_key("repo || chr(31) || path || chr(31) || coalesce(action, '')") }}
        end as event_key,
        case when line_kind = 'event' then repo end as repo,
        case when line_kind = 'event' then collection end as collection,
        case when line_kind = 'event' then record_key end as record_key,
        case when line_kind = 'event' then action end as action,
        case when line_kind = 'event' then event_at end as event_at,
        -- The record fields the marts use (the whole record stays in bronze).
        case
            when line_kind = 'event' then {{ json_text('coalesce(subject_uri_json, record_uri_json)') }}
        end as subject_uri,
        case when line_kind = 'event' then {{ json_text('post_text_json') }} end as post_text,
        case when line_kind = 'event' then post_languages_json end as post_languages,
        case when line_kind = 'event' then post_facets_json end as post_facets
    from classified
)

select * from final
