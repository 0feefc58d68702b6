{#
    Every data test of one model in one query: one dbt node, one query and one Dagster check per model,
    where a test per rule cost about 33 ms of dbt's per-node overhead each (Jinja compile, a transaction,
    event logging) and, on a view such as marts.worklist, evaluated the whole view again each time.
    The test fails with one row per broken rule: its name (the column and what it must be), its condition
    in SQL and how many rows break it. Each key has exactly the semantics of the test it replaces:

    - not_null: [col, ...]                    dbt's not_null: a NULL breaks it.
    - unique: [col, ...]                      dbt's unique: NULLs are ignored; counts the rows repeating a
                                              value already seen.
    - accepted_values: {col: [v, ...]}        dbt's accepted_values (values quoted): a NULL passes.
      or {col: {values: [...], quote: false}} unquoted (numbers), as dbt's `quote: false`.
    - relationships: {col: {to: ref('m'), field: f}}
                                              dbt's relationships: a NULL passes; otherwise the value must be
                                              a value of `f` in `m`. Only the tested model is scoped to the
                                              rows a run rebuilt (get_where_subquery), never `m`, as in dbt.
    - expressions: [sql, ...]                 the old expression_is_true: NULL breaks it (on a column, write
                                              the column name first: "linked_crime_count >= 0").
    - rules: {name: sql}                      as expressions, under a name of its own.
    - unique_combinations: [[col, ...], ...]  the old unique_combination_of_columns: the combination must not
                                              repeat (NULLs compare equal, as in its GROUP BY).
#}
{% test column_rules(
    model,
    not_null=[],
    unique=[],
    accepted_values={},
    relationships={},
    expressions=[],
    rules={},
    unique_combinations=[]
) %}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append((
            column ~ " not null",
            column ~ " is not null",
            "count(*) filter (where " ~ column ~ " is null)"
        )) -%}
    {%- endfor -%}
    {%- for column in unique -%}
        {%- do checks.append((
            column ~ " unique",
            "no repeated " ~ column ~ " (NULLs ignored)",
            "count(" ~ column ~ ") - count(distinct " ~ column ~ ")"
        )) -%}
    {%- endfor -%}
    {%- for column, accepted in accepted_values.items() -%}
        {%- set values = accepted["values"] if accepted is mapping else accepted -%}
        {%- set quote = accepted.get("quote", true) if accepted is mapping else true -%}
        {%- set literals = [] -%}
        {%- for value in values -%}
            {%- do literals.append("'" ~ value ~ "'" if quote else value | string) -%}
        {%- endfor -%}
        {%- set listed = literals | join(", ") -%}
        {%- set shown = listed if literals | length <= 8 else (literals[:8] | join(", ")) ~ ", ... "
            ~ (literals | length) ~ " values" -%}
        {%- do checks.append((
            column ~ " in (" ~ shown ~ ") or null",
            column ~ " in (" ~ listed ~ ") or " ~ column ~ " is null",
            "count(*) filter (where " ~ column ~ " not in (" ~ listed ~ "))"
        )) -%}
    {%- endfor -%}
    {%- for column, parent in relationships.items() -%}
        {%- set to_name = parent["to"].identifier if parent["to"] is not string else parent["to"] -%}
        {%- do checks.append((
            column ~ " in " ~ to_name ~ "." ~ parent["field"] ~ " or null",
            column ~ " is null or " ~ column ~ " in (select " ~ parent["field"] ~ " from " ~ parent["to"] ~ ")",
            "count(*) filter (where checked_rows." ~ column ~ " is not null and not exists (select 1 from "
            ~ parent["to"] ~ " as parent where parent." ~ parent["field"] ~ " = checked_rows." ~ column ~ "))"
        )) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- set shown = expression.split() | join(" ") -%}
        {%- do checks.append((shown, shown, "count(*) filter (where not coalesce((" ~ expression ~ "), false))")) -%}
    {%- endfor -%}
    {%- for name, condition in rules.items() -%}
        {%- do checks.append((name, condition, "count(*) filter (where not coalesce((" ~ condition ~ "), false))")) -%}
    {%- endfor -%}
    {%- for columns in unique_combinations -%}
        {%- set tuple = "(" ~ (columns | join(", ")) ~ ")" -%}
        {%- do checks.append((
            (columns | join(", ")) ~ " unique",
            "no repeated " ~ tuple,
            "count(*) - count(distinct row" ~ tuple ~ ")"
        )) -%}
    {%- endfor -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ ": no rules given") }}
    {%- endif -%}
    with

    counts as (

        select
            {%- for name, condition, count in checks %}
            {{ count }} as rule_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
        from (select * from {{ model }}) as checked_rows

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
