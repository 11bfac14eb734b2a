{{ config(materialized='incremental', post_hook="{{ save_watermark() }}") }}

-- Meaningful words of the posts that mention "engineering", once per (post, word).

with

posts as (
    select * from {{ ref('int_posts_extracted') }}
    -- Cheap prefilter; the whole-word rule is applied below.
    where {{ in_batch() }} and post_text ilike '%engineering%'
),

stopwords as (
    select * from {{ ref('stopwords') }}
),

cleaned as (
    select
        post_uri,
        file_seq,
        languages,
        -- Lowercase, one apostrophe, and links and @mentions removed.
        regexp_replace(
            replace(lower(post_text), '’', ''''),
            '(https?://|www\.)\S+|@[\w.:-]+',
            ' ',
            'g'
        ) as clean_text
    from posts
),

engineering_posts as (
    select * from cleaned
    where regexp_matches(clean_text, '(^|[^\p{L}\p{M}\p{N}_])engineering($|[^\p{L}\p{M}\p{N}_])')
),

tokens as (
    select
        post_uri,
        file_seq,
        languages,
        unnest(regexp_extract_all(clean_text, '[\p{L}\p{M}\p{N}]+(?:''[\p{L}\p{M}\p{N}]+)*')) as word
    from engineering_posts
),

meaningful as (
    select distinct
        tokens.post_uri,
        tokens.file_seq,
        tokens.word
    from tokens
    where
        length(tokens.word) >= 2
        and not regexp_full_match(tokens.word, '\p{N}+')
        and tokens.word != 'engineering'
        and not exists (
            select 1 from stopwords
            where
                stopwords.word = tokens.word
                and (stopwords.language = 'en' or list_contains(tokens.languages, stopwords.language))
        )
),

final as (
    select * from meaningful
)

select * from final
