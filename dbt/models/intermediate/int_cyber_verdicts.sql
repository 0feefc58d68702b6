-- CYBER Cyber marker: every crime (any status) linked to an incident whose current cyber_flag is Y (any
-- disposal) is compliant when the crime carries the cyber marker (Y). Dated by the incident's
-- created_at; the division is the crime's.

with

crimes as (

    select * from {{ ref('stg_crime_system__crimes') }}

),

incidents as (

    select * from {{ ref('stg_storm__incidents') }}

),

crime_codes as (

    select * from {{ ref('crime_codes') }}

),

cyber_incidents as (

    select
        incident_id,
        created_at as incident_created_at,
        coalesce(final_type_code, initial_type_code) as incident_type_code,
        disposal_code,
        closing_unit

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
        'CYBER' as test_code,
        crime_id as record_id,
        division_code,
        incident_created_at as event_at,
        {{ event_period_columns('incident_created_at') }},
        failure_reasons is null as is_compliant,
        failure_reasons,

        ----------  what a crime manager needs to find and fix the record
        incident_id,
        crime_id,
        incident_type_code,
        disposal_code,
        closing_unit,
        crime_code,
        crime_category,
        recording_unit,
        reported_at,
        recorded_at,
        crime_status,
        no_crime_reason,
        no_crime_authoriser_role,
        complainer_informed,
        source_system,

        ----------  test-specific detail
        has_cyber_marker

    from judged

)

select * from final
