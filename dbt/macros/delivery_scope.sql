{#
    Incremental verdicts (issue 15): a run re-judges only the records its delivery can have changed, and
    those linked to them; every other verdict is kept as the last build judged it.

    The pipeline writes meta.delivery_scope (record_kind 'incident' or 'crime', record_key) into the build
    before dbt runs (dagster_project/dbt.py, write_delivery_scope): the incidents and crimes that received
    raw rows in this run, plus the incident each of those crimes linked to BEFORE this run (read from
    staging before it is rebuilt), so an incident that loses a crime is re-judged. A verdict reads only:
      - an incident's TEST1 verdict: the incident's row and the crimes linking to it;
      - a crime's verdicts (TEST2, NOCRIME, TIMELY72, CYBER): the crime's row and its incident's row,
    and the seeds and vars, which an incremental run has as the last build had them (else it is a full
    refresh). So the verdicts that can change are exactly:
      - incidents: those in the scope (delivered, or a delivered crime's old incident), and the new
        incident of every delivered crime;
      - crimes: those in the scope, and every crime (now) linked to a delivered incident.
    Staging is rebuilt before the verdicts, so "now" is this run's current state; the post-hook of
    stg_crime_system__crimes writes those keys to meta.rejudged_records once per run, and every model and
    data test that needs them reads that small table (rejudged_keys). A record that leaves a
    population (a disposal no longer crime related, a No Crime restored) is deleted by the model's pre-hook
    (forget_rejudged) and not re-inserted. Without a scope table (dbt run by hand) every record is
    re-judged, which is a full rebuild done the slow way: still correct.
#}

{% macro delivery_scope_relation() -%}
    {{ return(adapter.get_relation(database=target.database, schema='meta', identifier='delivery_scope')) }}
{%- endmacro %}

{#
    The scope's records and those linked to them, once per run: post-hook of stg_crime_system__crimes, the
    one model they read (for the links as this run leaves them), which every verdict model refs, so the
    table exists before any verdict model or test reads it (rejudged_keys).
#}
{% macro remember_rejudged() -%}
    {%- set scope = delivery_scope_relation() -%}
    {%- if scope is not none -%}
        create or replace table {{ rejudged_relation(scope) }} as
        select 'incident' as record_kind, record_id from (
            select record_key as record_id from {{ scope }} where record_kind = 'incident'
            union
            select incident_id from {{ this }}
            where incident_id is not null
                and crime_id in (select record_key from {{ scope }} where record_kind = 'crime')
        )
        union all
        select 'crime', record_id from (
            select record_key as record_id from {{ scope }} where record_kind = 'crime'
            union
            select crime_id from {{ this }}
            where {{ in_keys('incident_id', "select record_key from " ~ scope ~ " where record_kind = 'incident'") }}
        )
    {%- endif -%}
{%- endmacro %}

{#
    Second post-hook of stg_crime_system__crimes: the staging rows of the re-judged crimes, and of the re-judged
    incidents with the incidents those crimes link to, once per run, for the verdict models
    (rejudged_crimes, rejudged_incidents, incidents_of_rejudged_crimes), which otherwise each read the whole
    crime or incident history for a few thousand records (0.3-0.6 s a model at ten years, national volume):
    the incidents' history is read once, here. stg_crime_system__crimes is built after stg_storm__incidents
    (its depends_on), so both are this run's.
#}
{% macro remember_rejudged_rows() -%}
    {%- set scope = delivery_scope_relation() -%}
    {%- if scope is not none -%}
        create or replace table {{ rejudged_rows_relation(scope, 'crime') }} as
        select * from {{ this }}
        where crime_id in (select record_id from {{ rejudged_relation(scope) }} where record_kind = 'crime');
        create or replace table {{ rejudged_rows_relation(scope, 'incident') }} as
        select * from {{ staging_model('stg_storm__incidents', by_name=true) }}
        where {{ in_keys('incident_id',
            'select record_id from ' ~ rejudged_relation(scope) ~ " where record_kind = 'incident' union all "
            ~ 'select incident_id from ' ~ rejudged_rows_relation(scope, 'crime') ~ ' where incident_id is not null'
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro rejudged_rows_relation(scope, kind) -%}
    {%- set name = 'rejudged_crime_rows' if kind == 'crime' else 'rejudged_incident_rows' -%}
    {{ return(api.Relation.create(database=scope.database, schema=scope.schema, identifier=name)) }}
{%- endmacro %}

{#
    The crimes a crime verdict model judges, for `select * from ...`: in an incremental run with a scope, the
    re-judged crimes' rows kept by remember_rejudged_rows; otherwise stg_crime_system__crimes (the re-judged
    rows in an incremental run without a scope, which is every row).
#}
{% macro rejudged_crimes() -%}
    {%- set scope = delivery_scope_relation() if execute else none -%}
    {%- if this is not none and scope is not none and is_incremental() -%}
        {{ rejudged_rows_relation(scope, 'crime') }}
    {%- else -%}
        (select * from {{ ref('stg_crime_system__crimes') }} where {{ is_rejudged('crime_id', 'crime') }})
    {%- endif -%}
{%- endmacro %}

{#
    The incidents TEST1 judges, for `select * from ...`: in an incremental run with a scope, the re-judged
    incidents' rows kept by remember_rejudged_rows; otherwise stg_storm__incidents (every row in a full build).
#}
{% macro rejudged_incidents() -%}
    {%- set scope = delivery_scope_relation() if execute else none -%}
    {%- if this is not none and scope is not none and is_incremental() -%}
        (select * from {{ rejudged_rows_relation(scope, 'incident') }}
         where incident_id in ({{ rejudged_keys('incident') }}))
    {%- else -%}
        (select * from {{ ref('stg_storm__incidents') }} where {{ is_rejudged('incident_id', 'incident') }})
    {%- endif -%}
{%- endmacro %}

{#
    The incidents a crime verdict model joins its crimes to, for `select * from ...`: in an incremental run with
    a scope, the rows kept by remember_rejudged_rows (every incident a re-judged crime links to, and the
    re-judged incidents, which no other crime's join meets); otherwise stg_storm__incidents.
#}
{% macro incidents_of_rejudged_crimes() -%}
    {%- set scope = delivery_scope_relation() if execute else none -%}
    {%- if this is not none and scope is not none and is_incremental() -%}
        {{ rejudged_rows_relation(scope, 'incident') }}
    {%- else -%}
        {{ ref('stg_storm__incidents') }}
    {%- endif -%}
{%- endmacro %}

{% macro rejudged_relation(scope) -%}
    {{ return(api.Relation.create(database=scope.database, schema=scope.schema, identifier='rejudged_records')) }}
{%- endmacro %}

{#
    A subquery of the keys of `kind` ('incident' or 'crime') whose verdicts this run re-judges (written by
    remember_rejudged); without a scope, all of them. In that case the verdict models read staging through
    ref(); a model or test that does not ref staging (record_failures, whose unit tests give only the
    verdicts; scoped_tests.sql) passes by_name=true to read the staging tables by name (they are built
    before anything that reads the verdicts).
#}
{% macro rejudged_keys(kind, by_name=false) -%}
    {%- set scope = delivery_scope_relation() -%}
    {%- if kind not in ('incident', 'crime') -%}
        {{ exceptions.raise_compiler_error("rejudged_keys: kind must be 'incident' or 'crime', not " ~ kind) }}
    {%- endif -%}
    {%- if scope is not none -%}
        select record_id from {{ rejudged_relation(scope) }} where record_kind = '{{ kind }}'
    {%- elif kind == 'incident' -%}
        select incident_id from {{ staging_model('stg_storm__incidents', by_name) }}
    {%- else -%}
        select crime_id from {{ staging_model('stg_crime_system__crimes', by_name) }}
    {%- endif -%}
{%- endmacro %}

{% macro staging_model(name, by_name=false) -%}
    {%- if by_name -%}
        {{ return(adapter.get_relation(database=target.database, schema='staging', identifier=name)) }}
    {%- else -%}
        {{ return(ref(name)) }}
    {%- endif -%}
{%- endmacro %}

{#
    `where` condition (no keyword) on `column` (a record key of `kind`) for an incremental verdict model: in
    an incremental run only the re-judged keys; in a full build every row (true). `ranged`: with the keys'
    range as well (in_keys), by default for incident references, which carry their date; not for crime
    references, nor within an `or` over both kinds (measured slower there: macros/key_lookup.sql).
#}
{% macro is_rejudged(column, kind, by_name=false, ranged=none) -%}
    {#- a dbt unit test has no `this` (it judges its given rows as a full build does) -#}
    {%- if this is not none and is_incremental() -%}
        {%- if ranged is none -%}{%- set ranged = kind == 'incident' -%}{%- endif -%}
        {%- if ranged -%}
            {{ in_keys(column, rejudged_keys(kind, by_name)) }}
        {%- else -%}
            {{ column }} in ({{ rejudged_keys(kind, by_name) }})
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#
    Pre-hook of an incremental verdict model: forget the verdicts of the re-judged records before the
    model inserts their new ones (a record may have left the population). The model selects only re-judged
    records, so it appends (incremental_strategy 'append'): dbt's delete+insert would delete the same
    records again by key, a second scan of the whole table (0.1-0.2 s a model at ten years, national volume). Every row's record_id is of
    `kind`, or, with test1_is_incident (record_failures, which holds every test), an incident for TEST1
    and a crime for the other tests.
#}
{% macro forget_rejudged(kind=none, test1_is_incident=false, by_name=false) -%}
    {%- if this is not none and is_incremental() -%}
        {%- if test1_is_incident -%}
            delete from {{ this }}
            where (test_code = 'TEST1' and {{ is_rejudged('record_id', 'incident', by_name, ranged=false) }})
                or (test_code <> 'TEST1' and {{ is_rejudged('record_id', 'crime', by_name) }})
        {%- else -%}
            delete from {{ this }} where {{ is_rejudged('record_id', kind, by_name) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
