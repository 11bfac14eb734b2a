{#-
    Strings and patterns. DuckDB's patterns are RE2, Spark's are Java's: the patterns in this
    project are written in the part both read alike, and the calls below bridge the rest (a full
    match is anchored with \z on Java, whose $ also matches before a final line break; Java's \s
    also matches a vertical tab, so patterns spell out the whitespace they mean). Spark reads string
    literals raw (spark.sql.parser.escapedStringLiterals, transform/profiles.yml), as DuckDB does.
-#}

{#- The UTF-8 text of the bytes `bytes`, null when they are not UTF-8. -#}
{% macro utf8_text(bytes) %}{{ return(adapter.dispatch('utf8_text')(bytes)) }}{% endmacro %}

{% macro default__utf8_text(bytes) -%}
    try(decode({{ bytes }}))
{%- endmacro %}

{% macro spark__utf8_text(bytes) -%}
    try_validate_utf8(cast({{ bytes }} as string))
{%- endmacro %}

{#- Whether `pattern` matches somewhere in `text`. -#}
{% macro regexp_matches(text, pattern) %}{{ return(adapter.dispatch('regexp_matches')(text, pattern)) }}{% endmacro %}

{% macro default__regexp_matches(text, pattern) -%}
    regexp_matches({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_matches(text, pattern) -%}
    ({{ text }} rlike '{{ pattern }}')
{%- endmacro %}

{#- Whether `pattern` matches the whole of `text`. -#}
{% macro regexp_full_match(text, pattern) %}{{ return(adapter.dispatch('regexp_full_match')(text, pattern)) }}{% endmacro %}

{% macro default__regexp_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_full_match(text, pattern) -%}
    ({{ text }} rlike '\A(?:{{ pattern }})\z')
{%- endmacro %}

{#- `text` with every match of `pattern` replaced by `replacement`. -#}
{% macro regexp_replace_all(text, pattern, replacement) %}{{ return(adapter.dispatch('regexp_replace_all')(text, pattern, replacement)) }}{% endmacro %}

{% macro default__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- Every match of group `group` of `pattern` in `text`, as a list. -#}
{% macro regexp_extract_all(text, pattern, group=0) %}{{ return(adapter.dispatch('regexp_extract_all')(text, pattern, group)) }}{% endmacro %}

{% macro default__regexp_extract_all(text, pattern, group) -%}
    regexp_extract_all({{ text }}, '{{ pattern }}'{{ ', ' ~ group if group else '' }})
{%- endmacro %}

{% macro spark__regexp_extract_all(text, pattern, group) -%}
    regexp_extract_all({{ text }}, '{{ pattern }}', {{ group }})
{%- endmacro %}

{#- Java: a backslash before any character but a letter or digit makes it literal. -#}
{% macro spark__regexp_escape(text) -%}
    regexp_replace({{ text }}, '([^\p{L}\p{N}\p{M}])', '\\$1')
{%- endmacro %}

{#- Position of `part` in `text`, from 1; 0 when absent. -#}
{% macro strpos(text, part) %}{{ return(adapter.dispatch('strpos')(text, part)) }}{% endmacro %}

{% macro default__strpos(text, part) -%}
    strpos({{ text }}, {{ part }})
{%- endmacro %}

{% macro spark__strpos(text, part) -%}
    instr({{ text }}, {{ part }})
{%- endmacro %}

{% macro ends_with(text, suffix) %}{{ return(adapter.dispatch('ends_with')(text, suffix)) }}{% endmacro %}

{% macro default__ends_with(text, suffix) -%}
    ends_with({{ text }}, {{ suffix }})
{%- endmacro %}

{% macro spark__ends_with(text, suffix) -%}
    endswith({{ text }}, {{ suffix }})
{%- endmacro %}

{#- `text` without the characters of `characters` (an SQL string expression) at either end. -#}
{% macro trim_characters(text, characters) %}{{ return(adapter.dispatch('trim_characters')(text, characters)) }}{% endmacro %}

{% macro default__trim_characters(text, characters) -%}
    trim({{ text }}, {{ characters }})
{%- endmacro %}

{% macro spark__trim_characters(text, characters) -%}
    trim(both {{ characters }} from {{ text }})
{%- endmacro %}

{#- The SQL string type, for casts. -#}
{% macro string_type() %}{{ return(adapter.dispatch('string_type')()) }}{% endmacro %}

{% macro default__string_type() %}varchar{% endmacro %}

{% macro spark__string_type() %}string{% endmacro %}

{#-
    Lowercase, one character at a time as DuckDB does. Java's toLowerCase (Spark's lower) maps
    U+0130 (I with a dot) to two characters and a final capital sigma to a final small one (ς); those
    two are mapped first, as DuckDB maps them. (The JVM's locale is set to English in
    transform/profiles.yml, so an I never becomes a dotless ı.)
-#}
{% macro lower_text(text) %}{{ return(adapter.dispatch('lower_text')(text)) }}{% endmacro %}

{% macro default__lower_text(text) -%}
    lower({{ text }})
{%- endmacro %}

{% macro spark__lower_text(text) -%}
    lower(replace(replace({{ text }}, 'İ', 'i'), 'Σ', 'σ'))
{%- endmacro %}
