-- Every failing record of every test, with every reason it failed (';'-separated, in the contract's
-- order) and what a crime manager needs to find and fix it. Record level: a division sees only the rows
-- with its own division_code. Unordered: exports sort what they write.

-- Incremental: the failures of the records re-judged in this run replace theirs (macro rejudged_keys): the
-- pre-hook forgets the old ones and the new ones are appended (macro forget_rejudged).
{{ config(
    materialized='incremental', incremental_strategy='append',
    on_schema_change='fail', pre_hook="{{ forget_rejudged(test1_is_incident=true, by_name=true) }}"
) }}

with

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

-- every crime is in TIMELY72's population, which computes its real hours to record once
crime_timings as (

    select
        crime_id,
        hours_to_record

    from {{ ref('int_timely72_verdicts') }}
    where {{ is_rejudged('crime_id', 'crime', by_name=true) }}

),

failures as (

    select * from verdicts
    where not is_compliant
        and (
            (test_code = 'TEST1' and {{ is_rejudged('record_id', 'incident', by_name=true, ranged=false) }})
            or (test_code <> 'TEST1' and {{ is_rejudged('record_id', 'crime', by_name=true) }})
        )

),

final as (

    select
        failures.test_code,
        failures.record_id,
        failures.division_code,
        failures.fiscal_year,
        failures.fiscal_quarter,
        failures.event_date,
        failures.failure_reasons,
        failures.incident_id,
        failures.crime_id,
        failures.incident_type_code,
        failures.disposal_code,
        failures.closing_unit,
        failures.crime_code,
        failures.crime_category,
        failures.recording_unit,
        failures.reported_at,
        failures.recorded_at,
        round(crime_timings.hours_to_record, 2) as hours_to_record,
        failures.crime_status as status,
        failures.no_crime_reason,
        failures.no_crime_authoriser_role,
        failures.complainer_informed,
        failures.source_system

    from failures
    left join crime_timings
        on failures.crime_id = crime_timings.crime_id

)

select * from final
