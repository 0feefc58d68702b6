-- Current state of each person's course (latest extract per staff_pseudonym and course_code).

with

source as (

    select * from {{ source('learning', 'training') }}

),

cleaned as (

    select
        ----------  ids
        trim(staff_pseudonym) as staff_pseudonym,
        trim(course_code) as course_code,

        ----------  text and codes
        {{ clean_text('unit_code') }} as unit_code,
        {{ clean_text('role_cluster') }} as role_cluster,
        {{ clean_text('status') }} as training_status,

        ----------  dates
        assigned_on,
        completed_on,

        ----------  lineage
        {{ extract_lineage_columns() }}

    from source

),

current_state as (

    {{ current_rows('cleaned', ['staff_pseudonym', 'course_code']) }}

),

final as (

    select
        *,
        training_status = 'COMPLETED' as is_completed

    from current_state

)

select * from final
