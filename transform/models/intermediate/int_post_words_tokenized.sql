{{ config(materialized='view') }}

-- Meaningful words of the staged posts that use the required word ("engineering"), once per
-- (post, word); a view, read once by int_words_counted. Links and mentions are removed first, as
-- Bluesky marks them: the byte ranges of the post's #link and #mention facets, then links by their
-- text (with a scheme, www., or a domain ending in a real top-level domain, as Bluesky's own link
-- detection finds them) and @handles.
-- docs/metrics.md states the rule and its sources.

{%- set required_word = var('top_words_required_word') %}
{%- set text_between_facets = "case when " ~ has_null_element('pieces') ~ " then post_text else "
    ~ list_join('pieces', "' '") ~ " end" %}

with

posts as (
    select * from {{ ref('int_posts_extracted') }}
    -- Cheap prefilter; the whole-word rule is applied below, once links are gone.
    where {{ in_batch() }} and post_text ilike '%{{ required_word }}%'
),

stopwords as (
    select * from {{ ref('stopwords') }}
),

top_level_domains as (
    select * from {{ ref('top_level_domains') }}
),

facets_removed as (
    -- The text between the byte ranges of the #link and #mention facets (invalid facets ignored).
    select
        *,
        {{ pieces_between_ranges('post_text', link_and_mention_ranges('facets', 'post_text')) }} as pieces
    from posts
),

lowered as (
    -- Lowercase and one apostrophe; then links with a scheme or www., and @mentions, removed. When
    -- a facet's offsets split a character (a piece is null), the facets are ignored and these text
    -- rules still apply.
    {%- set lowered_text -%}
        replace(
            {{ lower_text(text_between_facets) }},
            '’',
            chr(39)
        )
    {%- endset %}
    select
        post_uri,
        file_seq,
        languages,
        {{ regexp_replace_all(
            lowered_text, "'(https?://|www\\.)[^\\t\\n\\f\\r ]+|@[\\w.:-]+'", "' '"
        ) }} as text_without_marked_links
    from facets_removed
),

candidate_links as (
    -- Links typed without a scheme (github.com/duckdb/duck...): a domain after a space, a bracket
    -- or the start, and what follows it up to a space.
    select
        post_uri,
        {{ unnest(regexp_extract_all(
            'text_without_marked_links', '(?:^|[\\t\\n\\f\\r (])([a-z][a-z0-9]*(?:\.[a-z0-9]+)+[^\\t\\n\\f\\r ]*)', 1
        )) }} as link
    from lowered
),

domain_links as (
    -- Those whose domain ends in a top-level domain: node.js is not a link, github.com/x is.
    select
        post_uri,
        {{ list_agg('link') }} as links
    from candidate_links
    where
        regexp_extract(link, '^[a-z][a-z0-9]*(?:\.[a-z0-9]+)*\.([a-z0-9]+)', 1)
        in (select top_level_domains.domain from top_level_domains)
    group by post_uri
),

cleaned as (
    select
        lowered.post_uri,
        lowered.file_seq,
        lowered.languages,
        {{ without_each('lowered.text_without_marked_links', 'domain_links.links') }} as clean_text
    from lowered
    left join domain_links on lowered.post_uri = domain_links.post_uri
),

required_word_posts as (
    select * from cleaned
    where {{ regexp_matches('clean_text', '(^|[^\p{L}\p{M}\p{N}_])' ~ required_word ~ '($|[^\p{L}\p{M}\p{N}_])') }}
),

tokens as (
    select
        post_uri,
        file_seq,
        languages,
        {{ unnest(regexp_extract_all('clean_text', '[\\p{L}\\p{M}\\p{N}]+(?:\\x27[\\p{L}\\p{M}\\p{N}]+)*')) }} as word
    from required_word_posts
),

meaningful as (
    select distinct
        tokens.post_uri,
        tokens.file_seq,
        tokens.word
    from tokens
    where
        length(tokens.word) >= 2
        and not {{ regexp_full_match('tokens.word', '\p{N}+') }}
        and tokens.word != '{{ required_word }}'
        and not exists (
            select 1 from stopwords
            where
                stopwords.word = tokens.word
                and (stopwords.language = 'en' or {{ list_contains('tokens.languages', 'stopwords.language') }})
        )
),

final as (
    select * from meaningful
)

select * from final
