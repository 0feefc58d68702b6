-- One row per stratum of a sample (sample, division, test) with what both audit marts count: population N
-- and sample size from the sample, audited = verdicts returned so far, compliant = the registrar's COMPLIANT
-- verdicts, and the 2x2 table of the rules against the registrar on the audited records the rules still
-- judge (a record without a rule verdict, or not yet audited, is in none of the four cells). The division's
-- name and the test's display order come along for the marts.

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
        count(*) filter (where registrar_is_compliant) as compliant,

        ----------  the 2x2 table (registrar_is_compliant is NULL until audited)
        count(*) filter (where rule_is_compliant and registrar_is_compliant) as both_compliant,
        count(*) filter (where not rule_is_compliant and registrar_is_compliant) as rule_only_failed,
        count(*) filter (where rule_is_compliant and not registrar_is_compliant) as registrar_only_failed,
        count(*) filter (where not rule_is_compliant and not registrar_is_compliant) as both_noncompliant

    from sampled
    group by sample_id, fiscal_year, fiscal_quarter, division_code, test_code

),

final as (

    select
        counted.*,
        divisions.division_name,
        divisions.command_area,
        audit_tests.display_order

    from counted
    left join divisions
        on counted.division_code = divisions.division_code
    left join audit_tests
        on counted.test_code = audit_tests.test_code

)

select * from final
