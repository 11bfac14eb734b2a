{#-
    Boolean SQL expressions checking atproto identifier syntax, written from the specifications
    (atproto.com/specs: did, nsid, record-key, at-uri-scheme). Every check is on ASCII only, so
    look-alike Unicode never passes, and an over-long value fails rather than being cut.
    The limits are docs/metrics.md's ("Bad input"); the rules are restated there.
-#}

{#- A DID: "did:", a lowercase method, ":", then [a-zA-Z0-9._:%-], not ending in ":" or "%"; at most 2,048 characters. -#}
{% macro is_did(value) -%}
    (length({{ value }}) <= 2048 and {{ regexp_full_match(value, 'did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]') }})
{%- endmacro %}

{#-
    An NSID: a reversed domain authority of at least two segments (letters, digits, hyphens; 1-63
    characters, no hyphen at either end; the first, the top-level domain, starts with a letter; at
    most 253 characters), then a name segment (letters and digits, starting with a letter, 1-63);
    at most 317 characters in all.
-#}
{% macro is_nsid(value) -%}
    (
        length({{ value }}) <= 317
        and {{ regexp_full_match(
            value,
            '[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}'
        ) }}
        and length({{ value }}) - {{ strpos('reverse(' ~ value ~ ')', "'.'") }} <= 253
    )
{%- endmacro %}

{#- A record key: 1-512 characters of [A-Za-z0-9._:~-], and not "." or "..". -#}
{% macro is_record_key(value) -%}
    (
        length({{ value }}) <= 512
        and {{ regexp_full_match(value, '[A-Za-z0-9._:~-]+') }}
        and {{ value }} not in ('.', '..')
    )
{%- endmacro %}

{#-
    An AT-URI naming a post record: at://<DID>/app.bsky.feed.post/<record key>, nothing more (no
    query or fragment). A handle as the authority is not accepted: records name their subject by
    DID (a handle can change hands, and one post would then have two names).
-#}
{% macro is_post_uri(value) -%}
    (
        -- One pattern for the shape (a DID cannot hold a slash, so the first '/app.bsky.feed.post/'
        -- ends it), then the DID's length and the two record keys that are not allowed.
        {{ regexp_full_match(
            value, 'at://did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]/app\.bsky\.feed\.post/[A-Za-z0-9._:~-]{1,512}'
        ) }}
        and {{ strpos(value, "'/app.bsky.feed.post/'") }} - 6 <= 2048
        and not {{ ends_with(value, "'/.'") }}
        and not {{ ends_with(value, "'/..'") }}
    )
{%- endmacro %}
