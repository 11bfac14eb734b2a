{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

with

bronze as (
    select *
    from {{ bronze_files(source('bronze', 'events'), watermark(), bronze_through_seq()) }}
),

decoded as (
    select
        file_row_number as line_no,
        original_size,
        line as raw_line,
        cast(regexp_extract(filename, 'events-(\d+)\.parquet$', 1) as bigint) as file_seq,
        landed_at at time zone 'UTC' as landed_at,
        try(decode(line)) as line_text
    from bronze
),

trimmed as (
    select
        *,
        trim(line_text, ' ' || chr(9) || chr(10) || chr(13)) as body
    from decoded
),

parsed as (
    select
        *,
        -- One parse per line; null when the body is not valid JSON.
        try(json_extract(body, ['$.timestamp', '$.path', '$.repo', '$.action', '$.record'])) as field_values,
        -- DuckDB's parser also accepts trailing commas and NaN/Infinity, which JSON does not. A cheap
        -- pattern flags the lines that might hold them; only those are checked outside strings.
        coalesce(
            regexp_matches(body, ',\s*[\]}]|[:,\[]\s*-?[NnIi][AaNn]')
            and regexp_matches(
                regexp_replace(body, '"(?:[^"\\]|\\.)*"', '""', 'g'),
                ',\s*[\]}]|[:,\[]\s*-?(?:[Nn][Aa][Nn]|[Ii][Nn][Ff])'
            ),
            false
        ) as has_non_standard_json
    from trimmed
),

typed as (
    select
        *,
        field_values[1] as timestamp_json,
        field_values[2] as path_json,
        field_values[3] as repo_json,
        field_values[4] ->> '$' as action,
        nullif(field_values[5], json('null')) as record,
        coalesce(json_type(field_values[1]), 'NULL') as timestamp_type,
        coalesce(json_type(field_values[2]), 'NULL') as path_type,
        coalesce(json_type(field_values[3]), 'NULL') as repo_type,
        field_values[1] ->> '$' as timestamp_text,
        field_values[2] ->> '$' as path,
        field_values[3] ->> '$' as repo
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
        case
            when original_size is not null
                then 'line too long: ' || original_size || ' bytes, over the landing cap'
            when line_text is null then 'invalid UTF-8'
            when body = '' then null
            when field_values is null or has_non_standard_json then 'invalid JSON'
            when left(body, 1) != '{' then 'not a JSON object'
            when timestamp_type = 'NULL' then 'missing timestamp'
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

final as (
    select
        file_seq,
        line_no,
        landed_at,
        case
            when reject_reason is not null then 'rejected'
            when body = '' then 'blank'
            else 'event'
        end as line_kind,
        reject_reason,
        case when reject_reason is not null then raw_line end as rejected_line,
        case
            when reject_reason is null and body != ''
                then md5_number(repo || chr(31) || path || chr(31) || coalesce(action, ''))
        end as event_key,
        case when reject_reason is null then repo end as repo,
        case when reject_reason is null then collection end as collection,
        case when reject_reason is null then record_key end as record_key,
        case when reject_reason is null then action end as action,
        case when reject_reason is null then event_at end as event_at,
        case when reject_reason is null then record end as record
    from judged
)

select * from final
