{#-
    Event time from the producer's `timestamp` string: naive times (Python isoformat, with or without
    a fraction) are taken as they are; a time with a zone (Z, +02:00) is converted to UTC.
    Null when unparseable.
-#}
{% macro parse_event_time(text) -%}
    {{ cast_event_time(text, regexp_matches(text, '\d:\d\d(:\d\d(\.\d*)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$')) }}
{%- endmacro %}
