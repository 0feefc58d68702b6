{#
    Several rules on one model in one query: `rules` maps a rule's name (say which column and what it must
    be) to a condition every row must meet (NULL counts as breaking it); `unique_combinations` lists column
    combinations that must not repeat. The test fails with one row per broken rule: its name, its condition
    and how many rows break it. For a view (marts.worklist), each test on it evaluates the whole view again:
    ten tests took 5.5 s of an incremental run at ten years, this one query about a fifth of that
    (docs/benchmarks.md); for any model it is one dbt node, query and Dagster check instead of one per rule.
#}
{% test column_rules(model, rules={}, unique_combinations=[]) %}
    {%- set checks = [] -%}
    {%- for name, condition in rules.items() -%}
        {%- do checks.append((name, condition, "count(*) filter (where not coalesce((" ~ condition ~ "), false))")) -%}
    {%- endfor -%}
    {%- for columns in unique_combinations -%}
        {%- set tuple = "(" ~ (columns | join(", ")) ~ ")" -%}
        {%- do checks.append(
            ((columns | join(", ")) ~ " unique", "no repeated " ~ tuple, "count(*) - count(distinct " ~ tuple ~ ")")
        ) -%}
    {%- endfor -%}
    with

    counts as (

        select
            {%- for name, condition, count in checks %}
            {{ count }} as rule_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ model }}

    )

    select rule, condition, broken_rows
    from (
        {%- for name, condition, count in checks %}
        select '{{ name | replace("'", "''") }}' as rule, '{{ condition | replace("'", "''") }}' as condition,
            rule_{{ loop.index }} as broken_rows
        from counts
        {{ "union all" if not loop.last }}
        {%- endfor %}
    ) as checked
    where broken_rows > 0
{% endtest %}
