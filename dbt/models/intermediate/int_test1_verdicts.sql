-- TEST1 Crime-related incidents: every incident whose current disposal is crime related (seed
-- disposal_codes.crime_related = Y) is compliant when at least one crime, of any status and any
-- division, links to it (crime.incident_id = incident_id). Dated by the incident's created_at; the
-- division is the incident's.

-- Incremental: only the records this run's delivery can have changed are re-judged (macro rejudged_keys):
-- the pre-hook forgets their verdicts and the new ones are appended (macro forget_rejudged).
{{ config(
    materialized='incremental', incremental_strategy='append',
    on_schema_change='fail', pre_hook="{{ forget_rejudged('incident') }}"
) }}

with

incidents as (

    select * from {{ rejudged_incidents() }}

),

crimes as (

    select * from {{ ref('stg_crime_system__crimes') }}

),

disposal_codes as (

    select * from {{ ref('disposal_codes') }}

),

crime_related_incidents as (

    select
        incidents.*,
        {{ incident_type_code('incidents') }}

    from incidents
    inner join disposal_codes
        on incidents.disposal_code = disposal_codes.disposal_code
    where disposal_codes.crime_related = 'Y'

),

linked_crimes as (

    select
        incident_id,
        count(*) as linked_crime_count

    from crimes
    where incident_id is not null and {{ is_rejudged('incident_id', 'incident') }}
    group by incident_id

),

judged as (

    select
        crime_related_incidents.*,
        coalesce(linked_crimes.linked_crime_count, 0) as linked_crime_count,

        nullif(concat_ws(';',
            case when linked_crimes.incident_id is null then 'CRIME_NOT_RECORDED' end
        ), '') as failure_reasons

    from crime_related_incidents
    left join linked_crimes
        on crime_related_incidents.incident_id = linked_crimes.incident_id

),

final as (

    select
        {{ verdict_select('TEST1', 'incident_id', 'created_at', of='incident') }},

        ----------  test-specific detail
        grade,
        channel,
        initial_type_code,
        final_type_code,
        closed_at,
        linked_crime_count

    from judged

)

select * from final
