-- Every reason in record_failures is one of its test's reasons (seed audit_tests.failure_reasons, in the
-- contract's order), appears once, and the reasons are listed in that order. Returns offending rows.
-- A row-by-row rule, so an incremental run reads only the failures it rebuilt (scoped_tests.sql): the others
-- are as the last build wrote and tested them, against the same seeds.

with

failures as (

    select
        test_code,
        record_id,
        failure_reasons,
        string_split(failure_reasons, ';') as reasons

    from {{ ref('record_failures') }}
    {%- set rebuilt = rebuilt_rows_condition(ref('record_failures')) %}
    {% if rebuilt %}where {{ rebuilt }}{% endif %}

),

test_reasons as (

    select
        test_code,
        string_split(failure_reasons, ';') as allowed

    from {{ ref('audit_tests') }}

),

positioned as (

    select
        failures.*,
        list_transform(failures.reasons, lambda reason: list_position(test_reasons.allowed, reason)) as positions

    from failures
    left join test_reasons
        on failures.test_code = test_reasons.test_code

)

select test_code, record_id, failure_reasons
from positioned
where positions is null
    or list_contains(positions, null)
    or positions <> list_sort(list_distinct(positions))
