{#
    Wilson score interval for a proportion `successes` of `trials`, as a fraction 0-1 (unrounded), and
    the status against var('compliance_target_pct'). z is var('wilson_z') (1.959964 for 95%).

      centre = p + z^2 / 2n,  margin = z * sqrt(p(1-p)/n + z^2 / 4n^2),  denom = 1 + z^2 / n
      lower = (centre - margin) / denom,  upper = (centre + margin) / denom

    Clamped to [0, 1] against floating-point round-off (10 of 10 gives exactly 1). NULL when trials = 0.
#}
{% macro wilson_bound(successes, trials, sign, z=none) -%}
    {%- set z = z if z is not none else var('wilson_z') -%}
    {%- set n = '(cast(' ~ trials ~ ' as double))' -%}
    {%- set p = '(cast(' ~ successes ~ ' as double) / nullif(' ~ n ~ ', 0))' -%}
    {%- set zz = '(cast(' ~ z ~ ' as double) * cast(' ~ z ~ ' as double))' -%}
    {{ 'least' if sign == '+' else 'greatest' }}(
        {{ '1.0' if sign == '+' else '0.0' }},
        (
            {{ p }} + {{ zz }} / (2 * {{ n }})
            {{ sign }} cast({{ z }} as double) * sqrt(
                greatest({{ p }} * (1 - {{ p }}) / {{ n }}, 0) + {{ zz }} / (4 * {{ n }} * {{ n }})
            )
        ) / (1 + {{ zz }} / {{ n }})
    )
{%- endmacro %}

{% macro wilson_lower(successes, trials, z=none) -%}
    {{ wilson_bound(successes, trials, '-', z) }}
{%- endmacro %}

{% macro wilson_upper(successes, trials, z=none) -%}
    {{ wilson_bound(successes, trials, '+', z) }}
{%- endmacro %}

{#
    Status against the target on the UNROUNDED bounds (percent, 0-100): meets when lower >= target,
    below when upper < target, otherwise not_distinguishable.
#}
{% macro compliance_status(lower_pct, upper_pct, target_pct=none) -%}
    {%- set target = target_pct if target_pct is not none else var('compliance_target_pct') -%}
    case
        when {{ lower_pct }} >= cast({{ target }} as double) then 'meets'
        when {{ upper_pct }} < cast({{ target }} as double) then 'below'
        else 'not_distinguishable'
    end
{%- endmacro %}

{#
    100 * part / whole as a percentage to 2 dp, computed exactly in integers and rounded half up, as people
    round (29 of 32 = 90.625 -> 90.63; 3 of 4000 = 0.075 -> 0.08, which round() on a DOUBLE gets wrong).
    NULL when whole = 0. part and whole must be non-negative integers.
#}
{% macro percentage_half_up(part, whole) -%}
    ((20000 * ({{ part }}) + ({{ whole }})) // nullif(2 * ({{ whole }}), 0)) / 100.0
{%- endmacro %}

{#
    The four figure columns of a compliance mart from counts: compliance_pct (exact, half up),
    ci_lower_pct, ci_upper_pct (percent 0-100, rounded to 2 dp) and status (decided on the unrounded bounds).
#}
{% macro compliance_figures(compliant, examined) -%}
    {{ percentage_half_up(compliant, examined) }} as compliance_pct,
    round(100.0 * {{ wilson_lower(compliant, examined) }}, 2) as ci_lower_pct,
    round(100.0 * {{ wilson_upper(compliant, examined) }}, 2) as ci_upper_pct,
    {{ compliance_status(
        '100.0 * ' ~ wilson_lower(compliant, examined),
        '100.0 * ' ~ wilson_upper(compliant, examined)
    ) }} as status
{%- endmacro %}
