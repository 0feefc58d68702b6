-- Every current update of every action (one row per action and update date), in date order, with the
-- action's recommendation and whether this update moved the target in force (docs/improvement_updates.md,
-- "Slippage rule"). Updates for an action not in the seed are dropped here; the quality gate refuses them
-- and a relationships test on the staging model reports any that get through.

with

updates as (

    select * from {{ ref('stg_improvement_plan__updates') }}

),

actions as (

    select * from {{ ref('improvement_actions') }}

),

ordered as (

    select
        actions.recommendation_id,
        updates.*,
        lag(updates.current_target_date) over (
            partition by updates.action_id order by updates.update_date
        ) as previous_target_date,
        row_number() over (partition by updates.action_id order by updates.update_date) as update_seq,
        count(*) over (partition by updates.action_id) as updates_received

    from updates
    inner join actions
        on updates.action_id = actions.action_id

),

final as (

    select
        *,
        -- a revision: the target in force differs from the previous update's (for the first update, from
        -- the original target)
        case
            when previous_target_date is null then is_target_revised
            else current_target_date is distinct from previous_target_date
        end as is_target_changed,
        update_seq = updates_received as is_latest

    from ordered

)

select * from final
