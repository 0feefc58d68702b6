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

    Incremental (issues #7, 15): only the rows loaded since the model was built; with_built_rows adds the
    model's current row of each of their keys, which is the latest of that key's older rows (the model equals a
    full rebuild), so the latest of both is the key's latest row over its whole history. The pipeline runs dbt
    with --full-refresh whenever that would not hold (dbt project changed, raw rows removed, this run's rows
    stamped earlier than rows already built: dagster_project/dbt.py). The rows loaded since: those stamped after
    the newest row in the model, and those stamped at that same instant by another run than the one that
    loaded it (its other rows at that instant were built with it). Raw is appended in load order, so DuckDB
    reads only the last row groups; the key's older rows are not read again (after a full build every raw
    row has the same load time: matching keys against them cost 10 s a month at ten years).
    A full build reads every row.
#}
{% macro rows_to_rebuild(source_relation) -%}
    {%- if is_incremental() -%}
    (
        -- the rows loaded since this table was built (see above)
        select * from {{ source_relation }}
        where _loaded_at > ({{ newest_load(this) }})
        union all
        -- Those stamped at that instant by another run: the runs are found from two columns first, so the
        -- rows themselves are read only for such a run (usually none: after a full build every raw row has
        -- the newest stamp, and comparing each row's run directly read all of them, 0.7 s at ten years).
        select * from {{ source_relation }}
        where _loaded_at = ({{ newest_load(this) }})
            and _run_id in (
                select _run_id from {{ source_relation }} where _loaded_at = ({{ newest_load(this) }})
                except
                select min(_run_id) from {{ this }} where _loaded_at = ({{ newest_load(this) }})
            )
    )
    {%- else -%}
    {{ source_relation }}
    {%- endif %}
{%- endmacro %}

{# The load time of the newest row in `relation` (an empty one: every row is newer). #}
{% macro newest_load(relation) -%}
    select coalesce(max(_loaded_at), '-infinity'::timestamp) from {{ relation }}
{%- endmacro %}

{#
    The rows a current-state model picks from (with current_rows): `relation` (a CTE of cleaned rows with every
    column of the model); in an incremental run, also the model's current row of each of their keys (see
    rows_to_rebuild). `key_column` is the model's (trimmed) key.
#}
{% macro with_built_rows(relation, key_column) -%}
    {%- if is_incremental() -%}
    (
        select * from {{ relation }}
        union all by name
        select * from {{ this }} where {{ in_keys(key_column, 'select ' ~ key_column ~ ' from ' ~ relation) }}
    )
    {%- else -%}
    {{ relation }}
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
