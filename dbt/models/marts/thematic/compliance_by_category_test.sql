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
        verdicts.*,
        crime_codes.legacy_group

    from verdicts
    left join crime_codes
        on verdicts.crime_code = crime_codes.crime_code
    where verdicts.test_code <> 'TEST1'

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

    select distinct on (verdicts.test_code, verdicts.record_id, themes.theme_code)
        'hmics_theme' as scheme,
        themes.theme_code as category_code,
        themes.theme_name as category_name,
        verdicts.*,
        null as legacy_group

    from verdicts
    inner join themes
        on themes.record_kind = case when verdicts.test_code = 'TEST1' then 'incident' else 'crime' end
        and case themes.match_on
            when 'crime_category' then verdicts.crime_category
            when 'crime_code' then verdicts.crime_code
            when 'incident_type' then verdicts.incident_type_code
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
        {{ examined_and_compliant() }}

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
