-- Slippage of every action (docs/improvement_updates.md "Slippage rule"): the target in force now
-- (revised, else original) against the original target, how many times the target moved, when it first
-- moved and why it last moved, and for a completed action how long after its original target it closed.

with

action_status as (

    select * from {{ ref('improvement_action_status') }}

),

history as (

    select * from {{ ref('int_improvement__action_history') }}

),

revisions as (

    select
        action_id,
        count(*) filter (where is_target_changed) as times_revised,
        min(update_date) filter (where is_target_changed) as first_revised_on

    from history
    group by action_id

),

final as (

    select
        action_status.recommendation_id,
        action_status.action_id,
        action_status.action_title,
        action_status.lead_group,
        action_status.status,
        action_status.original_target_date,
        action_status.current_target_date,
        action_status.current_target_date - action_status.original_target_date as days_slipped,
        coalesce(action_status.current_target_date > action_status.original_target_date, false) as is_slipped,
        coalesce(revisions.times_revised, 0) as times_revised,
        revisions.first_revised_on,
        action_status.revision_reason as latest_revision_reason,
        action_status.closed_on,
        case
            when action_status.status = 'COMPLETE'
                then action_status.closed_on - action_status.original_target_date
        end as days_closed_after_original_target

    from action_status
    left join revisions
        on action_status.action_id = revisions.action_id
    order by action_status.recommendation_id, action_status.action_id

)

select * from final
