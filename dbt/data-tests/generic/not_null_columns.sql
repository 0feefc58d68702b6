{#
    Fails for every row with a NULL in any of the given columns. One query over the model where a `not_null`
    test per column would be one dbt node, one query and one Dagster check each: a full build's data tests
    are mostly that per-node cost (make bench, docs/benchmarks.md). A failing row shows which column is empty.
#}
{% test not_null_columns(model, column_names) %}
    select {{ column_names | join(', ') }}
    from {{ model }}
    where {% for column in column_names %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
