-- Current verdict on every audited record: for each (sample_id, test_code, record_id) the row of the latest
-- audit_outcomes extract, so a corrected verdict in a later file replaces the earlier one. Failure reasons
-- are trimmed code by code. Empty (same columns) until a first outcomes file has been loaded.

with

source as (

    {{ optional_source('registrar_audit', 'audit_outcomes', {
        'sample_id':       'varchar',
        'test_code':       'varchar',
        'record_id':       'varchar',
        'verdict':         'varchar',
        'failure_reasons': 'varchar',
        'audited_by':      'varchar',
        'audited_at':      'timestamp',
    }) }}

),

cleaned as (

    select
        ----------  ids
        {{ clean_text('sample_id') }} as sample_id,
        {{ clean_text('test_code') }} as test_code,
        {{ clean_text('record_id') }} as record_id,

        ----------  verdict
        {{ clean_text('verdict') }} as verdict,
        nullif(
            array_to_string(list_transform(string_split(failure_reasons, ';'), lambda x: trim(x)), ';'), ''
        ) as failure_reasons,
        {{ clean_text('audited_by') }} as audited_by,
        audited_at,

        ----------  lineage
        {{ extract_lineage_columns() }}

    from source

),

current_state as (

    {{ current_rows('cleaned', ['sample_id', 'test_code', 'record_id']) }}

),

final as (

    select
        sample_id,
        test_code,
        record_id,
        verdict,
        verdict = 'COMPLIANT' as is_compliant,
        failure_reasons,
        audited_by,
        audited_at,
        {{ extract_lineage_columns() }}

    from current_state

)

select * from final
