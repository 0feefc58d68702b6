-- The run the review copy belongs to, and its extract date (as_of: the latest extracted_at of the
-- incidents and crimes loaded, as a date). Ages on the worklist are counted to this date.

{{ config(materialized='view') }}

with

source as (

    select * from {{ source('review', 'reconciliation') }}

),

renamed as (

    select
        run_id,
        as_of

    from source

)

select * from renamed
