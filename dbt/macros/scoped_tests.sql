{#
    Data tests scoped to what a run rebuilt (issue 15). dbt wraps the model of every generic test (here each
    model's one rules test, column_rules) in get_where_subquery, and only the model: a relationship's
    parent (`to: ref(...)`) is read whole, as in dbt's own relationships test; this project's
    version adds, during an incremental run (while meta.delivery_scope exists, dagster_project/dbt.py), a
    filter to the rows that run rebuilt in the incremental models: the rows it loaded in the two raw
    extracts they read (their rules are not_null only), the delivered keys in the two staging models, the
    re-judged records in the verdict models, record_failures and the worklist view over it (macro
    rejudged_keys). Their other rows are as the last build wrote and tested them. On a full refresh, and when
    dbt is run by hand, there is no scope and every test reads every row. The singular tests (data-tests/) read
    everything, but for assert_failure_reasons_known_and_in_contract_order, a row-by-row rule, which asks for
    the same scope.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where'), rebuilt_rows_condition(relation)] | select | list -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The rows of `relation` an incremental run rebuilt, as a condition; '' for every row. #}
{% macro rebuilt_rows_condition(relation) -%}
    {%- set scope = delivery_scope_relation() -%}
    {%- set name = relation.identifier if relation is not string else '' -%}
    {%- if scope is none or not name -%}
        {%- do return('') -%}
    {%- elif relation is not string and relation.schema == 'raw' and name in ('incidents', 'crimes') -%}
        {#- the append-only extract history: this run's rows, which carry its one load time, the newest (a clock
            set back makes the run a full refresh: dagster_project/dbt.py); the rules here are not_null only,
            so the rows loaded before, tested when they were loaded, cannot break them now. -#}
        {%- do return("_loaded_at >= (select max(_loaded_at) from " ~ relation ~ ")") -%}
    {%- elif name == 'stg_storm__incidents' -%}
        {%- do return(in_keys('incident_id', "select record_key from " ~ scope ~ " where record_kind = 'incident'")) -%}
    {%- elif name == 'stg_crime_system__crimes' -%}
        {%- do return("crime_id in (select record_key from " ~ scope ~ " where record_kind = 'crime')") -%}
    {%- elif name == 'int_test1_verdicts' -%}
        {%- do return(in_keys('record_id', rejudged_keys('incident', by_name=true))) -%}
    {%- elif name in ('int_test2_verdicts', 'int_nocrime_verdicts', 'int_timely72_verdicts', 'int_cyber_verdicts') -%}
        {%- do return("record_id in (" ~ rejudged_keys('crime', by_name=true) ~ ")") -%}
    {%- elif name == 'worklist' -%}
        {#- a view of record_failures' rows with the review copy's state and dates. A record not re-judged has
            the failure row the last build tested; the copy's states are tested whole (stg_review__states_rules);
            its dates, on every record, on every full refresh (the weekly rebuild). Evaluating the whole view
            for the test cost 0.4-0.6 s of a month at ten years, national volume; one `in` over both kinds of
            re-judged key (the rows of either kind: a few more than record_failures' scope, if an incident
            and a crime ever shared a reference) is what DuckDB can push into the view's scan of the failures.
            The re-judged records are listed by stg_crime_system__crimes' post-hook: a run that leaves that model
            out (no incident or crime delivered; the worklist is in every run, with the review copy) re-judged
            none, and tests the whole view. -#}
        {%- if 'model.scrs.stg_crime_system__crimes' not in selected_resources -%}
            {%- do return('') -%}
        {%- endif -%}
        {%- do return("record_id in (select record_id from " ~ rejudged_relation(scope) ~ ")") -%}
    {%- elif name == 'record_failures' -%}
        {%- do return(
            "(test_code = 'TEST1' and record_id in (" ~ rejudged_keys('incident', by_name=true) ~ "))"
            ~ " or (test_code <> 'TEST1' and record_id in (" ~ rejudged_keys('crime', by_name=true) ~ "))"
        ) -%}
    {%- else -%}
        {%- do return('') -%}
    {%- endif -%}
{%- endmacro %}
