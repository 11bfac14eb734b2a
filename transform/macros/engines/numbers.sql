{#- Numbers. DuckDB spells integer division //, Spark div (both round toward zero). -#}

{#- The integer quotient of `dividend` by `divisor`. -#}
{% macro integer_divide(dividend, divisor) %}{{ return(adapter.dispatch('integer_divide')(dividend, divisor)) }}{% endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    {{ dividend }} // {{ divisor }}
{%- endmacro %}

{% macro spark__integer_divide(dividend, divisor) -%}
    ({{ dividend }} div {{ divisor }})
{%- endmacro %}
