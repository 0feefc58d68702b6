-- Compliance of TIMELY72 and TEST2 per financial year, quarter and recording unit (the unit that created
-- the crime record), nationally: so the Resolution Team's timeliness is a rate with its Wilson interval,
-- not a count. The tests are a var (recording_unit_tests), so another crime test can be added without SQL.

with

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

counted as (

    select
        fiscal_year,
        fiscal_quarter,
        test_code,
        coalesce(recording_unit, 'UNKNOWN') as recording_unit,
        {{ examined_and_compliant() }}

    from verdicts
    where test_code in ('{{ var("recording_unit_tests") | join("', '") }}')
    group by fiscal_year, fiscal_quarter, test_code, coalesce(recording_unit, 'UNKNOWN')

),

final as (

    {{ compliance_mart_rows('counted', ['fiscal_year', 'fiscal_quarter', 'test_code', 'recording_unit']) }}

)

select * from final
