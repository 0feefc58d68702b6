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
