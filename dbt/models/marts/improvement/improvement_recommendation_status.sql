-- Current status of each recommendation, rolled up from its actions' current statuses with the plan's
-- roll-up rule (macro improvement_rollup_status; docs/improvement_updates.md "Roll-up rule"), with the
-- counts of its actions by status and its target dates:
--   original_target_date  the latest original target of its actions (transferred actions left out);
--   current_target_date   while open, the latest target in force among its open actions; once closed,
--                         the latest target in force among its actions (transferred left out);
--   days_slipped          current_target_date - original_target_date.

with

recommendations as (

    select * from {{ ref('improvement_recommendations') }}

),

action_status as (

    select * from {{ ref('improvement_action_status') }}

),

rolled as (

    select
        recommendation_id,
        count(*) as actions,
        {{ improvement_status_count_columns('status') }},
        {{ improvement_rollup_status('status') }} as status,
        max(original_target_date) filter (where status <> 'TRANSFERRED') as original_target_date,
        max(current_target_date) filter (where not is_closed) as open_target_date,
        max(current_target_date) filter (where status <> 'TRANSFERRED') as latest_target_date,
        max(closed_on) as last_closed_on,
        max(last_update_date) as last_update_date

    from action_status
    group by recommendation_id

),

final as (

    select
        recommendations.recommendation_id,
        recommendations.short_title as recommendation_title,
        rolled.status,
        rolled.status = 'COMPLETE' as is_closed,
        rolled.actions,
        rolled.not_started,
        rolled.on_track,
        rolled.delayed,
        rolled.complete,
        rolled.transferred,
        rolled.closed,
        rolled.original_target_date,
        case
            when rolled.status = 'COMPLETE' then rolled.latest_target_date
            else rolled.open_target_date
        end as current_target_date,
        (case
            when rolled.status = 'COMPLETE' then rolled.latest_target_date
            else rolled.open_target_date
        end) - rolled.original_target_date as days_slipped,
        case when rolled.status = 'COMPLETE' then rolled.last_closed_on end as closed_on,
        rolled.last_update_date

    from recommendations
    inner join rolled
        on recommendations.recommendation_id = rolled.recommendation_id
    order by recommendations.recommendation_id

)

select * from final
