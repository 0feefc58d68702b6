-- Current state of each crime (latest extract: a crime RECORDED in one extract and NO_CRIME in a later
-- one is NO_CRIME), trimmed, with flags as booleans. The real time it took to record a crime is computed
-- once, by int_timely72_verdicts (the test it belongs to).

-- Incremental by key: see macros rows_to_rebuild and with_built_rows. Its post-hooks list the records whose
-- verdicts this run re-judges and keep their rows (macros remember_rejudged, remember_rejudged_rows), which
-- read the incidents as this run leaves them: so it is built after stg_storm__incidents.
-- depends_on: {{ ref('stg_storm__incidents') }}
{{ config(
    materialized='incremental', unique_key='crime_id',
    incremental_strategy='delete+insert', on_schema_change='fail',
    post_hook=["{{ remember_rejudged() }}", "{{ remember_rejudged_rows() }}"]
) }}

with

source as (

    select * from {{ rows_to_rebuild(source('crime_system', 'crimes')) }}

),

cleaned as (

    select
        ----------  ids
        trim(crime_id) as crime_id,
        {{ clean_text('incident_id') }} as incident_id,
        {{ clean_text('division_code') }} as division_code,

        ----------  text and codes
        {{ clean_text('crime_code') }} as crime_code,
        {{ clean_text('recording_unit') }} as recording_unit,
        {{ clean_text('status') }} as crime_status,
        {{ clean_text('source_system') }} as source_system,
        -- kept as given: NOCRIME judges the reason after trimming, and a crime manager sees what was entered
        no_crime_reason,
        {{ clean_text('no_crime_requested_by') }} as no_crime_requested_by,
        {{ clean_text('no_crime_authorised_by') }} as no_crime_authorised_by,
        {{ clean_text('no_crime_authoriser_role') }} as no_crime_authoriser_role,
        {{ clean_text('complainer_informed') }} as complainer_informed,

        ----------  booleans
        {{ flag_to_boolean('cyber_marker') }} as has_cyber_marker,
        {{ flag_to_boolean('complainer_informed') }} as is_complainer_informed,

        ----------  timestamps (naive Europe/London local wall-clock time)
        reported_at,
        recorded_at,
        no_crime_at,

        ----------  lineage
        {{ extract_lineage_columns() }}

    from source

),

with_flags as (

    select
        *,
        crime_status = 'NO_CRIME' as is_no_crime,
        cast(reported_at as date) as reported_date,
        cast(recorded_at as date) as recorded_date

    from cleaned

),

current_state as (

    {{ current_rows(with_built_rows('with_flags', 'crime_id'), ['crime_id']) }}

),

final as (

    select * from current_state

)

select * from final
