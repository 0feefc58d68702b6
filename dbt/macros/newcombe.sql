{#
    Change between two proportions with Newcombe's hybrid score interval (Newcombe 1998, method 10), built
    from the two Wilson intervals (macros/wilson.sql), in percentage points. Contract section 7.

    With p1 = x1/n1 (the later period), p2 = x2/n2 (the earlier), their Wilson bounds [l1, u1], [l2, u2]
    and D = p1 - p2:

      lower = D - sqrt((p1 - l1)^2 + (u2 - p2)^2)
      upper = D + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    Check values (change, lower, upper in points): 96/100 vs 88/100 -> 8.00 [0.31, 16.18];
    56/70 vs 48/80 -> 20.00 [5.24, 33.39]. NULL when either period has no examined record.
#}
{% macro newcombe_bound(x1, n1, x2, n2, sign) -%}
    {%- set p1 = '(cast(' ~ x1 ~ ' as double) / nullif(cast(' ~ n1 ~ ' as double), 0))' -%}
    {%- set p2 = '(cast(' ~ x2 ~ ' as double) / nullif(cast(' ~ n2 ~ ' as double), 0))' -%}
    {%- if sign == '-' -%}
    (100.0 * (
        ({{ p1 }} - {{ p2 }}) - sqrt(
            power({{ p1 }} - {{ wilson_lower(x1, n1) }}, 2) + power({{ wilson_upper(x2, n2) }} - {{ p2 }}, 2)
        )
    ))
    {%- else -%}
    (100.0 * (
        ({{ p1 }} - {{ p2 }}) + sqrt(
            power({{ wilson_upper(x1, n1) }} - {{ p1 }}, 2) + power({{ p2 }} - {{ wilson_lower(x2, n2) }}, 2)
        )
    ))
    {%- endif -%}
{%- endmacro %}

{#
    The words for a change from its UNROUNDED interval in points: improved when the whole interval is above
    0, worsened when below, otherwise no_clear_change; NULL when there is no earlier figure.
#}
{% macro change_words(lower_pp, upper_pp) -%}
    case
        when {{ lower_pp }} is null or {{ upper_pp }} is null then null
        when {{ lower_pp }} > 0 then 'improved'
        when {{ upper_pp }} < 0 then 'worsened'
        else 'no_clear_change'
    end
{%- endmacro %}

{#
    The five change columns against an earlier period: <pct_col> (the earlier rate, 2 dp), <change_col>
    (points, 2 dp), <lower_col>, <upper_col> (Newcombe bounds, 2 dp) and <words_col> (decided on the
    unrounded bounds). x2/n2 NULL (no earlier figure) gives NULL in every column.
#}
{% macro change_figures(x1, n1, x2, n2, pct_col, change_col, lower_col, upper_col, words_col) -%}
    {{ percentage_half_up(x2, n2) }} as {{ pct_col }},
    round(100.0 * (cast({{ x1 }} as double) / nullif(cast({{ n1 }} as double), 0)
        - cast({{ x2 }} as double) / nullif(cast({{ n2 }} as double), 0)), 2) as {{ change_col }},
    round({{ newcombe_bound(x1, n1, x2, n2, '-') }}, 2) as {{ lower_col }},
    round({{ newcombe_bound(x1, n1, x2, n2, '+') }}, 2) as {{ upper_col }},
    {{ change_words(newcombe_bound(x1, n1, x2, n2, '-'), newcombe_bound(x1, n1, x2, n2, '+')) }} as {{ words_col }}
{%- endmacro %}

{#
    A financial period as one integer, so "a year earlier" is index - 4 and "a quarter earlier" index - 1
    across the year boundary (2020/21 Q1 follows 2019/20 Q4). fiscal_year is 'YYYY/YY'.
#}
{% macro fiscal_period_index(fiscal_year, fiscal_quarter) -%}
    (cast(left({{ fiscal_year }}, 4) as integer) * 4 + cast({{ fiscal_quarter }} as integer) - 1)
{%- endmacro %}

{#
    Body of a change mart: every row of `base` (a compliance mart) with its figure a year earlier (same
    quarter) and a quarter earlier, each with its change, Newcombe interval and words. `grain` are the
    columns that identify a series besides the period (e.g. ['division_code', 'test_code']). The earlier
    counts are kept so publication can suppress a change built on a small earlier cell.
#}
{% macro compliance_change_select(base, grain) -%}
with

current_figures as (

    select
        *,
        {{ fiscal_period_index('fiscal_year', 'fiscal_quarter') }} as period_index

    from {{ base }}

),

earlier_figures as (

    select
        {{ grain | join(', ') }},
        period_index,
        examined,
        compliant

    from current_figures

),

final as (

    select
        current_figures.* exclude (period_index),
        previous_year.examined as previous_year_examined,
        previous_year.compliant as previous_year_compliant,
        {{ change_figures(
            'current_figures.compliant', 'current_figures.examined',
            'previous_year.compliant', 'previous_year.examined',
            'previous_year_pct', 'change_pp', 'change_ci_lower_pp', 'change_ci_upper_pp', 'change'
        ) }},
        previous_quarter.examined as previous_quarter_examined,
        previous_quarter.compliant as previous_quarter_compliant,
        {{ change_figures(
            'current_figures.compliant', 'current_figures.examined',
            'previous_quarter.compliant', 'previous_quarter.examined',
            'previous_quarter_pct', 'qoq_change_pp', 'qoq_ci_lower_pp', 'qoq_ci_upper_pp', 'qoq_change'
        ) }}

    from current_figures
    left join earlier_figures as previous_year
        on previous_year.period_index = current_figures.period_index - 4
        {%- for column in grain %}
        and previous_year.{{ column }} = current_figures.{{ column }}
        {%- endfor %}
    left join earlier_figures as previous_quarter
        on previous_quarter.period_index = current_figures.period_index - 1
        {%- for column in grain %}
        and previous_quarter.{{ column }} = current_figures.{{ column }}
        {%- endfor %}
    order by current_figures.period_index, {% for column in grain %}current_figures.{{ column }}{{ ', ' if not loop.last }}{% endfor %}

)

select * from final
{%- endmacro %}
