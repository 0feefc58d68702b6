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
    The raw rows a current-state staging model reads, for `select * from ...` in its source CTE.

    Incremental (issue #7): a run recomputes only the keys that received rows, over all their rows, so the
    result equals a full rebuild. The pipeline runs dbt with --full-refresh whenever that would not hold
    (dbt project changed, raw rows removed, load times not after the last build: dagster_project/dbt.py).
    A full build reads every row. `key_column` is the raw key, compared trimmed as staging trims it.
#}
{% macro rows_to_rebuild(source_relation, key_column) -%}
    {{ source_relation }}
    {%- if is_incremental() %}
    -- only the keys with rows loaded since this table was built, each recomputed over its whole history
    where trim({{ key_column }}) in (
        select trim({{ key_column }}) from {{ source_relation }}
        where _loaded_at >= (select max(_loaded_at) from {{ this }})
    )
    {%- endif %}
{%- endmacro %}

{# When the extract was taken and where each row came from (file, line, run, load time), kept through staging. #}
{% macro extract_lineage_columns() -%}
    extracted_at, _source_file, _source_line, _run_id, _loaded_at
{%- endmacro %}

{# The current row of each key of `relation` (a CTE of cleaned rows): see latest_row_per_key. #}
{% macro current_rows(relation, key_columns) -%}
    select * from {{ relation }}
    qualify {{ latest_row_per_key(key_columns) }}
{%- endmacro %}

{#
    The rows of an optional raw table, for the source CTE of a staging model over an extract that may not have
    been loaded yet (improvement tracker, registrar audit): `select *` from the source when the raw table
    exists, else no rows with the same columns, so a warehouse without that extract still builds.

    `columns` maps each raw column to its type, in the raw table's order; the lineage columns every raw table
    carries (extract_lineage_columns) are added. In a unit test source() is the fixture: always read it.
#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set source_relation = source(source_name, table_name) %}
    {%- if execute and model.resource_type != 'unit_test' %}
        {%- set source_exists = load_relation(source_relation) is not none %}
    {%- else %}
        {%- set source_exists = true %}
    {%- endif %}
    {%- if source_exists %}
    select * from {{ source_relation }}
    {%- else %}
    -- {{ source_name }}.{{ table_name }} is not loaded yet: no rows, same columns
    select
        {%- for name, type in columns.items() %}
        cast(null as {{ type }}) as {{ name }},
        {%- endfor %}
        cast(null as timestamp) as extracted_at,
        cast(null as varchar) as _source_file,
        cast(null as bigint) as _source_line,
        cast(null as varchar) as _run_id,
        cast(null as timestamp) as _loaded_at
    where false
    {%- endif %}
{%- endmacro %}
