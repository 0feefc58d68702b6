-- Compliance per financial year, quarter, division and test by crime type, in three schemes:
--   category_2021  the 2021-22 categories (every year, so a series runs across the change of scheme);
--   legacy_group   the groups published up to 2020-21 (years to 2020/21 only);
--   hmics_theme    HMICS's audit themes (sexual crime, violence, domestic abuse; seed hmics_audit_themes):
--                  overlapping picks, not a partition.
-- hmics_theme names the theme of a row (theme rows, and the SEXUAL and VIOLENCE categories), so the
-- committee's themes are one filter away.
-- The two crime-type schemes partition each crime test's records, so their rows sum to
-- compliance_by_division_test (data test assert_category_rows_sum_to_division_totals). TEST1 examines
-- incidents, which have no crime code (a failing one has no crime at all): it appears under hmics_theme
-- only, by incident type.

with

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

-- one row per period, division, test and the codes that classify a record (crime code and category,
-- incident type), with its counts: the schemes and themes below classify these rows, not each record
-- (a quarter of a million rows at ten years, scale 0.25, in place of 3.6 million verdicts)
verdict_counts as (

    select
        fiscal_year,
        fiscal_quarter,
        division_code,
        test_code,
        crime_code,
        crime_category,
        incident_type_code,
        {{ examined_and_compliant() }}

    from verdicts
    group by all

),

crime_codes as (

    select * from {{ ref('crime_codes') }}

),

crime_categories as (

    select * from {{ ref('crime_categories') }}

),

legacy_crime_groups as (

    select * from {{ ref('legacy_crime_groups') }}

),

themes as (

    select * from {{ ref('hmics_audit_themes') }}

),

divisions as (

    select * from {{ ref('divisions') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

crime_verdicts as (

    select
        verdict_counts.*,
        crime_codes.legacy_group

    from verdict_counts
    left join crime_codes
        on verdict_counts.crime_code = crime_codes.crime_code
    where verdict_counts.test_code <> 'TEST1'

),

scheme_names as (

    select 'category_2021' as scheme, crime_category as category_code, category_name
    from crime_categories
    union all
    select 'legacy_group', legacy_group, group_name
    from legacy_crime_groups

),

crime_schemes as (

    -- the two schemes that partition the crime tests' records: every record under its 2021-22 category,
    -- and under its legacy group in the years those were published
    select 'category_2021' as scheme, crime_category as scheme_code, *
    from crime_verdicts
    union all by name
    select 'legacy_group' as scheme, legacy_group as scheme_code, *
    from crime_verdicts
    where fiscal_year <= '{{ var("legacy_groups_last_fiscal_year") }}'

),

by_crime_type as (

    select
        crime_schemes.scheme,
        coalesce(crime_schemes.scheme_code, 'UNKNOWN') as category_code,
        coalesce(scheme_names.category_name, 'Unknown crime code') as category_name,
        crime_schemes.* exclude (scheme, scheme_code)

    from crime_schemes
    left join scheme_names
        on crime_schemes.scheme = scheme_names.scheme
        and crime_schemes.scheme_code = scheme_names.category_code

),

by_theme as (

    -- a record counts once per theme it matches (every record of a row matches the same themes)
    select distinct on (
        verdict_counts.fiscal_year,
        verdict_counts.fiscal_quarter,
        verdict_counts.division_code,
        verdict_counts.test_code,
        verdict_counts.crime_code,
        verdict_counts.crime_category,
        verdict_counts.incident_type_code,
        themes.theme_code
    )
        'hmics_theme' as scheme,
        themes.theme_code as category_code,
        themes.theme_name as category_name,
        verdict_counts.*,
        null as legacy_group

    from verdict_counts
    inner join themes
        on themes.record_kind = case when verdict_counts.test_code = 'TEST1' then 'incident' else 'crime' end
        and case themes.match_on
            when 'crime_category' then verdict_counts.crime_category
            when 'crime_code' then verdict_counts.crime_code
            when 'incident_type' then verdict_counts.incident_type_code
        end = themes.match_value

),

category_themes as (

    select theme_code, match_value
    from themes
    where record_kind = 'crime' and match_on = 'crime_category'

),

classified as (

    select * from by_crime_type
    union all by name
    select * from by_theme

),

counted as (

    select
        fiscal_year,
        fiscal_quarter,
        division_code,
        test_code,
        scheme,
        category_code,
        any_value(category_name) as category_name,
        sum(examined)::bigint as examined,
        sum(compliant)::bigint as compliant

    from classified
    group by fiscal_year, fiscal_quarter, division_code, test_code, scheme, category_code

),

named as (

    select
        counted.fiscal_year,
        counted.fiscal_quarter,
        counted.division_code,
        divisions.division_name,
        divisions.command_area,
        counted.test_code,
        counted.scheme,
        counted.category_code,
        counted.category_name,
        case
            when counted.scheme = 'hmics_theme' then counted.category_code
            else category_themes.theme_code
        end as hmics_theme,
        counted.examined,
        counted.compliant

    from counted
    left join divisions
        on counted.division_code = divisions.division_code
    left join category_themes
        on counted.scheme = 'category_2021'
        and counted.category_code = category_themes.match_value

),

final as (

    {{ compliance_mart_rows('named', [
        'fiscal_year', 'fiscal_quarter', 'division_code', 'division_name', 'command_area', 'test_code', 'scheme',
        'category_code', 'category_name', 'hmics_theme',
    ]) }}

)

select * from final
