-- Agreement of the rules with the registrars per sample and test, nationally: the divisions' 2x2 tables
-- summed (every audited record counts once; not weighted by stratum), agreement % and Cohen's kappa
-- recomputed from the sums.

with

division_agreement as (

    select * from {{ ref('audit_agreement_by_division_test') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

summed as (

    select
        sample_id,
        fiscal_year,
        fiscal_quarter,
        test_code,
        sum(both_compliant) as a,
        sum(rule_only_failed) as b,
        sum(registrar_only_failed) as c,
        sum(both_noncompliant) as d

    from division_agreement
    group by sample_id, fiscal_year, fiscal_quarter, test_code

),

final as (

    select
        summed.sample_id,
        summed.fiscal_year,
        summed.fiscal_quarter,
        summed.test_code,
        {{ agreement_figures('summed.a', 'summed.b', 'summed.c', 'summed.d') }}

    from summed
    left join audit_tests
        on summed.test_code = audit_tests.test_code
    order by
        summed.sample_id,
        audit_tests.display_order

)

select * from final
