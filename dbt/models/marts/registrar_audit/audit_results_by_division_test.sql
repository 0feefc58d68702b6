-- The registrars' sampled compliance per sample, division and test: population N and sample size from the
-- sample, audited = verdicts returned so far (progress), compliant = registrar's COMPLIANT verdicts, with
-- the Wilson 95% interval on the audited records and the status against the target (blank until audited).

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
        max(stratum_population) as population,
        count(*) as sampled,
        count(*) filter (where is_audited) as audited,
        count(*) filter (where registrar_is_compliant) as compliant

    from sampled
    group by sample_id, fiscal_year, fiscal_quarter, division_code, test_code

),

figures as (

    select
        counted.*,
        {{ compliance_figures('counted.compliant', 'counted.audited') }}

    from counted

),

final as (

    select
        figures.sample_id,
        figures.fiscal_year,
        figures.fiscal_quarter,
        figures.division_code,
        divisions.division_name,
        divisions.command_area,
        figures.test_code,
        cast(figures.population as bigint) as population,
        cast(figures.sampled as bigint) as sampled,
        cast(figures.audited as bigint) as audited,
        cast(figures.compliant as bigint) as compliant,
        figures.compliance_pct,
        -- nothing audited yet: no interval (the Wilson macro's clamps would turn NULL into 0 and 100)
        case when figures.audited > 0 then figures.ci_lower_pct end as ci_lower_pct,
        case when figures.audited > 0 then figures.ci_upper_pct end as ci_upper_pct,
        case when figures.audited > 0 then figures.status end as status

    from figures
    left join divisions
        on figures.division_code = divisions.division_code
    left join audit_tests
        on figures.test_code = audit_tests.test_code
    order by
        figures.sample_id,
        audit_tests.display_order,
        figures.division_code

)

select * from final
