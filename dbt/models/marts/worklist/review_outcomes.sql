-- What became of failing records, by division: open failures, how many were resolved and the median days
-- from first seen failing to resolved (extract dates), and disputes settled by registrars. A dispute
-- overturned is a rule error (the record was right, the rule wrong): counted for the registrars, never
-- as an open failure. A view (refreshed with the review copy at publication).

{{ config(materialized='view') }}

with

divisions as (

    select * from {{ ref('divisions') }}

),

worklist as (

    select * from {{ ref('worklist') }}

),

review_states as (

    select * from {{ ref('stg_review__states') }}

),

open_by_division as (

    select
        division_code,
        count(*) filter (where review_state <> 'overturned') as open_failures,
        count(*) filter (where review_state = 'disputed') as open_disputes,
        count(*) filter (where review_state = 'still_failing') as still_failing_after_rectification

    from worklist
    group by division_code

),

outcomes_by_division as (

    select
        division_code,
        count(*) filter (where review_state = 'resolved') as resolved,
        median(date_diff('day', first_seen_failing, resolved_on)) filter (
            where review_state = 'resolved' and first_seen_failing is not null
        ) as median_days_to_resolve,
        count(*) filter (where dispute_outcome = 'upheld') as disputes_upheld,
        count(*) filter (where dispute_outcome = 'overturned') as rule_errors

    from review_states
    group by division_code

),

final as (

    select
        divisions.division_code,
        divisions.division_name,
        coalesce(open_by_division.open_failures, 0) as open_failures,
        coalesce(open_by_division.open_disputes, 0) as open_disputes,
        coalesce(open_by_division.still_failing_after_rectification, 0) as still_failing_after_rectification,
        coalesce(outcomes_by_division.resolved, 0) as resolved,
        outcomes_by_division.median_days_to_resolve,
        coalesce(outcomes_by_division.disputes_upheld, 0) as disputes_upheld,
        coalesce(outcomes_by_division.rule_errors, 0) as rule_errors

    from divisions
    left join open_by_division
        on divisions.division_code = open_by_division.division_code
    left join outcomes_by_division
        on divisions.division_code = outcomes_by_division.division_code

)

select * from final
