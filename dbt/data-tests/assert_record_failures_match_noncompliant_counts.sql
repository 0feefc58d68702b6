-- record_failures holds exactly the non-compliant records: per division, quarter and test, its row count
-- equals examined - compliant in compliance_by_division_test. Returns mismatches.

with

failures as (

    select
        division_code,
        fiscal_year,
        fiscal_quarter,
        test_code,
        count(*) as failing

    from {{ ref('record_failures') }}
    group by division_code, fiscal_year, fiscal_quarter, test_code

),

mart as (

    select
        division_code,
        fiscal_year,
        fiscal_quarter,
        test_code,
        examined - compliant as failing

    from {{ ref('compliance_by_division_test') }}
    where examined > compliant

)

select
    coalesce(failures.division_code, mart.division_code) as division_code,
    coalesce(failures.fiscal_year, mart.fiscal_year) as fiscal_year,
    coalesce(failures.fiscal_quarter, mart.fiscal_quarter) as fiscal_quarter,
    coalesce(failures.test_code, mart.test_code) as test_code,
    failures.failing as record_failures_rows,
    mart.failing as mart_failing

from failures
full outer join mart
    on failures.division_code = mart.division_code
    and failures.fiscal_year = mart.fiscal_year
    and failures.fiscal_quarter = mart.fiscal_quarter
    and failures.test_code = mart.test_code
where failures.failing is distinct from mart.failing
