-- How often the rules and the registrars agree, per sample, division and test: the 2x2 table of audited
-- records that the rules still judge (int_audit__stratum_counts), agreement % and Cohen's kappa with its
-- asymptotic 95% interval (macro cohens_kappa_columns; blank when undefined). A stratum with no such
-- record has no row.

with

strata as (

    select * from {{ ref('int_audit__stratum_counts') }}

),

final as (

    select
        {{ audit_stratum_columns() }},
        {{ agreement_figures('both_compliant', 'rule_only_failed', 'registrar_only_failed', 'both_noncompliant') }}

    from strata
    where both_compliant + rule_only_failed + registrar_only_failed + both_noncompliant > 0
    order by sample_id, display_order, division_code

)

select * from final
