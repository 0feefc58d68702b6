-- SCRS training coverage per unit, role cluster and course, from the current state of each person's
-- course (latest extract per staff_pseudonym and course_code).

with

training as (

    select * from {{ ref('stg_learning__training') }}

),

counted as (

    select
        unit_code,
        role_cluster,
        course_code,
        count(distinct staff_pseudonym) as people,
        count(*) filter (where training_status = 'ASSIGNED') as assigned,
        count(*) filter (where training_status = 'IN_PROGRESS') as in_progress,
        count(*) filter (where training_status = 'COMPLETED') as completed

    from training
    group by unit_code, role_cluster, course_code

),

final as (

    select
        unit_code,
        role_cluster,
        course_code,
        people,
        assigned,
        in_progress,
        completed,
        {{ percentage_half_up('completed', 'people') }} as completion_pct

    from counted
    order by unit_code, role_cluster, course_code

)

select * from final
