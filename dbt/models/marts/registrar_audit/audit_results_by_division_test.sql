-- The registrars' sampled compliance per sample, division and test: population N and sample size from the
-- sample, audited = verdicts returned so far (progress), compliant = registrar's COMPLIANT verdicts, with
-- the Wilson 95% interval on the audited records and the status against the target (blank until audited).

with

strata as (

    select * from {{ ref('int_audit__stratum_counts') }}

),

figures as (

    select
        strata.*,
        {{ compliance_figures('strata.compliant', 'strata.audited') }}

    from strata

),

final as (

    select
        {{ audit_stratum_columns() }},
        population,
        sampled,
        audited,
        compliant,
        compliance_pct,
        -- nothing audited yet: no interval (the Wilson macro's clamps would turn NULL into 0 and 100)
        case when audited > 0 then ci_lower_pct end as ci_lower_pct,
        case when audited > 0 then ci_upper_pct end as ci_upper_pct,
        case when audited > 0 then status end as status

    from figures
    order by sample_id, display_order, division_code

)

select * from final
