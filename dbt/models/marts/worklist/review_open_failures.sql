-- Open failures by division, review state and age band (days since first seen failing): what is waiting
-- to be put right and how long it has waited. Overturned disputes are rule errors, not open failures:
-- they are counted in review_outcomes. A view over the worklist (refreshed with the review copy).

{{ config(materialized='view') }}

with

worklist as (

    select * from {{ ref('worklist') }}

),

open_failures as (

    select * from worklist
    where review_state <> 'overturned'

),

final as (

    select
        division_code,
        review_state,
        any_value(review_state_words) as review_state_words,
        age_band,
        age_band_order,
        count(*) as open_failures,
        count(*) filter (where is_new_since_last_publication) as new_since_last_publication

    from open_failures
    group by division_code, review_state, age_band, age_band_order

)

select * from final
