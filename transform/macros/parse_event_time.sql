{#-
    Event time from the producer's `timestamp` string: naive times (Python isoformat, with or without
    a fraction) are taken as they are; a time with a zone (Z, +02:00) is converted to UTC.
    Null when unparseable, and when the text has not the shape of a date with an optional time and
    zone (docs/metrics.md): both engines' casts take words ('infinity', 'epoch'), zone names, tabs
    or a bare year as times, which the input never means, and DuckDB's takes 24:00 as the next day. In that shape the only letters are T and
    the zone's Z, which both casts take in capitals only.
-#}
{% macro parse_event_time(text) -%}
    case
        when {{ regexp_full_match(text, ' *-?\d{4,}-\d\d-\d\d(?:[T ](?:[01]\d|2[0-3]):\d\d(?::\d\d(?:\.\d*)?)?)? *(?:[Zz]|[+-]\d\d(?::?\d\d)?)? *') }}
            then {{ cast_event_time("replace(" ~ text ~ ", 'z', 'Z')", regexp_matches(text, '\d:\d\d(:\d\d(\.\d*)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$')) }}
    end
{%- endmacro %}
