"""Impact: compliance before and after the national crime system went live in each division (with the change's
95% interval), and training completion against compliance by division (an association, not a cause).

Before/after figures come from `marts.crime_system_impact` (docs/improvement_updates.md "Crime system impact");
training from `marts.training_coverage` (unit_code = division), compliance from
`marts.compliance_by_division_test`. The page only formats and compares what those marts hold.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import compliance, improvement, query, reference, training
from streamlit_app.ui import charts, impact, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.page import render_page

CAVEAT = (
    "**Association, not causation.** Divisions differ in many ways besides training: workload, structures, who "
    "records crimes, and when the crime system went live. Training completion is as at the latest training "
    "extract, compliance is for the quarter chosen, and with a dozen or so divisions a pattern can arise by "
    "chance. Divisions with more training completed being more (or less) compliant would not show that training "
    "changed compliance."
)

# --------------------------------------------------------------------------------------------------------
# Before and after go-live


def _go_live_table(go_live: pd.DataFrame) -> None:
    table = pd.DataFrame(
        {
            "Division": go_live["division_name"],
            "Division code": go_live["division_code"],
            "Command area": go_live["command_area"],
            "Go-live date": go_live["go_live_date"].dt.date,
            "Date is": ["synthetic" if str(v).upper() == "Y" else "as reported" for v in go_live["is_synthetic"]],
            "Note": go_live["note"],
        }
    )
    tables.table(
        table,
        "crime_system_go_live",
        key="impact_go_live",
        caption="Go-live of the national crime system by division. Dates marked synthetic are not from the "
        "source papers (see About the data).",
    )


def _no_comparison_message(go_live: pd.DataFrame) -> str:
    periods = reference.fiscal_periods()
    message = (
        "No division has compliance figures on both sides of its go-live yet, so there is no before-and-after "
        "comparison. Each comparison needs records from the four quarters before the go-live quarter and from "
        "the four quarters after it."
    )
    if not periods.empty and not go_live.empty:
        first, last = periods.iloc[0], periods.iloc[-1]
        earliest = go_live.iloc[0]
        message += (
            f" The published figures cover {first['fiscal_year']} Q{first['fiscal_quarter']} to "
            f"{last['fiscal_year']} Q{last['fiscal_quarter']}; the first go-live was "
            f"{impact.division_label(earliest['division_name'], earliest['division_code'])} on "
            f"{fmt.fmt_day(earliest['go_live_date'])}."
        )
    return message


def _change_finding(rows: pd.DataFrame, test_name: str) -> str:
    shown = rows[~rows["change_suppressed"]]
    n = len(shown)
    improved = int(shown["change"].eq("improved").sum())
    worsened = int(shown["change"].eq("worsened").sum())
    unclear = int(shown["change"].eq("not_distinguishable").sum())
    if n == 0:
        return f"{test_name}: every comparison is suppressed (too few records)"
    if unclear == n:
        return (
            f"{test_name}: in all {n} division{'s' if n != 1 else ''} compared, compliance after go-live is not "
            "distinguishable from compliance before"
        )
    return (
        f"{test_name}: after go-live, compliance improved in {improved} of {n} divisions compared, worsened in "
        f"{worsened} and is not distinguishable in {unclear}"
    )


def _sides_finding(rows: pd.DataFrame, test_name: str) -> str:
    before = rows[~rows["before_suppressed"]]
    after = rows[~rows["after_suppressed"]]
    return (
        f"{test_name}: {int(after['after_status'].eq('meets').sum())} of {len(rows)} divisions meet "
        f"{fmt.fmt_target()} in the year after go-live, against {int(before['before_status'].eq('meets').sum())} in "
        "the year before"
    )


def _before_after(viewer: Viewer) -> None:
    st.header("Compliance before and after the crime system went live")
    st.markdown(
        "For each division and test: the four full quarters before the division's go-live quarter against the "
        "four full quarters after it. The go-live quarter itself (half on each system) is left out, and only "
        "quarters of the year with records on both sides are compared, so both sides have the same seasons."
    )
    go_live = improvement.crime_system_go_live()
    comparisons = improvement.crime_system_impact(viewer)
    if comparisons.empty:
        st.info(_no_comparison_message(go_live))
    else:
        tests = comparisons.drop_duplicates("test_code").sort_values("display_order")
        names = dict(zip(tests["test_code"], tests["test_name"], strict=True))
        test_code = st.selectbox("Test", list(names), format_func=names.get, key="impact_test")
        rows = comparisons[comparisons["test_code"].eq(test_code)].reset_index(drop=True)
        test_name = names[test_code]
        both = impact.side_frame(rows)
        charts.interval_chart(
            both,
            category="row",
            category_title="Division and side of go-live",
            finding=_sides_finding(rows, test_name),
            subtitle="Each division: the year before its go-live quarter, then the year after",
            sort=list(both["row"]),
            label="label",
        )
        impact.difference_chart(rows, _change_finding(rows, test_name))
        tables.table(impact.impact_table(rows), f"crime_system_impact_{test_code}", key="impact_table")
        with st.expander("Every division and test"):
            tables.table(impact.impact_table(comparisons), "crime_system_impact", key="impact_all")
    _go_live_table(go_live)


# --------------------------------------------------------------------------------------------------------
# Training against compliance


def _training_finding(data: pd.DataFrame, test_name: str, period: str) -> str:
    shown = data.dropna(subset=["completion_pct", "compliance_pct"]).sort_values(
        ["completion_pct", "division_name"], ascending=[False, True]
    )
    if len(shown) < 2:
        return f"{test_name}, {period}: too few divisions with both figures to compare"
    top, bottom = shown.iloc[0], shown.iloc[-1]
    overlap = top["ci_lower_pct"] <= bottom["ci_upper_pct"] and bottom["ci_lower_pct"] <= top["ci_upper_pct"]
    if overlap:
        verdict = "cannot be told apart (their 95% intervals overlap)"
    else:
        higher = "higher" if top["compliance_pct"] > bottom["compliance_pct"] else "lower"
        verdict = f"is {higher} where more training is completed (the 95% intervals do not overlap)"
    return (
        f"{top['division_name']} has the most training completed ({fmt.fmt_pct(top['completion_pct'], 0)}) and "
        f"{bottom['division_name']} the least ({fmt.fmt_pct(bottom['completion_pct'], 0)}); their {test_name} "
        f"compliance in {period} ({fmt.fmt_pct(top['compliance_pct'], 1)} and "
        f"{fmt.fmt_pct(bottom['compliance_pct'], 1)}) {verdict}"
    )


def _training_against_compliance(viewer: Viewer) -> None:
    st.header("Training completion and compliance by division")
    with st.container(border=True):
        st.markdown(f":material/info: {CAVEAT}")
    periods = reference.fiscal_periods()
    if periods.empty:
        raise query.DataUnavailable("The published marts have no compliance figures yet.")
    tests = reference.audit_tests()
    names = dict(zip(tests["test_code"], tests["test_name"], strict=True))
    labels = [f"{y} Q{q}" for y, q in zip(periods["fiscal_year"], periods["fiscal_quarter"], strict=True)][::-1]
    test_col, period_col = st.columns(2)
    test_code = test_col.selectbox("Test", list(names), format_func=names.get, key="impact_training_test")
    label = period_col.selectbox("Compliance quarter", labels, key="impact_training_period")
    year, quarter = label.split(" Q")
    period = label

    divisions = reference.divisions()
    completion = training.training_rollup(viewer, "unit_code")
    completion = completion[completion["unit_code"].isin(set(divisions["division_code"]))]
    if completion.empty:
        st.info("The published warehouse has no training records for divisions yet.")
        return
    rates = compliance.division_compliance(viewer, fiscal_year=year, fiscal_quarter=int(quarter), test_code=test_code)
    data = divisions.merge(completion.rename(columns={"unit_code": "division_code"}), on="division_code", how="inner")
    data = data.merge(
        rates[
            [
                "division_code",
                "compliance_pct",
                "ci_lower_pct",
                "ci_upper_pct",
                "compliant",
                "examined",
                "status",
                "suppressed",
            ]
        ],
        on="division_code",
        how="left",
    )
    test_name = names[test_code]
    finding = _training_finding(data, test_name, period)
    impact.training_chart(data, finding, test_name)
    table = pd.DataFrame(
        {
            "Division": data["division_name"],
            "Division code": data["division_code"],
            "Command area": data["command_area"],
            "Course assignments": data["people"],
            "Completed": data["completed"],
            "In progress": data["in_progress"],
            "Assigned, not started": data["assigned"],
            "Training completed %": data["completion_pct"],
            "Test": test_name,
            "Period": label,
            "Compliance %": data["compliance_pct"],
            "95% interval lower %": data["ci_lower_pct"],
            "95% interval upper %": data["ci_upper_pct"],
            "Status": [fmt.status_words(s) for s in fmt.shown_statuses(data)],
            "Examined": data["examined"],
        }
    )
    tables.table(table, f"training_and_{test_code}_{label}", key="impact_training")


def main(viewer: Viewer) -> None:
    st.title("Impact")
    st.markdown(
        "Has compliance moved where the national crime system went live, and is it higher where more training "
        "has been completed? Every comparison carries its 95% interval; where the interval cannot separate a "
        "change from none, the page says **not distinguishable**."
    )
    _before_after(viewer)
    st.divider()
    _training_against_compliance(viewer)


render_page(main)
