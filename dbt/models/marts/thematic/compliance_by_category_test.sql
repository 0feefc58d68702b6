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

by_category as (

    select
        'category_2021' as scheme,
        coalesce(crime_verdicts.crime_category, 'UNKNOWN') as category_code,
        coalesce(crime_categories.category_name, 'Unknown crime code') as category_name,
        crime_verdicts.*

    from crime_verdicts
    left join crime_categories
        on crime_verdicts.crime_category = crime_categories.crime_category

),

by_legacy_group as (

    select
        'legacy_group' as scheme,
        coalesce(crime_verdicts.legacy_group, 'UNKNOWN') as category_code,
        coalesce(legacy_crime_groups.group_name, 'Unknown crime code') as category_name,
        crime_verdicts.*

    from crime_verdicts
    left join legacy_crime_groups
        on crime_verdicts.legacy_group = legacy_crime_groups.legacy_group
    where crime_verdicts.fiscal_year <= '{{ var("legacy_groups_last_fiscal_year") }}'

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

    select * from by_category
    union all by name
    select * from by_legacy_group
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
        count(*) as examined,
        count(*) filter (where is_compliant) as compliant

    from classified
    group by fiscal_year, fiscal_quarter, division_code, test_code, scheme, category_code

),

final as (

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
        counted.compliant,
        {{ compliance_figures('counted.compliant', 'counted.examined') }}

    from counted
    left join divisions
        on counted.division_code = divisions.division_code
    left join category_themes
        on counted.scheme = 'category_2021'
        and counted.category_code = category_themes.match_value
    left join audit_tests
        on counted.test_code = audit_tests.test_code
    order by
        counted.fiscal_year,
        counted.fiscal_quarter,
        counted.division_code,
        audit_tests.display_order,
        counted.scheme,
        counted.category_code

)

select * from final
