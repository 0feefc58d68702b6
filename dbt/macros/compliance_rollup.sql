{#
    A compliance mart (contract section 4): int_compliance_counts summed to `grain` (the columns that
    identify a row, ending with test_code), then the figures recomputed from the sums (compliance_figures),
    ordered by the grain with the tests in audit_tests.display_order. The division, command-area and
    national marts differ only in their grain.
#}
{% macro compliance_rollup(grain) -%}
    {%- set columns = grain | join(', ') -%}
    {%- set order_columns = grain | reject('equalto', 'test_code') | list -%}

with

division_counts as (

    select * from {{ ref('int_compliance_counts') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

counted as (

    select
        {{ columns }},
        cast(sum(examined) as bigint) as examined,
        cast(sum(compliant) as bigint) as compliant

    from division_counts
    group by {{ columns }}

),

final as (

    select
        {% for column in grain -%}
        counted.{{ column }},
        {% endfor -%}
        counted.examined,
        counted.compliant,
        {{ compliance_figures('counted.compliant', 'counted.examined') }}

    from counted
    left join audit_tests
        on counted.test_code = audit_tests.test_code
    order by
        {% for column in order_columns -%}
        counted.{{ column }},
        {% endfor -%}
        audit_tests.display_order

)

select * from final
{%- endmacro %}
