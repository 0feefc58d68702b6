-- The committee's status table over time: at each month end from the plan's first month, how many
-- recommendations and how many actions stood at each status. An action's status at a month end is its
-- latest update on or before it (NOT_STARTED before its first update); a recommendation's is rolled up from
-- those with the plan's roll-up rule (macro improvement_rollup_status). `closed` = complete + transferred.

with

month_status as (

    select * from {{ ref('int_improvement__action_month_status') }}

),

action_counts as (

    select
        month_end,
        'action' as level,
        count(*) as items,
        {{ improvement_status_count_columns('status') }}

    from month_status
    group by month_end

),

recommendation_month as (

    select
        month_end,
        recommendation_id,
        {{ improvement_rollup_status('status') }} as status

    from month_status
    group by month_end, recommendation_id

),

recommendation_counts as (

    select
        month_end,
        'recommendation' as level,
        count(*) as items,
        {{ improvement_status_count_columns('status') }}

    from recommendation_month
    group by month_end

),

unioned as (

    select * from recommendation_counts
    union all
    select * from action_counts

),

final as (

    select
        month_end,
        {{ fiscal_year('month_end') }} as fiscal_year,
        {{ fiscal_quarter('month_end') }} as fiscal_quarter,
        month(month_end) in (3, 6, 9, 12) as is_quarter_end,
        level,
        items,
        not_started,
        on_track,
        delayed,
        complete,
        transferred,
        closed

    from unioned
    order by month_end, level desc

)

select * from final
