{#
    Current state of each key in an append-only extract history: the row with the latest extracted_at;
    ties broken by the latest _loaded_at, then the greatest _source_file, then the greatest _source_line,
    so the choice is deterministic. Use as the QUALIFY clause of a select over the raw rows.
#}
{% macro latest_row_per_key(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by
            extracted_at desc nulls last,
            _loaded_at desc nulls last,
            _source_file desc nulls last,
            _source_line desc nulls last
    ) = 1
{%- endmacro %}

{# Y/N flag to boolean: true only for 'Y' (after trimming); N, blank and NULL are false. #}
{% macro flag_to_boolean(column) -%}
    coalesce(trim({{ column }}) = 'Y', false)
{%- endmacro %}

{# A code or reference: trimmed, blank read as NULL. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#
    The period columns every verdict carries, from the local timestamp that dates the record:
    event_date, event_month (first day of the month), fiscal_year ('2020/21'), fiscal_quarter (1-4).
#}
{% macro event_period_columns(event_at) -%}
    cast({{ event_at }} as date) as event_date,
    cast(date_trunc('month', {{ event_at }}) as date) as event_month,
    {{ fiscal_year(event_at) }} as fiscal_year,
    {{ fiscal_quarter(event_at) }} as fiscal_quarter
{%- endmacro %}

{# The columns every int_*_verdicts model starts with, in order (int_record_verdicts unions them). #}
{% macro verdict_columns() -%}
    {{ return([
        'test_code', 'record_id', 'division_code', 'event_at', 'event_date', 'event_month',
        'fiscal_year', 'fiscal_quarter', 'is_compliant', 'failure_reasons',
        'incident_id', 'crime_id', 'incident_type_code', 'disposal_code', 'closing_unit',
        'crime_code', 'crime_category', 'recording_unit', 'reported_at', 'recorded_at',
        'crime_status', 'no_crime_reason', 'no_crime_authoriser_role',
        'complainer_informed', 'source_system',
    ]) }}
{%- endmacro %}
