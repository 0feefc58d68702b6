-- Current status of every action of the improvement plan: its latest update (docs/improvement_updates.md).
-- Every action of the seed has a row; an action with no update yet is NOT_STARTED with no dates.

with

actions as (

    select * from {{ ref('improvement_actions') }}

),

history as (

    select * from {{ ref('int_improvement__action_history') }}

),

latest as (

    select * from history where is_latest

),

per_action as (

    select
        action_id,
        count(*) as updates_received,
        min(update_date) as first_update_date,
        max(update_date) filter (where not is_closed) as last_open_update_date

    from history
    group by action_id

),

closing as (

    -- the first update of the final unbroken run of closed updates: when the action closed
    select
        history.action_id,
        min(history.update_date) as closed_on

    from history
    inner join per_action
        on history.action_id = per_action.action_id
    where history.is_closed
        and history.update_date > coalesce(per_action.last_open_update_date, date '1900-01-01')
    group by history.action_id

),

final as (

    select
        actions.recommendation_id,
        actions.action_id,
        actions.short_title as action_title,
        actions.lead_group,
        actions.lead_group_name,
        coalesce(latest.status, 'NOT_STARTED') as status,
        coalesce(latest.is_closed, false) as is_closed,
        latest.update_date as last_update_date,
        latest.original_target_date,
        latest.revised_target_date,
        latest.current_target_date,
        latest.revision_reason,
        latest.progress_note,
        latest.next_steps,
        latest.reported_by,
        coalesce(per_action.updates_received, 0) as updates_received,
        per_action.first_update_date,
        case when latest.is_closed then closing.closed_on end as closed_on

    from actions
    left join latest
        on actions.action_id = latest.action_id
    left join per_action
        on actions.action_id = per_action.action_id
    left join closing
        on actions.action_id = closing.action_id
    order by actions.recommendation_id, actions.action_seq

)

select * from final
