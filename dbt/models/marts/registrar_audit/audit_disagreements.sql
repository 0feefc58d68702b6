-- Every audited record where the registrar and the rules differ, with both verdicts and both reason lists:
-- what the registrars and the rule owners review together. Record-level: a division sees only its own rows.

with

sampled as (

    select * from {{ ref('int_audit__sampled_records') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

final as (

    select
        sampled.sample_id,
        sampled.fiscal_year,
        sampled.fiscal_quarter,
        sampled.division_code,
        sampled.test_code,
        sampled.record_id,
        sampled.event_date,
        sampled.incident_id,
        sampled.crime_id,
        case when sampled.rule_is_compliant then 'COMPLIANT' else 'NON_COMPLIANT' end as rule_verdict,
        sampled.rule_failure_reasons,
        case when sampled.registrar_is_compliant then 'COMPLIANT' else 'NON_COMPLIANT' end as registrar_verdict,
        sampled.registrar_failure_reasons,
        case
            when sampled.rule_is_compliant then 'registrar_only_failed'
            else 'rule_only_failed'
        end as disagreement,
        sampled.audited_at

    from sampled
    left join audit_tests
        on sampled.test_code = audit_tests.test_code
    where sampled.is_audited
        and sampled.rule_is_compliant is not null
        and sampled.rule_is_compliant <> sampled.registrar_is_compliant
    order by
        sampled.sample_id,
        audit_tests.display_order,
        sampled.division_code,
        sampled.record_id

)

select * from final
