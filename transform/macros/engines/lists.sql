{#-
    Lists and lambdas (the rich-text macros of macros/rich_text.sql, and the list steps of the
    tokenizer). DuckDB's list functions and lambdas against Spark's arrays and higher-order functions;
    DuckDB lists index from 1 and slices include both ends, Spark arrays index from 0 (element_at from
    1). A `facets` value is JSON on DuckDB, a VARIANT on Spark.
-#}

{% macro default__link_and_mention_ranges(facets, text) -%}
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

{% macro default__pieces_between_ranges(text, cuts) -%}
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

{% macro default__has_null_element(items) -%}
    (len(list_filter({{ items }}, lambda item: item is null)) > 0)
{%- endmacro %}

{% macro default__without_each(text, strings) -%}
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


{#- A facet's offset counts when it is a non-negative integer (DuckDB's json_type UBIGINT). -#}
{% macro spark__link_and_mention_ranges(facets, text) -%}
    array_sort(transform(
        filter(
            try_variant_get({{ facets }}, '$', 'array<variant>'),
            facet -> schema_of_variant(variant_get(facet, '$.index.byteStart')) = 'BIGINT'
            and schema_of_variant(variant_get(facet, '$.index.byteEnd')) = 'BIGINT'
            and variant_get(facet, '$.index.byteStart', 'bigint') >= 0
            and variant_get(facet, '$.index.byteStart', 'bigint') < variant_get(facet, '$.index.byteEnd', 'bigint')
            and variant_get(facet, '$.index.byteEnd', 'bigint') <= octet_length({{ text }})
            and exists(
                try_variant_get(facet, '$.features', 'array<variant>'),
                feature -> variant_get(feature, '$["$type"]', 'string') in ('app.bsky.richtext.facet#link', 'app.bsky.richtext.facet#mention')
            )
        ),
        facet -> named_struct(
            'cut_start', variant_get(facet, '$.index.byteStart', 'bigint'),
            'cut_end', variant_get(facet, '$.index.byteEnd', 'bigint')
        )
    ))
{%- endmacro %}

{#- (size() of a null array is -1 in Spark's non-ANSI mode, hence the case.) -#}
{% macro spark__pieces_between_ranges(text, cuts) -%}
    transform(
        sequence(0, case when {{ cuts }} is null then 0 else size({{ cuts }}) end),
        i -> try_validate_utf8(cast(substr(
            encode({{ text }}, 'UTF-8'),
            (case when i = 0 then 0 else array_max(transform(slice({{ cuts }}, 1, i), cut -> cut.cut_end)) end) + 1,
            (
                case
                    when {{ cuts }} is null or i = size({{ cuts }}) then octet_length({{ text }})
                    else element_at({{ cuts }}, i + 1).cut_start
                end
            ) - (case when i = 0 then 0 else array_max(transform(slice({{ cuts }}, 1, i), cut -> cut.cut_end)) end)
        ) as string))
    )
{%- endmacro %}

{% macro spark__has_null_element(items) -%}
    exists({{ items }}, item -> item is null)
{%- endmacro %}

{#- Byte order, as DuckDB sorts strings, so a string that starts another sorts before it. -#}
{% macro spark__without_each(text, strings) -%}
    coalesce(
        regexp_replace(
            {{ text }},
            array_join(transform(reverse(array_sort({{ strings }})), link -> {{ spark__regexp_escape('link') }}), '|'),
            ' '
        ),
        {{ text }}
    )
{%- endmacro %}

{#- The primary subtags of a post's language tags (JSON), lowercased: ["pt-BR"] -> ['pt']; [] when not a list. -#}
{% macro primary_language_subtags(languages) %}{{ return(adapter.dispatch('primary_language_subtags')(languages)) }}{% endmacro %}

{% macro default__primary_language_subtags(languages) -%}
    list_transform(
        coalesce(json_extract_string({{ languages }}, '$[*]'), []),
        lambda tag: lower(split_part(tag, '-', 1))
    )
{%- endmacro %}

{% macro spark__primary_language_subtags(languages) -%}
    transform(
        coalesce(try_variant_get({{ languages }}, '$', 'array<string>'), array()),
        tag -> lower(split_part(tag, '-', 1))
    )
{%- endmacro %}

{#- The elements of `items` joined by `separator` (nulls left out). -#}
{% macro list_join(items, separator) %}{{ return(adapter.dispatch('list_join')(items, separator)) }}{% endmacro %}

{% macro default__list_join(items, separator) %}array_to_string({{ items }}, {{ separator }}){% endmacro %}

{% macro spark__list_join(items, separator) %}array_join({{ items }}, {{ separator }}){% endmacro %}

{#- One row per element of `items` (a select-list expression). -#}
{% macro unnest(items) %}{{ return(adapter.dispatch('unnest')(items)) }}{% endmacro %}

{% macro default__unnest(items) %}unnest({{ items }}){% endmacro %}

{% macro spark__unnest(items) %}explode({{ items }}){% endmacro %}

{#- The list of a group's values (an aggregate). -#}
{% macro list_agg(value) %}{{ return(adapter.dispatch('list_agg')(value)) }}{% endmacro %}

{% macro default__list_agg(value) %}list({{ value }}){% endmacro %}

{% macro spark__list_agg(value) %}collect_list({{ value }}){% endmacro %}

{% macro list_contains(items, item) %}{{ return(adapter.dispatch('list_contains')(items, item)) }}{% endmacro %}

{% macro default__list_contains(items, item) %}list_contains({{ items }}, {{ item }}){% endmacro %}

{% macro spark__list_contains(items, item) %}array_contains({{ items }}, {{ item }}){% endmacro %}

{#- A CTE read where it is used: DuckDB would otherwise spill a CTE referenced twice to a temporary result; Spark inlines CTEs. -#}
{% macro not_materialized() %}{{ return(adapter.dispatch('not_materialized')()) }}{% endmacro %}

{% macro default__not_materialized() %}not materialized{% endmacro %}

{% macro spark__not_materialized() %}{% endmacro %}
