{#-
    Reading JSON lines (staging). DuckDB extracts the fields in one pass into a list of JSON values;
    Spark parses each line once into a VARIANT and reads the fields from it. Types are named as
    DuckDB's json_type names them, so that staging's rules read the same on both engines.
    The parsers accept different non-JSON (docs/scaling-out.md, tests/spark/test_engine_differences.py):
    DuckDB takes trailing commas and NaN/Infinity, Spark takes anything after the first value; each
    engine's check below rejects its own leniencies, so that both judge by JSON itself.
-#}

{#- The parsed fields of `text` at `paths` (JSON paths): null when `text` is not JSON. -#}
{% macro json_fields(text, paths) %}{{ return(adapter.dispatch('json_fields')(text, paths)) }}{% endmacro %}

{% macro default__json_fields(text, paths) -%}
    try(json_extract({{ text }}, [{{ "'" ~ (paths | join("', '")) ~ "'" }}]))
{%- endmacro %}

{% macro spark__json_fields(text, paths) -%}
    try_parse_json({{ text }})
{%- endmacro %}

{#- The JSON value of field number `index` (from 1), at `path`, of json_fields(). -#}
{% macro json_field(fields, index, path) %}{{ return(adapter.dispatch('json_field')(fields, index, path)) }}{% endmacro %}

{% macro default__json_field(fields, index, path) -%}
    {{ fields }}[{{ index }}]
{%- endmacro %}

{% macro spark__json_field(fields, index, path) -%}
    variant_get({{ fields }}, '{{ path }}')
{%- endmacro %}

{#- The JSON type of `value` as DuckDB names it (VARCHAR, NULL for a JSON null, OBJECT, ...); null when there is no value. -#}
{% macro json_type(value) %}{{ return(adapter.dispatch('json_type')(value)) }}{% endmacro %}

{% macro default__json_type(value) -%}
    json_type({{ value }})
{%- endmacro %}

{#- A JSON null reads as VOID, a missing field as SQL null. -#}
{% macro spark__json_type(value) -%}
    case
        when {{ value }} is null then null
        when is_variant_null({{ value }}) then 'NULL'
        else
            case split_part(schema_of_variant({{ value }}), '<', 1)
                when 'STRING' then 'VARCHAR'
                when 'OBJECT' then 'OBJECT'
                when 'ARRAY' then 'ARRAY'
                when 'BOOLEAN' then 'BOOLEAN'
                else 'NUMBER'
            end
    end
{%- endmacro %}

{#- Whether the JSON text `text` (parsed by json_fields as `fields`) is an object. -#}
{% macro json_text_is_object(text, fields) %}{{ return(adapter.dispatch('json_text_is_object')(text, fields)) }}{% endmacro %}

{% macro default__json_text_is_object(text, fields) -%}
    json_type({{ text }}) = 'OBJECT'
{%- endmacro %}

{% macro spark__json_text_is_object(text, fields) -%}
    {{ spark__json_type(fields) }} = 'OBJECT'
{%- endmacro %}

{#- The text of a JSON value: a string's characters, other values as JSON. -#}
{% macro json_text(value) %}{{ return(adapter.dispatch('json_text')(value)) }}{% endmacro %}

{% macro default__json_text(value) -%}
    {{ value }} ->> '$'
{%- endmacro %}

{% macro spark__json_text(value) -%}
    variant_get({{ value }}, '$', 'string')
{%- endmacro %}

{#-
    Whether `text` (parsed as `fields`) holds what the engine's parser accepts but JSON does not,
    so that it is judged invalid JSON.
-#}
{% macro has_non_standard_json(text, fields) %}{{ return(adapter.dispatch('has_non_standard_json')(text, fields)) }}{% endmacro %}

{#-
    DuckDB's parser also accepts trailing commas and NaN/Infinity, which JSON does not. A cheap
    pattern flags the lines that might hold them; only those are checked outside strings.
    (A case, not an and: only the flagged lines pay for the exact check.) The pattern is three,
    one per leading character: a pattern that starts with a literal lets RE2 jump from one
    candidate to the next instead of stepping through every byte (3x faster than [:,\[]).
-#}
{% macro default__has_non_standard_json(text, fields) -%}
    case
        when
            regexp_matches({{ text }}, ',\s*(?:[\]}]|-?[NnIi][AaNn])')
            or regexp_matches({{ text }}, ':\s*-?[NnIi][AaNn]')
            or regexp_matches({{ text }}, '\[\s*-?[NnIi][AaNn]')
            then regexp_matches(
                regexp_replace({{ text }}, '"(?:[^"\\]|\\.)*"', '""', 'g'),
                ',\s*[\]}]|[:,\[]\s*-?(?:[Nn][Aa][Nn]|[Ii][Nn][Ff])'
            )
        else false
    end
{%- endmacro %}

{#-
    Spark's parser stops after the first value and ignores what follows (`{"a":1} x`). Outside
    strings, the value's JSON (to_json) has as many brackets, commas and colons as the text when
    nothing follows it, and a text holding an object or a list ends with its closing bracket; a
    scalar is one token. (Spark already rejects trailing commas and NaN.)
-#}
{% macro spark__has_non_standard_json(text, fields) -%}
    case
        when {{ fields }} is null then false
        else
            case
                when {{ spark__json_type(fields) }} in ('OBJECT', 'ARRAY')
                    then not (
                        {{ text }} rlike '[}\]][ \t\n\r]*\z'
                        and {{ spark__json_structure_count(text) }}
                        = {{ spark__json_structure_count('to_json(' ~ fields ~ ')') }}
                    )
                else not {{ text }} rlike '\A[ \t\n\r]*("[^"\\]*+(?:\\.[^"\\]*+)*+"|[^ \t\n\r"{}\[\],:]+)[ \t\n\r]*\z'
            end
    end
{%- endmacro %}

{#- Brackets, commas and colons of JSON text outside its strings. -#}
{% macro spark__json_structure_count(text) -%}
    length(regexp_replace(regexp_replace({{ text }}, '"[^"\\]*+(?:\\.[^"\\]*+)*+"', ''), '[^{}\[\],:]', ''))
{%- endmacro %}
