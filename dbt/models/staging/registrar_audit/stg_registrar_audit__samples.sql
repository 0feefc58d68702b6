-- Current state of every sampled record: for each (sample_id, test_code, record_id) the row of the latest
-- audit_sample extract. Empty (same columns) until a first sample has been loaded.

{%- set source_relation = source('registrar_audit', 'audit_sample') %}
{#- In a unit test source() is the fixture: always read it. #}
{%- if execute and model.resource_type != 'unit_test' %}
    {%- set source_exists = load_relation(source_relation) is not none %}
{%- else %}
    {%- set source_exists = true %}
{%- endif %}

with

{% if source_exists %}
source as (

    select * from {{ source_relation }}

),
{% else %}
source as (

    select
        cast(null as varchar) as sample_id,
        cast(null as varchar) as test_code,
        cast(null as varchar) as record_id,
        cast(null as varchar) as division_code,
        cast(null as varchar) as fiscal_year,
        cast(null as bigint) as fiscal_quarter,
        cast(null as bigint) as stratum_population,
        cast(null as bigint) as stratum_sample_size,
        cast(null as date) as event_date,
        cast(null as varchar) as incident_id,
        cast(null as varchar) as crime_id,
        cast(null as varchar) as incident_type_code,
        cast(null as varchar) as crime_code,
        cast(null as varchar) as recording_unit,
        cast(null as timestamp) as extracted_at,
        cast(null as varchar) as _source_file,
        cast(null as bigint) as _source_line,
        cast(null as varchar) as _run_id,
        cast(null as timestamp) as _loaded_at
    where false

),
{% endif %}

cleaned as (

    select
        ----------  ids
        {{ clean_text('sample_id') }} as sample_id,
        {{ clean_text('test_code') }} as test_code,
        {{ clean_text('record_id') }} as record_id,

        ----------  stratum
        {{ clean_text('division_code') }} as division_code,
        {{ clean_text('fiscal_year') }} as fiscal_year,
        cast(fiscal_quarter as integer) as fiscal_quarter,
        cast(stratum_population as bigint) as stratum_population,
        cast(stratum_sample_size as bigint) as stratum_sample_size,

        ----------  how a registrar finds the record
        event_date,
        {{ clean_text('incident_id') }} as incident_id,
        {{ clean_text('crime_id') }} as crime_id,
        {{ clean_text('incident_type_code') }} as incident_type_code,
        {{ clean_text('crime_code') }} as crime_code,
        {{ clean_text('recording_unit') }} as recording_unit,

        ----------  lineage
        extracted_at,
        _source_file,
        _source_line,
        _run_id,
        _loaded_at

    from source

),

current_state as (

    select *
    from cleaned
    qualify {{ latest_row_per_key(['sample_id', 'test_code', 'record_id']) }}

)

select * from current_state
