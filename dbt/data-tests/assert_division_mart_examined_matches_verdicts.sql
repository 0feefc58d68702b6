-- Every examined record is counted once in compliance_by_division_test: per test, financial year and
-- quarter, the mart's examined and compliant equal the counts of int_record_verdicts. Returns mismatches.

with

verdict_counts as (

    select
        test_code,
        fiscal_year,
        fiscal_quarter,
        count(*) as examined,
        count(*) filter (where is_compliant) as compliant

    from {{ ref('int_record_verdicts') }}
    group by test_code, fiscal_year, fiscal_quarter

),

mart_counts as (

    select
        test_code,
        fiscal_year,
        fiscal_quarter,
        sum(examined) as examined,
        sum(compliant) as compliant

    from {{ ref('compliance_by_division_test') }}
    group by test_code, fiscal_year, fiscal_quarter

)

select
    coalesce(verdict_counts.test_code, mart_counts.test_code) as test_code,
    coalesce(verdict_counts.fiscal_year, mart_counts.fiscal_year) as fiscal_year,
    coalesce(verdict_counts.fiscal_quarter, mart_counts.fiscal_quarter) as fiscal_quarter,
    verdict_counts.examined as verdict_examined,
    mart_counts.examined as mart_examined,
    verdict_counts.compliant as verdict_compliant,
    mart_counts.compliant as mart_compliant

from verdict_counts
full outer join mart_counts
    on verdict_counts.test_code = mart_counts.test_code
    and verdict_counts.fiscal_year = mart_counts.fiscal_year
    and verdict_counts.fiscal_quarter = mart_counts.fiscal_quarter
where verdict_counts.examined is distinct from mart_counts.examined
    or verdict_counts.compliant is distinct from mart_counts.compliant
