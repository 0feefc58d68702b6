-- Command-area and national rows are exactly the sums of their divisions, for every quarter and test,
-- and no area or national row exists without divisions. Returns mismatches.

with

divisions as (

    select * from {{ ref('compliance_by_division_test') }}

),

by_area as (

    select
        'area' as level,
        fiscal_year,
        fiscal_quarter,
        command_area as unit,
        test_code,
        sum(examined) as examined,
        sum(compliant) as compliant

    from divisions
    group by fiscal_year, fiscal_quarter, command_area, test_code

),

by_nation as (

    select
        'national' as level,
        fiscal_year,
        fiscal_quarter,
        'Scotland' as unit,
        test_code,
        sum(examined) as examined,
        sum(compliant) as compliant

    from divisions
    group by fiscal_year, fiscal_quarter, test_code

),

expected as (

    select * from by_area
    union all
    select * from by_nation

),

published as (

    select
        'area' as level,
        fiscal_year,
        fiscal_quarter,
        command_area as unit,
        test_code,
        examined,
        compliant

    from {{ ref('compliance_by_command_area_test') }}

    union all

    select
        'national' as level,
        fiscal_year,
        fiscal_quarter,
        'Scotland' as unit,
        test_code,
        examined,
        compliant

    from {{ ref('compliance_national_test') }}

)

select
    coalesce(expected.level, published.level) as level,
    coalesce(expected.fiscal_year, published.fiscal_year) as fiscal_year,
    coalesce(expected.fiscal_quarter, published.fiscal_quarter) as fiscal_quarter,
    coalesce(expected.unit, published.unit) as unit,
    coalesce(expected.test_code, published.test_code) as test_code,
    expected.examined as sum_of_divisions_examined,
    published.examined as published_examined,
    expected.compliant as sum_of_divisions_compliant,
    published.compliant as published_compliant

from expected
full outer join published
    on expected.level = published.level
    and expected.fiscal_year = published.fiscal_year
    and expected.fiscal_quarter = published.fiscal_quarter
    and expected.unit is not distinct from published.unit
    and expected.test_code = published.test_code
where expected.examined is distinct from published.examined
    or expected.compliant is distinct from published.compliant
