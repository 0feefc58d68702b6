-- Current state of each incident (latest extract), trimmed, with flags as booleans.

with

source as (

    select * from {{ source('storm', 'incidents') }}

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
        extracted_at,

        ----------  lineage
        _source_file,
        _source_line,
        _run_id,
        _loaded_at

    from source

),

current_state as (

    select *
    from cleaned
    qualify {{ latest_row_per_key(['incident_id']) }}

),

final as (

    select
        *,
        closed_at is null as is_open,
        cast(created_at as date) as created_date

    from current_state

)

select * from final
