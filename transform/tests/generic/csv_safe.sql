{#-
    The column's values are safe in a spreadsheet cell (OWASP's CSV injection): none starts with
    =, +, -, @, a tab or a carriage return, and none holds a line break. The metric files are written
    from these columns, so every exported column carries this test.
-#}
{% test csv_safe(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ regexp_matches('cast(' ~ column_name ~ ' as ' ~ string_type() ~ ')', '^[=+\\-@\\t\\r]|[\\r\\n]') }}
{% endtest %}
