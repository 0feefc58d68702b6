-- Review state of every (test, record) ever seen failing, as copied from the review store.
-- A view: the copy is refreshed at publication, after dbt has run (docs/worklist.md).

{{ config(materialized='view') }}

with

source as (

    select * from {{ source('review', 'review_state') }}

),

renamed as (

    select
        ----------  ids
        test_code,
        record_id,
        division_code,

        ----------  review
        state as review_state,
        note as review_note,
        updated_at as review_updated_at,
        dispute_outcome,

        ----------  dates
        first_seen_failing,
        first_seen_run,
        resolved_on

    from source

)

select * from renamed
