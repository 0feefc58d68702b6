-- Each action's status at each month end, from the plan's first month to the month of the latest update:
-- the latest update dated on or before the month end. An action with no update yet counts as NOT_STARTED.

with

history as (

    select * from {{ ref('int_improvement__action_history') }}

),

actions as (

    select * from {{ ref('improvement_actions') }}

),

bounds as (

    select max(update_date) as last_update_date from history

),

month_ends as (

    select cast(last_day(month_start) as date) as month_end
    from (
        select unnest(generate_series(
            cast(date_trunc('month', {{ improvement_plan_start() }}) as timestamp),
            cast(date_trunc('month', last_update_date) as timestamp),
            interval 1 month
        )) as month_start
        from bounds
        where last_update_date is not null
    )

),

grid as (

    select
        month_ends.month_end,
        actions.recommendation_id,
        actions.action_id

    from month_ends
    cross join actions

),

latest as (

    select
        grid.month_end,
        grid.recommendation_id,
        grid.action_id,
        history.update_date,
        history.status,
        history.original_target_date,
        history.current_target_date

    from grid
    left join history
        on grid.action_id = history.action_id
        and history.update_date <= grid.month_end
    qualify row_number() over (
        partition by grid.month_end, grid.action_id order by history.update_date desc nulls last
    ) = 1

),

final as (

    select
        month_end,
        recommendation_id,
        action_id,
        coalesce(status, 'NOT_STARTED') as status,
        update_date is not null as has_update,
        update_date as last_update_date,
        original_target_date,
        current_target_date

    from latest

)

select * from final
