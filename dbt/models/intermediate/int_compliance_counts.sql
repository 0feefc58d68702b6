-- Examined and compliant records per financial year, financial quarter, division and test, with the
-- division's name and command area: the counts every compliance mart sums (macro compliance_rollup), so
-- an area or the nation is exactly the sum of its divisions.

with

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

divisions as (

    select * from {{ ref('divisions') }}

),

counted as (

    select
        fiscal_year,
        fiscal_quarter,
        division_code,
        test_code,
        {{ examined_and_compliant() }}

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
        counted.compliant

    from counted
    left join divisions
        on counted.division_code = divisions.division_code

)

select * from final
