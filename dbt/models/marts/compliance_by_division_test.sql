-- Compliance per financial year, financial quarter, division and test: one row for every combination
-- with at least one examined record. Rates and Wilson 95% bounds in percent (2 dp); status against
-- var('compliance_target_pct') on the unrounded bounds.

with

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

divisions as (

    select * from {{ ref('divisions') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

counted as (

    select
        fiscal_year,
        fiscal_quarter,
        division_code,
        test_code,
        count(*) as examined,
        count(*) filter (where is_compliant) as compliant

    from verdicts
    group by fiscal_year, fiscal_quarter, division_code, test_code

),

final as (

    select
        counted.fiscal_year,
        counted.fiscal_quarter,
        counted.division_code,
        divisions.division_name,
        divisions.command_area,
        counted.test_code,
        counted.examined,
        counted.compliant,
        {{ compliance_figures('counted.compliant', 'counted.examined') }}

    from counted
    left join divisions
        on counted.division_code = divisions.division_code
    left join audit_tests
        on counted.test_code = audit_tests.test_code
    order by
        counted.fiscal_year,
        counted.fiscal_quarter,
        counted.division_code,
        audit_tests.display_order

)

select * from final
