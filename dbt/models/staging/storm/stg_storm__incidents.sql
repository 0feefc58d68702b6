-- Current state of each incident (latest extract), trimmed, with flags as booleans.

-- Incremental by key: see macros rows_to_rebuild and with_built_rows.
{{ config(
    materialized='incremental', unique_key='incident_id',
    incremental_strategy='delete+insert', on_schema_change='fail'
) }}

with

source as (

    select * from {{ rows_to_rebuild(source('storm', 'incidents')) }}

),

cleaned as (

    select
        ----------  ids
        trim(incident_id) as incident_id,
        {{ clean_text('division_code') }} as division_code,

        ----------  text and codes
        {{ clean_text('grade') }} as grade,
        {{ clean_text('channel') }} as channel,
        {{ clean_text('initial_type_code') }} as initial_type_code,
        {{ clean_text('final_type_code') }} as final_type_code,
        {{ clean_text('disposal_code') }} as disposal_code,
        {{ clean_text('closing_unit') }} as closing_unit,

        ----------  booleans
        {{ flag_to_boolean('cyber_flag') }} as is_cyber_flagged,

        ----------  timestamps (naive Europe/London local wall-clock time)
        created_at,
        closed_at,

        ----------  lineage
        {{ extract_lineage_columns() }}

    from source

),

with_flags as (

    select
        *,
        closed_at is null as is_open,
        cast(created_at as date) as created_date

    from cleaned

),

current_state as (

    {{ current_rows(with_built_rows('with_flags', 'incident_id'), ['incident_id']) }}

),

final as (

    select * from current_state

)

select * from final
