{#
    A compliance mart (contract section 4): int_compliance_counts summed to `grain` (the columns that
    identify a row, ending with test_code), then the figures recomputed from the sums (compliance_figures),
    ordered by the grain with the tests in audit_tests.display_order. The division, command-area and
    national marts differ only in their grain.
#}
{% macro compliance_rollup(grain) -%}
    {%- set columns = grain | join(', ') -%}

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

    {{ compliance_mart_rows('counted', grain) }}

)

select * from final
{%- endmacro %}


{#
    The rows of a compliance mart from a CTE of counts (`relation`, with `examined` and `compliant`): its
    `columns`, the counts, and the figures recomputed from them (compliance_figures); ordered by `columns`
    with the test in its place taken by audit_tests.display_order. For the final CTE of a model that has
    an `audit_tests` import CTE (ref('audit_tests')). Every compliance mart ends this way: compliance_rollup's
    three, the thematic and unit marts.
#}
{% macro compliance_mart_rows(relation, columns) -%}
    select
        {% for column in columns -%}
        {{ relation }}.{{ column }},
        {% endfor -%}
        {{ relation }}.examined,
        {{ relation }}.compliant,
        {{ compliance_figures(relation ~ '.compliant', relation ~ '.examined') }}

    from {{ relation }}
    left join audit_tests
        on {{ relation }}.test_code = audit_tests.test_code
    order by
        {% for column in columns -%}
        {{ 'audit_tests.display_order' if column == 'test_code' else relation ~ '.' ~ column }}
        {{- ',' if not loop.last }}
        {% endfor %}
{%- endmacro %}


{#
    How every compliance figure counts rows of verdicts (int_record_verdicts, one row per record a test
    examines): examined = the rows, compliant = those the test passed. For the select list of a grouped query.
#}
{% macro examined_and_compliant() -%}
    count(*) as examined,
    count(*) filter (where is_compliant) as compliant
{%- endmacro %}
