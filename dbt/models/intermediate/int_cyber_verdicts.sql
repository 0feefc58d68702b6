-- CYBER Cyber marker: every crime (any status) linked to an incident whose current cyber_flag is Y (any
-- disposal) is compliant when the crime carries the cyber marker (Y). Dated by the incident's
-- created_at; the division is the crime's.

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

cyber_incidents as (

    select
        incident_id,
        created_at as incident_created_at,
        {{ incident_context_columns() }}

    from incidents
    where is_cyber_flagged

),

judged as (

    select
        crimes.*,
        cyber_incidents.incident_created_at,
        cyber_incidents.incident_type_code,
        cyber_incidents.disposal_code,
        cyber_incidents.closing_unit,
        crime_codes.crime_category,

        nullif(concat_ws(';',
            case when not crimes.has_cyber_marker then 'CYBER_MARKER_MISSING' end
        ), '') as failure_reasons

    from crimes
    inner join cyber_incidents
        on crimes.incident_id = cyber_incidents.incident_id
    left join crime_codes
        on crimes.crime_code = crime_codes.crime_code

),

final as (

    select
        {{ verdict_select('CYBER', 'crime_id', 'incident_created_at') }},

        ----------  test-specific detail
        has_cyber_marker

    from judged

)

select * from final
