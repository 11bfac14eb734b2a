{#-
    Times. Both engines run in UTC and treat `timestamp` as naive (Spark: spark.sql.timestampType
    TIMESTAMP_NTZ in transform/profiles.yml). Their casts from text accept different strings:
    Spark also takes a bare year ('2026') or a date with one-digit fields and refuses a lowercase
    'z', so on Spark a text is cast only when it has the shape DuckDB's cast accepts.
-#}

{#- A timestamp with a zone (a Parquet column written as UTC) as naive UTC. -#}
{% macro as_naive_utc(value) %}{{ return(adapter.dispatch('as_naive_utc')(value)) }}{% endmacro %}

{% macro default__as_naive_utc(value) -%}
    {{ value }} at time zone 'UTC'
{%- endmacro %}

{% macro spark__as_naive_utc(value) -%}
    cast({{ value }} as timestamp_ntz)
{%- endmacro %}

{#- The text of a zoned time (Z, z, +02:00) as UTC, of a naive one as it is; null when unparseable. -#}
{% macro cast_event_time(text, has_zone) %}{{ return(adapter.dispatch('cast_event_time')(text, has_zone)) }}{% endmacro %}

{% macro default__cast_event_time(text, has_zone) -%}
    case
        when {{ has_zone }}
            then try_cast({{ text }} as timestamptz) at time zone 'UTC'
        else try_cast({{ text }} as timestamp)
    end
{%- endmacro %}

{% macro spark__cast_event_time(text, has_zone) -%}
    case
        when not {{ text }} rlike '\A *-?\d{4,}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d*)?)?)? *(?:[Zz]|[+-]\d\d(?::?\d\d)?)? *\z'
            then null
        when {{ has_zone }}
            then cast(try_cast(regexp_replace({{ text }}, 'z *\z', 'Z') as timestamp_ltz) as timestamp_ntz)
        else try_cast({{ text }} as timestamp_ntz)
    end
{%- endmacro %}
