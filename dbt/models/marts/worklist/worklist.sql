-- The crime managers' worklist (docs/worklist.md): every failing record, with its reasons in words, the
-- facts needed to find and fix it, how long it has been failing (days since first seen failing, kept
-- across runs by the review store), whether it is new since the last publication, its review state, and
-- a priority: group 1 victim-based sexual or violent crime, group 2 other victim-based crime (and
-- crime-related incidents with no crime recorded), group 3 the rest; within a group the oldest first.
-- Record level: a division sees only its own rows. A view: the review copy is refreshed at publication.

{{ config(materialized='view') }}

with

-- Not materialized: read twice below, and a caller's filter on division_code (a division's worklist, its
-- export) must reach the scan of record_failures rather than a copy of every division's rows (at ten years
-- national, 1.4 million rows copied for a division's 0.3 million: 1.6 s against 0.6 s with the change below).
failures as not materialized (

    select * from {{ ref('record_failures') }}

),

review_states as (

    select * from {{ ref('stg_review__states') }}

),

reconciliation as (

    select * from {{ ref('stg_review__reconciliation') }}

),

failure_reasons as (

    select * from {{ ref('failure_reasons') }}

),

state_words as (

    select * from {{ ref('review_states') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

crime_codes as (

    select * from {{ ref('crime_codes') }}

),

incident_type_categories as (

    select * from {{ ref('incident_type_allowed_categories') }}

),

-- incident types whose crimes may be violent or sexual: a crime-related incident of such a type with no
-- crime recorded (TEST1) goes in the first priority group
violent_or_sexual_incident_types as (

    select distinct incident_type_code
    from incident_type_categories
    where crime_category in ('VIOLENCE', 'SEXUAL')

),

-- The words depend only on the list of reason codes, so they are worked out once per distinct list (a few
-- dozen), not once per failing record (1.4 million at ten years national)
distinct_reason_lists as (

    select distinct failure_reasons from failures

),

reasons_in_words as (

    select
        distinct_reason_lists.failure_reasons,
        string_agg(failure_reasons.reason_words, '; ' order by failure_reasons.display_order) as reasons_in_words

    from distinct_reason_lists
    cross join unnest(string_split(distinct_reason_lists.failure_reasons, ';')) as reason(reason_code)
    inner join failure_reasons
        on reason.reason_code = failure_reasons.reason_code
    group by distinct_reason_lists.failure_reasons

),

joined as (

    select
        failures.*,
        audit_tests.test_name,
        reasons_in_words.reasons_in_words,
        crime_codes.description as crime_description,
        crime_codes.victim_based,
        coalesce(review_states.first_seen_failing, reconciliation.as_of) as first_seen_failing,
        reconciliation.as_of,
        review_states.first_seen_run is null
            or review_states.first_seen_run = reconciliation.run_id as is_new_since_last_publication,
        coalesce(review_states.review_state, 'open') as review_state,
        review_states.review_note,
        review_states.review_updated_at,
        review_states.dispute_outcome,
        case
            when crime_codes.victim_based = 'Y' and failures.crime_category in ('VIOLENCE', 'SEXUAL') then 1
            when failures.crime_code is null
                and failures.incident_type_code in (select incident_type_code from violent_or_sexual_incident_types)
                then 1
            when crime_codes.victim_based = 'Y' or failures.crime_code is null then 2
            else 3
        end as priority_group

    from failures
    cross join reconciliation
    left join audit_tests
        on failures.test_code = audit_tests.test_code
    left join reasons_in_words
        on failures.failure_reasons = reasons_in_words.failure_reasons
    left join crime_codes
        on failures.crime_code = crime_codes.crime_code
    left join review_states
        on failures.test_code = review_states.test_code
        and failures.record_id = review_states.record_id

),

aged as (

    select
        *,
        date_diff('day', first_seen_failing, as_of) as age_days

    from joined

),

final as (

    select
        aged.division_code,
        row_number() over (
            partition by aged.division_code
            order by aged.priority_group, aged.age_days desc, aged.event_date, aged.test_code, aged.record_id
        ) as priority_rank,
        aged.priority_group,
        case aged.priority_group
            when 1 then 'Victim-based sexual or violent crime'
            when 2 then 'Other victim-based crime'
            else 'Other'
        end as priority_words,
        aged.test_code,
        aged.test_name,
        aged.record_id,
        aged.fiscal_year,
        aged.fiscal_quarter,
        aged.event_date,
        aged.failure_reasons,
        aged.reasons_in_words,
        aged.first_seen_failing,
        aged.age_days,
        {{ age_band('aged.age_days') }} as age_band,
        {{ age_band_order('aged.age_days') }} as age_band_order,
        aged.is_new_since_last_publication,
        aged.review_state,
        state_words.state_words as review_state_words,
        aged.review_note,
        aged.review_updated_at,
        aged.dispute_outcome,
        aged.incident_id,
        aged.crime_id,
        aged.incident_type_code,
        aged.disposal_code,
        aged.closing_unit,
        aged.crime_code,
        aged.crime_description,
        aged.crime_category,
        aged.victim_based,
        aged.recording_unit,
        aged.reported_at,
        aged.recorded_at,
        aged.hours_to_record,
        aged.status as crime_status,
        aged.no_crime_reason,
        aged.no_crime_authoriser_role,
        aged.complainer_informed,
        aged.source_system,
        aged.as_of

    from aged
    left join state_words
        on aged.review_state = state_words.review_state

)

select * from final
