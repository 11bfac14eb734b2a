{#-
    Times. Both engines run in UTC and treat `timestamp` as naive (Spark: spark.sql.timestampType
    TIMESTAMP_NTZ in transform/profiles.yml). Their casts from text accept different strings (Spark a
    bare year or one-digit fields, DuckDB 'infinity' or a zone name); parse_event_time casts only
    texts of one shape, which both read alike.
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
        when {{ has_zone }}
            then cast(try_cast({{ text }} as timestamp_ltz) as timestamp_ntz)
        else try_cast({{ text }} as timestamp_ntz)
    end
{%- endmacro %}
