-- TIMELY72 Recorded within 72 hours: every crime (any status) is compliant when the real time between
-- reported_at and recorded_at is no more than var('timely_limit_hours') (72). Both are local
-- Europe/London wall-clock times; they are converted to UTC instants first, so a clock change in between
-- counts (2021-03-27 10:00 to 2021-03-30 10:30 is 71.5 hours, not 72.5). Exactly 72:00:00 passes.
-- Dated by reported_at; the division is the crime's.

-- Incremental: only the records this run's delivery can have changed are re-judged (macro rejudged_keys):
-- the pre-hook forgets their verdicts and the new ones are appended (macro forget_rejudged).
{{ config(
    materialized='incremental', incremental_strategy='append',
    on_schema_change='fail', pre_hook="{{ forget_rejudged('crime') }}"
) }}

with

crimes as (

    select * from {{ rejudged_crimes() }}

),

incidents as (

    select * from {{ incidents_of_rejudged_crimes() }}

),

crime_codes as (

    select * from {{ ref('crime_codes') }}

),

timed as (

    select
        crimes.*,
        {{ local_elapsed_seconds('crimes.reported_at', 'crimes.recorded_at') }} as seconds_to_record,
        crime_codes.crime_category,
        {{ incident_context_columns('incidents') }}

    from crimes
    left join crime_codes
        on crimes.crime_code = crime_codes.crime_code
    left join incidents
        on crimes.incident_id = incidents.incident_id

),

judged as (

    select
        *,
        seconds_to_record / 3600.0 as hours_to_record,
        nullif(concat_ws(';',
            case when not coalesce(seconds_to_record <= {{ var('timely_limit_hours') }} * 3600.0, false)
                then 'NOT_RECORDED_WITHIN_72H' end
        ), '') as failure_reasons

    from timed

),

final as (

    select
        {{ verdict_select('TIMELY72', 'crime_id', 'reported_at') }},

        ----------  test-specific detail
        hours_to_record,
        seconds_to_record

    from judged

)

select * from final
