-- TEST2 Associated recorded crime: every crime (any status) linked to an incident in TEST1's population
-- (current disposal crime related) is compliant when its crime code's category is allowed for the
-- incident's type: the final type, else the initial type (seed incident_type_allowed_categories;
-- incident_types.allows_any_category = Y allows every category). Dated by the INCIDENT's created_at; the
-- division is the crime's.

-- Incremental: only the records this run's delivery can have changed are re-judged (macro rejudged_keys):
-- the pre-hook forgets their verdicts and the new ones are appended (macro forget_rejudged).
{{ config(
    materialized='incremental', incremental_strategy='append',
    on_schema_change='fail', pre_hook="{{ forget_rejudged('crime') }}"
) }}

with

incidents as (

    select * from {{ incidents_of_rejudged_crimes() }}

),

crimes as (

    select * from {{ rejudged_crimes() }}

),

disposal_codes as (

    select * from {{ ref('disposal_codes') }}

),

crime_codes as (

    select * from {{ ref('crime_codes') }}

),

incident_types as (

    select * from {{ ref('incident_types') }}

),

allowed_categories as (

    select * from {{ ref('incident_type_allowed_categories') }}

),

crime_related_incidents as (

    select
        incidents.incident_id,
        incidents.created_at as incident_created_at,
        incidents.initial_type_code,
        incidents.final_type_code,
        {{ incident_context_columns('incidents') }}

    from incidents
    inner join disposal_codes
        on incidents.disposal_code = disposal_codes.disposal_code
    where disposal_codes.crime_related = 'Y'

),

linked_crimes as (

    select
        crimes.*,
        crime_related_incidents.incident_created_at,
        crime_related_incidents.initial_type_code,
        crime_related_incidents.final_type_code,
        crime_related_incidents.incident_type_code,
        crime_related_incidents.disposal_code,
        crime_related_incidents.closing_unit

    from crimes
    inner join crime_related_incidents
        on crimes.incident_id = crime_related_incidents.incident_id

),

classified as (

    select
        linked_crimes.*,
        crime_codes.crime_category,
        coalesce(incident_types.allows_any_category = 'Y', false)
            or allowed_categories.crime_category is not null as is_category_allowed

    from linked_crimes
    left join crime_codes
        on linked_crimes.crime_code = crime_codes.crime_code
    left join incident_types
        on linked_crimes.incident_type_code = incident_types.incident_type_code
    left join allowed_categories
        on linked_crimes.incident_type_code = allowed_categories.incident_type_code
        and crime_codes.crime_category = allowed_categories.crime_category

),

judged as (

    select
        *,
        nullif(concat_ws(';',
            case when not is_category_allowed then 'WRONG_CLASSIFICATION' end
        ), '') as failure_reasons

    from classified

),

final as (

    select
        {{ verdict_select('TEST2', 'crime_id', 'incident_created_at') }},

        ----------  test-specific detail
        initial_type_code,
        final_type_code,
        is_category_allowed

    from judged

)

select * from final
