{#- The worklist's age bands (days since a record was first seen failing), as words that sort by age:
    '0-30 days', '31-90 days', '91-180 days', '181-365 days', 'over 365 days' with var('worklist_age_bands')
    = [30, 90, 180, 365]; age_band_order numbers them 1, 2, ... -#}
{% macro age_band(days) -%}
    {%- set bands = var('worklist_age_bands') -%}
    case
        {%- set ns = namespace(lower=0) %}
        {%- for upper in bands %}
        when {{ days }} <= {{ upper }} then '{{ ns.lower }}-{{ upper }} days'
        {%- set ns.lower = upper + 1 %}
        {%- endfor %}
        else 'over {{ bands[-1] }} days'
    end
{%- endmacro %}

{% macro age_band_order(days) -%}
    {%- set bands = var('worklist_age_bands') -%}
    case
        {%- for upper in bands %}
        when {{ days }} <= {{ upper }} then {{ loop.index }}
        {%- endfor %}
        else {{ bands | length + 1 }}
    end
{%- endmacro %}
