-- National compliance per financial year, quarter and test by crime type (the schemes of
-- compliance_by_category_test): the division counts summed, figures recomputed from the sums.

with

division_figures as (

    select * from {{ ref('compliance_by_category_test') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

counted as (

    select
        fiscal_year,
        fiscal_quarter,
        test_code,
        scheme,
        category_code,
        any_value(category_name) as category_name,
        any_value(hmics_theme) as hmics_theme,
        sum(examined) as examined,
        sum(compliant) as compliant

    from division_figures
    group by fiscal_year, fiscal_quarter, test_code, scheme, category_code

),

final as (

    select
        counted.fiscal_year,
        counted.fiscal_quarter,
        counted.test_code,
        counted.scheme,
        counted.category_code,
        counted.category_name,
        counted.hmics_theme,
        cast(counted.examined as bigint) as examined,
        cast(counted.compliant as bigint) as compliant,
        {{ compliance_figures('counted.compliant', 'counted.examined') }}

    from counted
    left join audit_tests
        on counted.test_code = audit_tests.test_code
    order by
        counted.fiscal_year,
        counted.fiscal_quarter,
        audit_tests.display_order,
        counted.scheme,
        counted.category_code

)

select * from final
