-- Did compliance improve where the national crime system went live? Per division and test: compliance in
-- the four full financial quarters before the division's go-live quarter against the four full quarters
-- after it (the go-live quarter itself, half old system and half new, is left out). Each window holds each
-- quarter of the year once; only quarters of the year with records on BOTH sides are compared (e.g. when
-- the data end before the after-window does), so the two sides always have the same seasonal mix.
--
-- Each side: examined, compliant, compliance_pct and Wilson 95% bounds (as the compliance marts), status
-- against the target. The difference (after - before, percentage points) carries Newcombe's hybrid score
-- interval built from the two Wilson intervals:
--   lower = d - sqrt((p_after - l_after)^2 + (u_before - p_before)^2)
--   upper = d + sqrt((u_after - p_after)^2 + (p_before - l_before)^2)
-- change: 'improved' when lower > 0, 'worsened' when upper < 0, else 'not_distinguishable'.
-- One row per division and test with at least one quarter of the year compared.

with

verdicts as (

    select * from {{ ref('int_record_verdicts') }}

),

go_live as (

    select * from {{ ref('crime_system_go_live') }}

),

divisions as (

    select * from {{ ref('divisions') }}

),

audit_tests as (

    select * from {{ ref('audit_tests') }}

),

windows as (

    select
        division_code,
        go_live_date,
        {{ fiscal_year('go_live_date') }} as go_live_fiscal_year,
        {{ fiscal_quarter('go_live_date') }} as go_live_fiscal_quarter,
        -- financial quarters are calendar quarters (Q1 = April-June), so date_trunc('quarter') starts one
        cast(date_trunc('quarter', go_live_date) - interval 12 month as date) as before_from_date,
        cast(date_trunc('quarter', go_live_date) - interval 1 day as date) as before_to_date,
        cast(date_trunc('quarter', go_live_date) + interval 3 month as date) as after_from_date,
        cast(date_trunc('quarter', go_live_date) + interval 15 month - interval 1 day as date) as after_to_date

    from go_live

),

sided as (

    select
        verdicts.division_code,
        verdicts.test_code,
        verdicts.fiscal_quarter,
        case
            when verdicts.event_date <= windows.before_to_date then 'before'
            when verdicts.event_date >= windows.after_from_date then 'after'
        end as side,
        verdicts.is_compliant

    from verdicts
    inner join windows
        on verdicts.division_code = windows.division_code
        and verdicts.event_date between windows.before_from_date and windows.after_to_date

),

per_quarter as (

    select
        division_code,
        test_code,
        fiscal_quarter,
        side,
        {{ examined_and_compliant() }}

    from sided
    where side is not null
    group by division_code, test_code, fiscal_quarter, side

),

matched_quarters as (

    select division_code, test_code, fiscal_quarter
    from per_quarter
    group by division_code, test_code, fiscal_quarter
    having count(distinct side) = 2

),

totals as (

    select
        per_quarter.division_code,
        per_quarter.test_code,
        count(distinct per_quarter.fiscal_quarter) as quarters_compared,
        array_to_string(list_sort(list(distinct 'Q' || per_quarter.fiscal_quarter)), ',') as quarters_of_year,
        sum(per_quarter.examined) filter (where per_quarter.side = 'before') as before_examined,
        sum(per_quarter.compliant) filter (where per_quarter.side = 'before') as before_compliant,
        sum(per_quarter.examined) filter (where per_quarter.side = 'after') as after_examined,
        sum(per_quarter.compliant) filter (where per_quarter.side = 'after') as after_compliant

    from per_quarter
    inner join matched_quarters
        on per_quarter.division_code = matched_quarters.division_code
        and per_quarter.test_code = matched_quarters.test_code
        and per_quarter.fiscal_quarter = matched_quarters.fiscal_quarter
    group by per_quarter.division_code, per_quarter.test_code

),

rated as (

    select
        *,
        cast(before_compliant as double) / before_examined as before_p,
        {{ wilson_lower('before_compliant', 'before_examined') }} as before_l,
        {{ wilson_upper('before_compliant', 'before_examined') }} as before_u,
        cast(after_compliant as double) / after_examined as after_p,
        {{ wilson_lower('after_compliant', 'after_examined') }} as after_l,
        {{ wilson_upper('after_compliant', 'after_examined') }} as after_u

    from totals

),

differenced as (

    select
        *,
        after_p - before_p as diff,
        (after_p - before_p)
            - sqrt(power(after_p - after_l, 2) + power(before_u - before_p, 2)) as diff_l,
        (after_p - before_p)
            + sqrt(power(after_u - after_p, 2) + power(before_p - before_l, 2)) as diff_u

    from rated

),

final as (

    select
        differenced.division_code,
        divisions.division_name,
        divisions.command_area,
        differenced.test_code,
        windows.go_live_date,
        windows.go_live_fiscal_year,
        windows.go_live_fiscal_quarter,
        windows.before_from_date,
        windows.before_to_date,
        windows.after_from_date,
        windows.after_to_date,
        differenced.quarters_compared,
        differenced.quarters_of_year,

        differenced.before_examined,
        differenced.before_compliant,
        round(100.0 * differenced.before_p, 2) as before_pct,
        round(100.0 * differenced.before_l, 2) as before_ci_lower_pct,
        round(100.0 * differenced.before_u, 2) as before_ci_upper_pct,
        {{ compliance_status('100.0 * differenced.before_l', '100.0 * differenced.before_u') }} as before_status,

        differenced.after_examined,
        differenced.after_compliant,
        round(100.0 * differenced.after_p, 2) as after_pct,
        round(100.0 * differenced.after_l, 2) as after_ci_lower_pct,
        round(100.0 * differenced.after_u, 2) as after_ci_upper_pct,
        {{ compliance_status('100.0 * differenced.after_l', '100.0 * differenced.after_u') }} as after_status,

        round(100.0 * differenced.diff, 2) as difference_pp,
        round(100.0 * differenced.diff_l, 2) as difference_ci_lower_pp,
        round(100.0 * differenced.diff_u, 2) as difference_ci_upper_pp,
        case
            when differenced.diff_l > 0 then 'improved'
            when differenced.diff_u < 0 then 'worsened'
            else 'not_distinguishable'
        end as change

    from differenced
    inner join windows
        on differenced.division_code = windows.division_code
    left join divisions
        on differenced.division_code = divisions.division_code
    left join audit_tests
        on differenced.test_code = audit_tests.test_code
    order by windows.go_live_date, differenced.division_code, audit_tests.display_order

)

select * from final
