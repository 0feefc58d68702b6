-- The national audit figure per sample and test: the stratified estimate over division strata
--
--     p = sum(N_h / N * p_h),
--     interval p -/+ z * sqrt(sum((N_h / N)^2 * (1 - n_h / N_h) * p_h (1 - p_h) / (n_h - 1))), clamped to 0-100
--
-- over the strata with at least two audited records or audited in full (a stratum audited in full adds no
-- variance), N being the sum of their N_h; n_h is the stratum's audited count. Check value (contract 6):
-- 1000/100/95 and 3000/150/135 -> 91.25 [87.58, 94.92]. Beside it, automated_pct: the rules' census figure
-- for the same quarter and test (compliance_national_test). population, sampled, audited and compliant
-- are totals over every stratum of the sample.

with

strata as (

    select * from {{ ref('audit_results_by_division_test') }}

),

automated as (

    select * from {{ ref('compliance_national_test') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

weighted as (

    select
        *,
        (audited >= 2 or (audited = population and audited > 0)) as is_estimable,
        cast(compliant as double) / nullif(audited, 0) as p_h

    from strata

),

per_test as (

    select
        sample_id,
        fiscal_year,
        fiscal_quarter,
        test_code,
        sum(population) as population,
        sum(sampled) as sampled,
        sum(audited) as audited,
        sum(compliant) as compliant,
        sum(population) filter (where is_estimable) as estimable_population,
        sum(population * p_h) filter (where is_estimable) as weighted_compliant,
        sum(
            case when audited < population then
                population * population * (1 - cast(audited as double) / population)
                * p_h * (1 - p_h) / (audited - 1)
            else 0 end
        ) filter (where is_estimable) as weighted_variance

    from weighted
    group by sample_id, fiscal_year, fiscal_quarter, test_code

),

estimated as (

    select
        *,
        weighted_compliant / nullif(estimable_population, 0) as p,
        sqrt(weighted_variance) / nullif(estimable_population, 0) as se

    from per_test

),

bounded as (

    select
        *,
        100.0 * greatest(0.0, p - cast({{ var('wilson_z') }} as double) * se) as lower_pct,
        100.0 * least(1.0, p + cast({{ var('wilson_z') }} as double) * se) as upper_pct

    from estimated

),

final as (

    select
        bounded.sample_id,
        bounded.fiscal_year,
        bounded.fiscal_quarter,
        bounded.test_code,
        cast(bounded.population as bigint) as population,
        cast(bounded.sampled as bigint) as sampled,
        cast(bounded.audited as bigint) as audited,
        cast(bounded.compliant as bigint) as compliant,
        round(100.0 * bounded.p, 2) as compliance_pct,
        round(bounded.lower_pct, 2) as ci_lower_pct,
        round(bounded.upper_pct, 2) as ci_upper_pct,
        case when bounded.p is not null then
            {{ compliance_status('bounded.lower_pct', 'bounded.upper_pct') }}
        end as status,
        automated.compliance_pct as automated_pct

    from bounded
    left join automated
        on bounded.fiscal_year = automated.fiscal_year
        and bounded.fiscal_quarter = automated.fiscal_quarter
        and bounded.test_code = automated.test_code
    left join audit_tests
        on bounded.test_code = audit_tests.test_code
    order by
        bounded.sample_id,
        audit_tests.display_order

)

select * from final
