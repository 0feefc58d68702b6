-- The links between actions as the plan lists them (seed improvement_links), as graph edges with the
-- titles, recommendations and current statuses of both ends. An edge runs from the action whose entry lists
-- the link to the action it names; is_listed_both_ways says the other entry lists it too.

with

links as (

    select * from {{ ref('improvement_links') }}

),

action_status as (

    select * from {{ ref('improvement_action_status') }}

),

final as (

    select
        links.from_action_id,
        from_action.recommendation_id as from_recommendation_id,
        from_action.action_title as from_action_title,
        from_action.status as from_status,
        links.to_action_id,
        to_action.recommendation_id as to_recommendation_id,
        to_action.action_title as to_action_title,
        to_action.status as to_status,
        from_action.recommendation_id <> to_action.recommendation_id as is_cross_recommendation,
        exists (
            select 1
            from links as reverse_links
            where reverse_links.from_action_id = links.to_action_id
                and reverse_links.to_action_id = links.from_action_id
        ) as is_listed_both_ways

    from links
    inner join action_status as from_action
        on links.from_action_id = from_action.action_id
    inner join action_status as to_action
        on links.to_action_id = to_action.action_id
    order by links.from_action_id, links.to_action_id

)

select * from final
