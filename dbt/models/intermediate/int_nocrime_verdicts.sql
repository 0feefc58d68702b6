-- NOCRIME No Crime reclassification: every crime whose current status is NO_CRIME. A failing record
-- lists every rule it breaks, in this order:
--   INVALID_REASON                    reason null, or after trimming not exactly a code in seed no_crime_reasons
--   PROCEDURAL_ERROR_ON_VICTIM_CRIME  trimmed reason PROCEDURAL_ERROR on a victim-based crime code
--   MISSING_REQUESTER_OR_AUTHORISER   requester or authoriser null or blank
--   SELF_AUTHORISED                   requester and authoriser both present and equal
--   UNAUTHORISED_ROLE                 authoriser role not one with may_authorise = Y (null included)
--   COMPLAINER_NOT_INFORMED           victim-based crime code and complainer_informed is not 'Y'
-- Dated by no_crime_at; the division is the crime's.

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

no_crime_reasons as (

    select * from {{ ref('no_crime_reasons') }}

),

authoriser_roles as (

    select * from {{ ref('no_crime_authoriser_roles') }}

),

no_crimes as (

    select
        *,
        trim(no_crime_reason) as trimmed_reason,
        nullif(trim(no_crime_requested_by), '') as requester,
        nullif(trim(no_crime_authorised_by), '') as authoriser

    from crimes
    where crime_status = 'NO_CRIME'

),

checked as (

    select
        no_crimes.*,
        crime_codes.crime_category,
        coalesce(crime_codes.victim_based = 'Y', false) as is_victim_based,
        no_crime_reasons.no_crime_reason is not null as is_valid_reason,
        coalesce(authoriser_roles.may_authorise = 'Y', false) as is_authorised_role,
        {{ incident_context_columns('incidents') }}

    from no_crimes
    left join crime_codes
        on no_crimes.crime_code = crime_codes.crime_code
    left join no_crime_reasons
        on no_crimes.trimmed_reason = no_crime_reasons.no_crime_reason
    left join authoriser_roles
        on no_crimes.no_crime_authoriser_role = authoriser_roles.authoriser_role
    left join incidents
        on no_crimes.incident_id = incidents.incident_id

),

judged as (

    select
        *,
        nullif(concat_ws(';',
            case when not is_valid_reason
                then 'INVALID_REASON' end,
            case when trimmed_reason = 'PROCEDURAL_ERROR' and is_victim_based
                then 'PROCEDURAL_ERROR_ON_VICTIM_CRIME' end,
            case when requester is null or authoriser is null
                then 'MISSING_REQUESTER_OR_AUTHORISER' end,
            case when requester = authoriser
                then 'SELF_AUTHORISED' end,
            case when not is_authorised_role
                then 'UNAUTHORISED_ROLE' end,
            case when is_victim_based and coalesce(complainer_informed, '') <> 'Y'
                then 'COMPLAINER_NOT_INFORMED' end
        ), '') as failure_reasons

    from checked

),

final as (

    select
        {{ verdict_select('NOCRIME', 'crime_id', 'no_crime_at') }},

        ----------  test-specific detail
        no_crime_at,
        no_crime_requested_by,
        no_crime_authorised_by,
        is_victim_based,
        is_valid_reason,
        is_authorised_role

    from judged

)

select * from final
