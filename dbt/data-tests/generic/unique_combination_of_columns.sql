{#
    Fails for every combination of the given columns that occurs more than once (like dbt_utils'
    test of the same name, written here because the project installs no hub packages).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}
    select {{ columns_csv }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
{% endtest %}
