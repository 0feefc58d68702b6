-- Every sampled record with the registrar's current verdict (NULL until audited) and the rules' verdict on
-- the same record and test from int_record_verdicts (NULL if the record has since left the test's
-- population, e.g. an incident re-closed with a non-crime disposal).

with

samples as (

    select * from {{ ref('stg_registrar_audit__samples') }}

),

outcomes as (

    select * from {{ ref('stg_registrar_audit__outcomes') }}

),

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

joined as (

    select
        samples.sample_id,
        samples.fiscal_year,
        samples.fiscal_quarter,
        samples.division_code,
        samples.test_code,
        samples.record_id,
        samples.stratum_population,
        samples.stratum_sample_size,
        samples.event_date,
        samples.incident_id,
        samples.crime_id,

        ----------  the registrar
        outcomes.verdict is not null as is_audited,
        outcomes.is_compliant as registrar_is_compliant,
        outcomes.failure_reasons as registrar_failure_reasons,
        outcomes.audited_at,

        ----------  the rules
        verdicts.is_compliant as rule_is_compliant,
        verdicts.failure_reasons as rule_failure_reasons

    from samples
    left join outcomes
        on samples.sample_id = outcomes.sample_id
        and samples.test_code = outcomes.test_code
        and samples.record_id = outcomes.record_id
    left join verdicts
        on samples.test_code = verdicts.test_code
        and samples.record_id = verdicts.record_id

)

select * from joined
