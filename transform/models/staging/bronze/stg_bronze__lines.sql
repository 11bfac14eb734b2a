{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

with

bronze as (
    -- file_seq, line_no, landed_at, line, original_size of the bronze files in the batch.
    select * from {{ bronze_lines(source('bronze', 'events'), watermark(), bronze_through_seq()) }}
),

decoded as (
    select
        file_seq,
        line_no,
        original_size,
        line as raw_line,
        landed_at at time zone 'UTC' as landed_at,
        try(decode(line)) as line_text
    from bronze
),

parsed as (
    select
        *,
        -- One parse per line (surrounding whitespace is fine); null when the line is not JSON.
        try(json_extract(line_text, [
            '$.timestamp', '$.path', '$.repo', '$.action',
            '$.record.subject.uri', '$.record.uri', '$.record.text', '$.record.langs'
        ])) as field_values,
        -- DuckDB's parser also accepts trailing commas and NaN/Infinity, which JSON does not. A cheap
        -- pattern flags the lines that might hold them; only those are checked outside strings.
        -- (A case, not an and: only the flagged lines pay for the exact check.) The pattern is three,
        -- one per leading character: a pattern that starts with a literal lets RE2 jump from one
        -- candidate to the next instead of stepping through every byte (3x faster than [:,\[]).
        case
            when
                regexp_matches(line_text, ',\s*(?:[\]}]|-?[NnIi][AaNn])')
                or regexp_matches(line_text, ':\s*-?[NnIi][AaNn]')
                or regexp_matches(line_text, '\[\s*-?[NnIi][AaNn]')
                then regexp_matches(
                    regexp_replace(line_text, '"(?:[^"\\]|\\.)*"', '""', 'g'),
                    ',\s*[\]}]|[:,\[]\s*-?(?:[Nn][Aa][Nn]|[Ii][Nn][Ff])'
                )
            else false
        end as has_non_standard_json
    from decoded
),

typed as (
    select
        *,
        coalesce(json_type(field_values[1]), 'NULL') as timestamp_type,
        coalesce(json_type(field_values[2]), 'NULL') as path_type,
        coalesce(json_type(field_values[3]), 'NULL') as repo_type,
        field_values[1] ->> '$' as timestamp_text,
        field_values[2] ->> '$' as path,
        field_values[3] ->> '$' as repo,
        field_values[4] ->> '$' as action
    from parsed
),

validated as (
    select
        *,
        {{ parse_event_time('timestamp_text') }} as event_at,
        split_part(path, '/', 1) as collection,
        substr(path, strpos(path, '/') + 1) as record_key
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
                        when trim(line_text, ' ' || chr(9) || chr(10) || chr(13)) != '' then 'invalid JSON'
                    end
            when timestamp_type = 'NULL'
                then case when json_type(line_text) = 'OBJECT' then 'missing timestamp' else 'not a JSON object' end
            when timestamp_type != 'VARCHAR' then 'timestamp is not a string'
            when event_at is null then 'unparseable timestamp'
            when path_type = 'NULL' then 'missing path'
            when path_type != 'VARCHAR' or collection = '' or record_key = '' or strpos(path, '/') = 0
                then 'path is not <collection>/<record key>'
            when repo_type = 'NULL' then 'missing repo'
            when repo_type != 'VARCHAR' or trim(repo) = '' then 'repo is not a non-empty string'
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
        landed_at,
        line_kind,
        reject_reason,
        case when line_kind = 'rejected' then raw_line end as rejected_line,
        case
            when line_kind = 'event'
                then md5_number(repo || chr(31) || path || chr(31) || coalesce(action, ''))
        end as event_key,
        case when line_kind = 'event' then repo end as repo,
        case when line_kind = 'event' then collection end as collection,
        case when line_kind = 'event' then record_key end as record_key,
        case when line_kind = 'event' then action end as action,
        case when line_kind = 'event' then event_at end as event_at,
        -- The record fields the marts use (the whole record stays in bronze).
        case when line_kind = 'event' then coalesce(field_values[5], field_values[6]) ->> '$' end as subject_uri,
        case when line_kind = 'event' then field_values[7] ->> '$' end as post_text,
        case when line_kind = 'event' then field_values[8] end as post_languages
    from classified
)

select * from final
