{#-
    Expressions on post text and its rich-text facets (app.bsky.richtext.facet: byte ranges into the
    UTF-8 text, with features such as #link, #mention and #tag). They use DuckDB's list functions and
    lambdas, kept here so that the tokenizer model reads as its steps.
-#}

{#-
    The #link and #mention facets of `facets` (JSON) as a sorted list of byte ranges
    {cut_start, cut_end}, [start, end) into `text`'s UTF-8 bytes. A facet whose offsets are not
    non-negative integers, are reversed or run past the text, or with no such feature, is left out;
    a `facets` that is not a list gives null.
-#}
{% macro link_and_mention_ranges(facets, text) -%}
    list_sort(list_transform(
        list_filter(
            from_json(
                {{ facets }},
                '[{"index": {"byteStart": "JSON", "byteEnd": "JSON"}, "features": [{"$type": "VARCHAR"}]}]'
            ),
            -- (try_cast: a lambda evaluates every condition, so the type checks cannot guard a cast)
            lambda facet: json_type(facet.index.byteStart) = 'UBIGINT'
            and json_type(facet.index.byteEnd) = 'UBIGINT'
            and try_cast(facet.index.byteStart as bigint) < try_cast(facet.index.byteEnd as bigint)
            and try_cast(facet.index.byteEnd as bigint) <= octet_length(encode({{ text }}))
            and list_bool_or(list_transform(
                facet.features,
                lambda feature: feature['$type'] in ('app.bsky.richtext.facet#link', 'app.bsky.richtext.facet#mention')
            ))
        ),
        lambda facet: {
            'cut_start': try_cast(facet.index.byteStart as bigint),
            'cut_end': try_cast(facet.index.byteEnd as bigint)
        }
    ))
{%- endmacro %}

{#-
    The pieces of `text` between the byte ranges `cuts` (sorted; overlapping ranges merge, as each
    piece starts after the furthest end so far), as a list of strings. A piece is null when a range
    splits a character (its offsets were wrong).
-#}
{% macro pieces_between_ranges(text, cuts) -%}
    list_transform(
        range(0, coalesce(len({{ cuts }}), 0) + 1),
        lambda i: try(decode(encode({{ text }})[
            (case when i = 0 then 0 else list_max(list_transform({{ cuts }}[1:i], lambda cut: cut.cut_end)) end) + 1
            :
            case
                when i = len({{ cuts }}) or {{ cuts }} is null then octet_length(encode({{ text }}))
                else {{ cuts }}[i + 1].cut_start
            end
        ]))
    )
{%- endmacro %}

{#- Whether the list `items` holds a null. -#}
{% macro has_null_element(items) -%}
    (len(list_filter({{ items }}, lambda item: item is null)) > 0)
{%- endmacro %}

{#-
    `text` with every occurrence of each string in `strings` (a list, or null) replaced by a space.
    One pattern of the escaped strings, longest first where one starts another (reverse sort order
    puts "x.com/path" before "x.com"), so a longer string is never cut short.
-#}
{% macro without_each(text, strings) -%}
    coalesce(
        regexp_replace(
            {{ text }},
            array_to_string(list_transform(list_reverse_sort({{ strings }}), lambda string: regexp_escape(string)), '|'),
            ' ',
            'g'
        ),
        {{ text }}
    )
{%- endmacro %}
