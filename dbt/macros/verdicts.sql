{#
    The columns every int_*_verdicts model starts with, so int_record_verdicts can union them and
    record_failures can show a crime manager where to find and fix a record. One place for all three lists.
#}

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

{# What a crime manager needs to find and fix a record: name -> type, in the published order. #}
{% macro crime_manager_columns() -%}
    {{ return({
        'incident_id': 'varchar',
        'crime_id': 'varchar',
        'incident_type_code': 'varchar',
        'disposal_code': 'varchar',
        'closing_unit': 'varchar',
        'crime_code': 'varchar',
        'crime_category': 'varchar',
        'recording_unit': 'varchar',
        'reported_at': 'timestamp',
        'recorded_at': 'timestamp',
        'crime_status': 'varchar',
        'no_crime_reason': 'varchar',
        'no_crime_authoriser_role': 'varchar',
        'complainer_informed': 'varchar',
        'source_system': 'varchar',
    }) }}
{%- endmacro %}

{# Of those, the ones an incident has (a test on incidents leaves the others NULL). #}
{% macro incident_columns() -%}
    {{ return(['incident_id', 'incident_type_code', 'disposal_code', 'closing_unit']) }}
{%- endmacro %}

{# The columns every int_*_verdicts model starts with, in order (int_record_verdicts unions them). #}
{% macro verdict_columns() -%}
    {{ return([
        'test_code', 'record_id', 'division_code', 'event_at', 'event_date', 'event_month',
        'fiscal_year', 'fiscal_quarter', 'is_compliant', 'failure_reasons',
    ] + (crime_manager_columns().keys() | list)) }}
{%- endmacro %}

{#
    The select list of those columns for one test, from a CTE that has division_code, failure_reasons
    (NULL when compliant) and the crime-manager columns. record_id and event_at are column names or
    expressions; event_at also dates the record (event_period_columns). With `of='incident'` only the
    incident's columns are read and the crime's are NULL of their type. No trailing comma: the model
    follows with its test-specific columns.
#}
{% macro verdict_select(test_code, record_id, event_at, of='crime') -%}
    {%- if of not in ('crime', 'incident') -%}
        {{ exceptions.raise_compiler_error("verdict_select: of must be 'crime' or 'incident', not " ~ of) }}
    {%- endif -%}
    '{{ test_code }}' as test_code,
        {{ record_id }} as record_id,
        division_code,
        {{ event_at }} as event_at,
        {{ event_period_columns(event_at) }},
        failure_reasons is null as is_compliant,
        failure_reasons,
        {%- for column, data_type in crime_manager_columns().items() %}
        {% if of == 'crime' or column in incident_columns() -%}
            {{ column }}
        {%- else -%}
            cast(null as {{ data_type }}) as {{ column }}
        {%- endif -%}
        {{- ',' if not loop.last }}
        {%- endfor %}
{%- endmacro %}

{# An incident's type as the tests read it: the final type, else the initial one. #}
{% macro incident_type_code(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    coalesce({{ prefix }}final_type_code, {{ prefix }}initial_type_code) as incident_type_code
{%- endmacro %}

{# The incident columns a crime's verdict shows (type, disposal, closing unit), from `relation`. #}
{% macro incident_context_columns(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ incident_type_code(relation) }},
        {{ prefix }}disposal_code,
        {{ prefix }}closing_unit
{%- endmacro %}
