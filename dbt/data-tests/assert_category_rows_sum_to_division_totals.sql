-- Each crime-type scheme that partitions the records (category_2021 every year, legacy_group to
-- var('legacy_groups_last_fiscal_year')) sums, per quarter, division and test, to exactly the division's
-- examined and compliant of compliance_by_division_test; and every crime test's division row is covered.
-- Returns mismatches.

with

division_figures as (

    select * from {{ ref('compliance_by_division_test') }}
    where test_code <> 'TEST1'

),

category_figures as (

    select * from {{ ref('compliance_by_category_test') }}
    where scheme in ('category_2021', 'legacy_group')

),

schemes as (

    select 'category_2021' as scheme, null as last_fiscal_year
    union all
    select 'legacy_group', '{{ var("legacy_groups_last_fiscal_year") }}'

),

expected as (

    select division_figures.*, schemes.scheme
    from division_figures
    cross join schemes
    where schemes.last_fiscal_year is null or division_figures.fiscal_year <= schemes.last_fiscal_year

),

summed as (

    select
        fiscal_year,
        fiscal_quarter,
        division_code,
        test_code,
        scheme,
        sum(examined) as examined,
        sum(compliant) as compliant

    from category_figures
    group by fiscal_year, fiscal_quarter, division_code, test_code, scheme

),

final as (

    select
        coalesce(expected.fiscal_year, summed.fiscal_year) as fiscal_year,
        coalesce(expected.fiscal_quarter, summed.fiscal_quarter) as fiscal_quarter,
        coalesce(expected.division_code, summed.division_code) as division_code,
        coalesce(expected.test_code, summed.test_code) as test_code,
        coalesce(expected.scheme, summed.scheme) as scheme,
        expected.examined as division_examined,
        summed.examined as category_examined,
        expected.compliant as division_compliant,
        summed.compliant as category_compliant

    from expected
    full outer join summed
        on expected.fiscal_year = summed.fiscal_year
        and expected.fiscal_quarter = summed.fiscal_quarter
        and expected.division_code = summed.division_code
        and expected.test_code = summed.test_code
        and expected.scheme = summed.scheme
    where expected.examined is distinct from summed.examined
        or expected.compliant is distinct from summed.compliant

)

select * from final
