-- Every examined record of every test, one row per test and record, with its verdict: the union of the
-- five int_*_verdicts models on their shared columns. A view: the marts read it once each.

{{ config(materialized='view') }}

{%- set verdict_models = [
    'int_test1_verdicts',
    'int_test2_verdicts',
    'int_nocrime_verdicts',
    'int_timely72_verdicts',
    'int_cyber_verdicts',
] %}

with

{% for model_name in verdict_models %}
{{ model_name | replace('int_', '') }} as (

    select {{ verdict_columns() | join(', ') }}
    from {{ ref(model_name) }}

),

{% endfor %}
unioned as (

    {% for model_name in verdict_models -%}
    select * from {{ model_name | replace('int_', '') }}
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}

)

select * from unioned
