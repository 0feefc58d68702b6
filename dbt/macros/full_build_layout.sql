{#
    Hooks of every model (dbt_project.yml): an incremental model's full build (a full refresh, the scheduled
    weekly rebuild) is written with DuckDB's preserve_insertion_order off, then the setting is put back.

    Why: with it on, a parallel `create table as` leaves a half-filled row group where each of DuckDB's
    threads stopped, in the middle of the table. The next incremental run appends a month to the table and
    deletes the rows it re-judges, and its commit then compacts those row groups, rewriting about half of
    every such table for a few thousand rows (0.55 of the commit's 0.9 s at ten years, national volume, the
    first month after each rebuild). With it off, only the last row group is partly filled. These tables have
    no order to keep: every reader orders what it shows (record_failures: the exports sort what they write),
    and none of the eight selects with an `order by`.

    The setting is global to the database, so this is done only when dbt builds one model at a time (a
    full refresh does: dagster_project/dbt.py, dbt_threads), where no other model's `order by` can be
    building alongside. The other models (marts whose `order by` their readers keep) are untouched.
#}
{% macro incremental_full_build_unordered(before) -%}
    {%- if model.config.materialized == 'incremental' and not is_incremental() and target.threads == 1 -%}
        {{ 'set preserve_insertion_order = false' if before else 'reset preserve_insertion_order' }}
    {%- endif -%}
{%- endmacro %}
