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
        cast(sum(examined) as bigint) as examined,
        cast(sum(compliant) as bigint) as compliant

    from division_figures
    group by fiscal_year, fiscal_quarter, test_code, scheme, category_code

),

final as (

    {{ compliance_mart_rows('counted', [
        'fiscal_year', 'fiscal_quarter', 'test_code', 'scheme', 'category_code', 'category_name', 'hmics_theme'
    ]) }}

)

select * from final
