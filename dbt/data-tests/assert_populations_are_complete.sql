-- Test populations are complete: TIMELY72 examines every current crime, NOCRIME every current NO_CRIME
-- crime, TEST1 every incident whose disposal is crime related. Returns the tests whose counts differ.

with

expected as (

    select 'TIMELY72' as test_code, count(*) as records
    from {{ ref('stg_crime_system__crimes') }}

    union all

    select 'NOCRIME', count(*)
    from {{ ref('stg_crime_system__crimes') }}
    where crime_status = 'NO_CRIME'

    union all

    select 'TEST1', count(*)
    from {{ ref('stg_storm__incidents') }} as incidents
    inner join {{ ref('disposal_codes') }} as disposal_codes
        on incidents.disposal_code = disposal_codes.disposal_code
    where disposal_codes.crime_related = 'Y'

),

examined as (

    select 'TIMELY72' as test_code, count(*) as records from {{ ref('int_timely72_verdicts') }}
    union all
    select 'NOCRIME', count(*) from {{ ref('int_nocrime_verdicts') }}
    union all
    select 'TEST1', count(*) from {{ ref('int_test1_verdicts') }}

)

select
    expected.test_code,
    expected.records as expected_records,
    examined.records as examined_records

from expected
inner join examined
    on expected.test_code = examined.test_code
where expected.records <> examined.records
