{#
    Cohen's kappa of the rules against the registrars on a 2x2 table of audited records, with the
    asymptotic standard error that statsmodels' `cohens_kappa` uses (Fleiss, Cohen and Everitt 1969; SE
    under the alternative, not under kappa = 0). Rater 1 = the rules (rows), rater 2 = the registrar
    (columns); category 1 = compliant.

        n = a + b + c + d      a both compliant, d both non-compliant,
                               b rule_only_failed (rules fail, registrar passes), c registrar_only_failed
        p11 = a/n, p12 = c/n, p21 = b/n, p22 = d/n
        r1 = (a + c)/n, r2 = (b + d)/n       (rules' marginals)
        c1 = (a + b)/n, c2 = (c + d)/n       (registrar's marginals)
        po = p11 + p22,  pe = r1 c1 + r2 c2
        kappa = (po - pe) / (1 - pe)
        A = p11 (1 - (r1 + c1)(1 - kappa))^2 + p22 (1 - (r2 + c2)(1 - kappa))^2
        B = (1 - kappa)^2 (p12 (c1 + r2)^2 + p21 (c2 + r1)^2)
        C = (kappa - pe (1 - kappa))^2
        var = (A + B - C) / ((1 - pe)^2 n),   interval kappa -/+ z sqrt(var), clamped to [-1, 1]

    Check value: 180 / 10 / 5 / 5 (a / d / b / c) -> kappa 0.640 [0.433, 0.846]. Undefined (NULL) when no
    record was audited or pe = 1 (both raters put every record in the same category: no disagreement is
    possible, so chance agreement is total and kappa is 0/0). Rounded to 3 decimals.
#}
{% macro cohens_kappa_columns(a, b, c, d, z=none) -%}
    {%- set z = z if z is not none else var('wilson_z') -%}
    {%- set n = '(cast((' ~ a ~ ') + (' ~ b ~ ') + (' ~ c ~ ') + (' ~ d ~ ') as double))' -%}
    {%- set p11 = '(cast(' ~ a ~ ' as double) / ' ~ n ~ ')' -%}
    {%- set p12 = '(cast(' ~ c ~ ' as double) / ' ~ n ~ ')' -%}
    {%- set p21 = '(cast(' ~ b ~ ' as double) / ' ~ n ~ ')' -%}
    {%- set p22 = '(cast(' ~ d ~ ' as double) / ' ~ n ~ ')' -%}
    {%- set r1 = '(' ~ p11 ~ ' + ' ~ p12 ~ ')' -%}
    {%- set r2 = '(' ~ p21 ~ ' + ' ~ p22 ~ ')' -%}
    {%- set c1 = '(' ~ p11 ~ ' + ' ~ p21 ~ ')' -%}
    {%- set c2 = '(' ~ p12 ~ ' + ' ~ p22 ~ ')' -%}
    {%- set po = '(' ~ p11 ~ ' + ' ~ p22 ~ ')' -%}
    {%- set pe = '(' ~ r1 ~ ' * ' ~ c1 ~ ' + ' ~ r2 ~ ' * ' ~ c2 ~ ')' -%}
    {%- set defined = '(' ~ n ~ ' > 0 and ' ~ pe ~ ' < 1 - 1e-12)' -%}
    {%- set k = '((' ~ po ~ ' - ' ~ pe ~ ') / (1 - ' ~ pe ~ '))' -%}
    {%- set term_a = '(' ~ p11 ~ ' * pow(1 - (' ~ r1 ~ ' + ' ~ c1 ~ ') * (1 - ' ~ k ~ '), 2) + '
        ~ p22 ~ ' * pow(1 - (' ~ r2 ~ ' + ' ~ c2 ~ ') * (1 - ' ~ k ~ '), 2))' -%}
    {%- set term_b = '(pow(1 - ' ~ k ~ ', 2) * (' ~ p12 ~ ' * pow(' ~ c1 ~ ' + ' ~ r2 ~ ', 2) + '
        ~ p21 ~ ' * pow(' ~ c2 ~ ' + ' ~ r1 ~ ', 2)))' -%}
    {%- set term_c = 'pow(' ~ k ~ ' - ' ~ pe ~ ' * (1 - ' ~ k ~ '), 2)' -%}
    {%- set se = 'sqrt(greatest((' ~ term_a ~ ' + ' ~ term_b ~ ' - ' ~ term_c ~ ') / (pow(1 - ' ~ pe ~ ', 2) * '
        ~ n ~ '), 0))' -%}
    case when {{ defined }} then round({{ k }}, 3) end as kappa,
    case when {{ defined }} then round(greatest(-1.0, {{ k }} - cast({{ z }} as double) * {{ se }}), 3) end
        as kappa_ci_lower,
    case when {{ defined }} then round(least(1.0, {{ k }} + cast({{ z }} as double) * {{ se }}), 3) end
        as kappa_ci_upper
{%- endmacro %}

{#
    The agreement columns of an audit_agreement_* mart from the four counts of a 2x2 table (see
    cohens_kappa_columns): audited, the four counts, agreement_pct (exact, half up), kappa and its interval.
#}
{% macro agreement_figures(a, b, c, d) -%}
    cast(({{ a }}) + ({{ b }}) + ({{ c }}) + ({{ d }}) as bigint) as audited,
    cast({{ a }} as bigint) as both_compliant,
    cast({{ d }} as bigint) as both_noncompliant,
    cast({{ b }} as bigint) as rule_only_failed,
    cast({{ c }} as bigint) as registrar_only_failed,
    {{ percentage_half_up('(' ~ a ~ ') + (' ~ d ~ ')', '(' ~ a ~ ') + (' ~ b ~ ') + (' ~ c ~ ') + (' ~ d ~ ')') }}
        as agreement_pct,
    {{ cohens_kappa_columns(a, b, c, d) }}
{%- endmacro %}


{# The columns that name one stratum of a sample, first in both audit_*_by_division_test marts. #}
{% macro audit_stratum_columns() -%}
    sample_id, fiscal_year, fiscal_quarter, division_code, division_name, command_area, test_code
{%- endmacro %}
