{#-
    Event identity. DuckDB keys an event by md5_number, a 128-bit unsigned integer (uhugeint), which
    Spark has no type for: Spark keeps the same md5 as its 16 bytes (binary, compared bytewise).
    Either way the key is the md5 of (repo, path, action), so the same events are the same.
-#}

{% macro event_key(identity) %}{{ return(adapter.dispatch('event_key')(identity)) }}{% endmacro %}

{% macro default__event_key(identity) -%}
    md5_number({{ identity }})
{%- endmacro %}

{% macro spark__event_key(identity) -%}
    unhex(md5({{ identity }}))
{%- endmacro %}

{#- A 64-bit hash of a key: only groups candidates, so the two engines' hashes need not agree. -#}
{% macro key_hash(key) %}{{ return(adapter.dispatch('key_hash')(key)) }}{% endmacro %}

{% macro default__key_hash(key) -%}
    hash({{ key }})
{%- endmacro %}

{% macro spark__key_hash(key) -%}
    xxhash64({{ key }})
{%- endmacro %}
