{#
    Fails for every row where the SQL expression is not true (NULL counts as a failure), like
    dbt_utils' test of the same name. On a column, the expression follows the column name
    (`expression: ">= 0"` checks `<column> >= 0`).
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ column_name ~ ' ' if column_name else '' }}{{ expression }}), false)
{% endtest %}
