-- How often the rules and the registrars agree, per sample, division and test: the 2x2 table of audited
-- records that the rules still judge, agreement % and Cohen's kappa with its asymptotic 95% interval
-- (macro cohens_kappa_columns; blank when undefined).

with

sampled as (

    select * from {{ ref('int_audit__sampled_records') }}

),

divisions as (

    select * from {{ ref('divisions') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

counted as (

    select
        sample_id,
        fiscal_year,
        fiscal_quarter,
        division_code,
        test_code,
        count(*) filter (where rule_is_compliant and registrar_is_compliant) as a,
        count(*) filter (where not rule_is_compliant and registrar_is_compliant) as b,
        count(*) filter (where rule_is_compliant and not registrar_is_compliant) as c,
        count(*) filter (where not rule_is_compliant and not registrar_is_compliant) as d

    from sampled
    where is_audited and rule_is_compliant is not null
    group by sample_id, fiscal_year, fiscal_quarter, division_code, test_code

),

final as (

    select
        counted.sample_id,
        counted.fiscal_year,
        counted.fiscal_quarter,
        counted.division_code,
        divisions.division_name,
        divisions.command_area,
        counted.test_code,
        {{ agreement_figures('counted.a', 'counted.b', 'counted.c', 'counted.d') }}

    from counted
    left join divisions
        on counted.division_code = divisions.division_code
    left join audit_tests
        on counted.test_code = audit_tests.test_code
    order by
        counted.sample_id,
        audit_tests.display_order,
        counted.division_code

)

select * from final
