-- Current state of every sampled record: for each (sample_id, test_code, record_id) the row of the latest
-- audit_sample extract. Empty (same columns) until a first sample has been loaded.

with

source as (

    {{ optional_source('registrar_audit', 'audit_sample', {
        'sample_id':           'varchar',
        'test_code':           'varchar',
        'record_id':           'varchar',
        'division_code':       'varchar',
        'fiscal_year':         'varchar',
        'fiscal_quarter':      'bigint',
        'stratum_population':  'bigint',
        'stratum_sample_size': 'bigint',
        'event_date':          'date',
        'incident_id':         'varchar',
        'crime_id':            'varchar',
        'incident_type_code':  'varchar',
        'crime_code':          'varchar',
        'recording_unit':      'varchar',
    }) }}

),

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
        {{ extract_lineage_columns() }}

    from source

),

current_state as (

    {{ current_rows('cleaned', ['sample_id', 'test_code', 'record_id']) }}

)

select * from current_state
