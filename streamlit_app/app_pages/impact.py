"""Impact: compliance before and after the national crime system went live in each division (with the change's
95% interval), and training completion against compliance by division (an association, not a cause).

Before/after figures come from `marts.crime_system_impact` (docs/improvement_updates.md "Crime system impact");
training from `marts.training_coverage` (unit_code = division), compliance from
`marts.compliance_by_division_test`. The page only formats and compares what those marts hold.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from streamlit_app import components as c
from streamlit_app import data_access as da
from streamlit_app.viewer import Viewer

# The change after go-live, in words, with a fill and a marker shape (same logic as the status styles).
CHANGE_STYLE: dict[str, dict[str, str]] = {
    "improved": {"fill": "#0072B2", "shape": "triangle-up"},
    "not_distinguishable": {"fill": "#DDDDDD", "shape": "diamond"},
    "worsened": {"fill": "#E69F00", "shape": "triangle-down"},
}
CAVEAT = (
    "**Association, not causation.** Divisions differ in many ways besides training: workload, structures, who "
    "records crimes, and when the crime system went live. Training completion is as at the latest training "
    "extract, compliance is for the quarter chosen, and with a dozen or so divisions a pattern can arise by "
    "chance. Divisions with more training completed being more (or less) compliant would not show that training "
    "changed compliance."
)

# Legend symbols: thin outline so the fill colour shows (the marks have a black outline for contrast).
SYMBOLS = {"symbolSize": 160, "symbolStrokeWidth": 0.6}


def change_words(change: Any) -> str:
    return {
        "improved": "Improved",
        "worsened": "Worsened",
        "not_distinguishable": "Not distinguishable from no change",
        "suppressed": f"Suppressed (fewer than {c.min_records()} records)",
    }.get(str(change), "No figure")


def _day(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return pd.Timestamp(value).strftime("%d %b %Y").lstrip("0")


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def _division_label(name: Any, code: str) -> str:
    return f"{name if isinstance(name, str) else code} ({code})"


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
    c.table(
        table,
        "crime_system_go_live",
        key="impact_go_live",
        caption="Go-live of the national crime system by division. Dates marked synthetic are not from the "
        "source papers (see About the data).",
    )


def _no_comparison_message(viewer: Viewer, go_live: pd.DataFrame) -> str:
    periods = da.fiscal_periods(viewer)
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
            f"{_division_label(earliest['division_name'], earliest['division_code'])} on "
            f"{_day(earliest['go_live_date'])}."
        )
    return message


def _side_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Before and after as rate rows (the shape the shared interval chart takes), two per division."""
    sides = []
    for side, word in (("before", "before"), ("after", "after")):
        frame = pd.DataFrame(
            {
                "division_code": rows["division_code"],
                "row": [
                    f"{_division_label(n, d)}: {word}"
                    for n, d in zip(rows["division_name"], rows["division_code"], strict=True)
                ],
                "compliance_pct": rows[f"{side}_pct"],
                "ci_lower_pct": rows[f"{side}_ci_lower_pct"],
                "ci_upper_pct": rows[f"{side}_ci_upper_pct"],
                "compliant": rows[f"{side}_compliant"],
                "examined": rows[f"{side}_examined"],
                "status": rows[f"{side}_status"],
                "order": [(i, 0 if side == "before" else 1) for i in range(len(rows))],
            }
        )
        sides.append(frame)
    both = pd.concat(sides, ignore_index=True).sort_values("order", ignore_index=True)
    both["label"] = [
        f"{c.fmt_pct(p, 1)} of {c.fmt_count(n)}" for p, n in zip(both["compliance_pct"], both["examined"], strict=True)
    ]
    return both


def _change_finding(rows: pd.DataFrame, test_name: str) -> str:
    shown = rows[~rows["change"].eq("suppressed")]
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
    before = rows[~rows["before_status"].eq("suppressed")]
    after = rows[~rows["after_status"].eq("suppressed")]
    return (
        f"{test_name}: {int(after['after_status'].eq('meets').sum())} of {len(rows)} divisions meet "
        f"{c.fmt_target()} in the year after go-live, against {int(before['before_status'].eq('meets').sum())} in "
        "the year before"
    )


def _difference_chart(rows: pd.DataFrame, finding: str) -> None:
    data = rows[~rows["change"].eq("suppressed")].copy()
    if data.empty:
        return
    data["division"] = [
        _division_label(n, d) for n, d in zip(data["division_name"], data["division_code"], strict=True)
    ]
    data["change_words"] = [change_words(v) for v in data["change"]]
    data["interval"] = [
        f"{lo:+.2f} to {hi:+.2f} pp"
        for lo, hi in zip(data["difference_ci_lower_pp"], data["difference_ci_upper_pp"], strict=True)
    ]
    data["label"] = [f"{d:+.2f} pp" for d in data["difference_pp"]]
    data["aria"] = [
        f"{div}: change {lab}, 95% interval {i}, {w}"
        for div, lab, i, w in zip(data["division"], data["label"], data["interval"], data["change_words"], strict=True)
    ]
    present = [k for k in CHANGE_STYLE if k in set(data["change"])]
    domain = [change_words(k) for k in present]
    legend = alt.Legend(title="Change", orient="bottom", direction="horizontal", labelLimit=0, **SYMBOLS)
    colour = alt.Color(
        "change_words:N",
        scale=alt.Scale(domain=domain, range=[CHANGE_STYLE[k]["fill"] for k in present]),
        legend=legend,
    )
    shape = alt.Shape(
        "change_words:N",
        scale=alt.Scale(domain=domain, range=[CHANGE_STYLE[k]["shape"] for k in present]),
        legend=legend,
    )
    reach = max(
        1.0, float(data["difference_ci_lower_pp"].abs().max()), float(data["difference_ci_upper_pp"].abs().max())
    )
    x_scale = alt.Scale(domain=[-reach * 1.05, reach * 1.05], nice=False)
    y = alt.Y("division:N", title=None, sort=list(data["division"]), axis=alt.Axis(labelLimit=320))
    tooltip = [
        alt.Tooltip("division:N", title="Division"),
        alt.Tooltip("difference_pp:Q", title="Change (pp)", format="+.2f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("change_words:N", title="Change"),
        alt.Tooltip("quarters_of_year:N", title="Quarters compared"),
    ]
    base = alt.Chart(data)
    chart = alt.layer(
        base.mark_rule(strokeWidth=3, opacity=0.55, color="#444444").encode(
            y=y,
            x=alt.X(
                "difference_ci_lower_pp:Q",
                title="Change after go-live, percentage points (bar: 95% interval)",
                scale=x_scale,
            ),
            x2="difference_ci_upper_pp:Q",
            tooltip=tooltip,
        ),
        base.mark_point(filled=True, size=120, stroke="#000000", strokeWidth=0.8, opacity=1).encode(
            y=y,
            x=alt.X("difference_pp:Q", scale=x_scale),
            color=colour,
            shape=shape,
            tooltip=tooltip,
            description="aria:N",
        ),
        base.mark_text(align="left", dx=8, fontSize=11).encode(
            y=y, x=alt.X("difference_ci_upper_pp:Q", scale=x_scale), text="label:N"
        ),
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#000000", strokeWidth=1.5)
        .encode(x=alt.X("zero:Q", scale=x_scale), tooltip=[alt.Tooltip("zero:Q", title="No change")]),
    ).properties(
        title=c.chart_title(finding, "After − before, with Newcombe's 95% interval; the solid line is no change"),
        height=30 * len(data) + 170,
    )
    c.show_chart(chart, f"{finding}. Dot: change in compliance after go-live; bar: its 95% interval; line: no change.")
    st.caption(
        "Improved or worsened only when the whole 95% interval of the change is above or below zero. Where the "
        "interval crosses the line, the data cannot tell a change from none: **not distinguishable**."
    )


def _impact_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Division": rows["division_name"],
            "Division code": rows["division_code"],
            "Test": rows["test_name"],
            "Go-live": rows["go_live_date"].dt.date,
            "Before: from": rows["before_from_date"].dt.date,
            "Before: to": rows["before_to_date"].dt.date,
            "After: from": rows["after_from_date"].dt.date,
            "After: to": rows["after_to_date"].dt.date,
            "Quarters of the year compared": rows["quarters_of_year"],
            "Before %": rows["before_pct"],
            "Before 95% lower %": rows["before_ci_lower_pct"],
            "Before 95% upper %": rows["before_ci_upper_pct"],
            "Before status": [c.status_words(s) for s in rows["before_status"]],
            "Before examined": rows["before_examined"],
            "After %": rows["after_pct"],
            "After 95% lower %": rows["after_ci_lower_pct"],
            "After 95% upper %": rows["after_ci_upper_pct"],
            "After status": [c.status_words(s) for s in rows["after_status"]],
            "After examined": rows["after_examined"],
            "Change (pp)": rows["difference_pp"],
            "Change 95% lower (pp)": rows["difference_ci_lower_pp"],
            "Change 95% upper (pp)": rows["difference_ci_upper_pp"],
            "Change": [change_words(v) for v in rows["change"]],
        }
    )


def _before_after(viewer: Viewer) -> None:
    st.header("Compliance before and after the crime system went live")
    st.markdown(
        "For each division and test: the four full quarters before the division's go-live quarter against the "
        "four full quarters after it. The go-live quarter itself (half on each system) is left out, and only "
        "quarters of the year with records on both sides are compared, so both sides have the same seasons."
    )
    go_live = da.crime_system_go_live(viewer)
    impact = da.crime_system_impact(viewer)
    if impact.empty:
        st.info(_no_comparison_message(viewer, go_live))
    else:
        tests = impact.drop_duplicates("test_code").sort_values("display_order")
        names = dict(zip(tests["test_code"], tests["test_name"], strict=True))
        test_code = st.selectbox("Test", list(names), format_func=names.get, key="impact_test")
        rows = impact[impact["test_code"].eq(test_code)].reset_index(drop=True)
        test_name = names[test_code]
        both = _side_frame(rows)
        c.interval_chart(
            both,
            category="row",
            category_title="Division and side of go-live",
            finding=_sides_finding(rows, test_name),
            subtitle="Each division: the year before its go-live quarter, then the year after",
            sort=list(both["row"]),
            label="label",
        )
        _difference_chart(rows, _change_finding(rows, test_name))
        c.table(_impact_table(rows), f"crime_system_impact_{test_code}", key="impact_table")
        with st.expander("Every division and test"):
            c.table(_impact_table(impact), "crime_system_impact", key="impact_all")
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
        f"{top['division_name']} has the most training completed ({c.fmt_pct(top['completion_pct'], 0)}) and "
        f"{bottom['division_name']} the least ({c.fmt_pct(bottom['completion_pct'], 0)}); their {test_name} "
        f"compliance in {period} ({c.fmt_pct(top['compliance_pct'], 1)} and {c.fmt_pct(bottom['compliance_pct'], 1)}) "
        f"{verdict}"
    )


def _training_chart(data: pd.DataFrame, finding: str, test_name: str) -> None:
    shown = data.dropna(subset=["completion_pct", "compliance_pct"]).copy()
    if shown.empty:
        return
    shown["status_words"] = [c.status_words(s) for s in shown["status"]]
    shown["interval"] = [
        c.fmt_interval(lo, hi) for lo, hi in zip(shown["ci_lower_pct"], shown["ci_upper_pct"], strict=True)
    ]
    shown["aria"] = [
        f"{n}: training {c.fmt_pct(t, 0)} completed; {test_name} {c.fmt_pct(p)} ({i}), {w}"
        for n, t, p, i, w in zip(
            shown["division_name"],
            shown["completion_pct"],
            shown["compliance_pct"],
            shown["interval"],
            shown["status_words"],
            strict=True,
        )
    ]
    present = [s for s in c.STATUS_ORDER if s in set(shown["status"])]
    domain = [c.status_words(s) for s in present]
    legend = alt.Legend(title="Status", orient="bottom", direction="horizontal", labelLimit=0, **SYMBOLS)
    colour = alt.Color(
        "status_words:N",
        scale=alt.Scale(domain=domain, range=[c.STATUS_STYLE[s]["fill"] for s in present]),
        legend=legend,
    )
    shape = alt.Shape(
        "status_words:N",
        scale=alt.Scale(domain=domain, range=[c.STATUS_STYLE[s]["shape"] for s in present]),
        legend=legend,
    )
    low = min(float(shown["ci_lower_pct"].min()), c.target_pct())
    y_scale = alt.Scale(domain=[max(0.0, ((low - 1) // 5) * 5), 100.0], nice=False)
    x = alt.X(
        "completion_pct:Q",
        title="SCRS training: % of course assignments completed",
        scale=alt.Scale(zero=False, padding=20),
    )
    tooltip = [
        alt.Tooltip("division_name:N", title="Division"),
        alt.Tooltip("completion_pct:Q", title="Training completed %", format=".1f"),
        alt.Tooltip("people:Q", title="Course assignments", format=","),
        alt.Tooltip("compliance_pct:Q", title=f"{test_name} %", format=".2f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("examined:Q", title="Examined", format=","),
        alt.Tooltip("status_words:N", title="Status"),
    ]
    base = alt.Chart(shown)
    chart = alt.layer(
        base.mark_rule(strokeWidth=2.5, opacity=0.5, color="#444444").encode(
            x=x,
            y=alt.Y("ci_lower_pct:Q", title=f"{test_name} compliance % (bar: 95% interval)", scale=y_scale),
            y2="ci_upper_pct:Q",
            tooltip=tooltip,
        ),
        base.mark_point(filled=True, size=110, stroke="#000000", strokeWidth=0.8, opacity=1).encode(
            x=x,
            y=alt.Y("compliance_pct:Q", scale=y_scale),
            color=colour,
            shape=shape,
            tooltip=tooltip,
            description="aria:N",
        ),
        base.mark_text(align="left", dx=8, dy=-8, fontSize=11, aria=False).encode(
            x=x, y=alt.Y("compliance_pct:Q", scale=y_scale), text="division_code:N"
        ),
        alt.Chart(pd.DataFrame({"target": [c.target_pct()]}))
        .mark_rule(strokeDash=[6, 4], color="#000000", strokeWidth=1.5)
        .encode(y=alt.Y("target:Q", scale=y_scale), tooltip=[alt.Tooltip("target:Q", title="Target %")]),
    ).properties(
        title=c.chart_title(finding, "One point per division, labelled with its code; association is not causation"),
        height=560,
    )
    c.show_chart(
        chart,
        f"{finding}. Each division's training completion against its compliance, with the compliance interval and "
        f"the {c.fmt_target()} target.",
    )


def _training_against_compliance(viewer: Viewer) -> None:
    st.header("Training completion and compliance by division")
    with st.container(border=True):
        st.markdown(f":material/info: {CAVEAT}")
    periods = da.fiscal_periods(viewer)
    if periods.empty:
        raise da.DataUnavailable("The published marts have no compliance figures yet.")
    tests = da.audit_tests(viewer)
    names = dict(zip(tests["test_code"], tests["test_name"], strict=True))
    labels = [f"{y} Q{q}" for y, q in zip(periods["fiscal_year"], periods["fiscal_quarter"], strict=True)][::-1]
    test_col, period_col = st.columns(2)
    test_code = test_col.selectbox("Test", list(names), format_func=names.get, key="impact_training_test")
    label = period_col.selectbox("Compliance quarter", labels, key="impact_training_period")
    year, quarter = label.split(" Q")
    period = label

    divisions = da.divisions(viewer)
    training = da.training_rollup(viewer, "unit_code")
    training = training[training["unit_code"].isin(set(divisions["division_code"]))]
    if training.empty:
        st.info("The published warehouse has no training records for divisions yet.")
        return
    compliance = da.division_compliance(viewer, fiscal_year=year, fiscal_quarter=int(quarter), test_code=test_code)
    data = divisions.merge(training.rename(columns={"unit_code": "division_code"}), on="division_code", how="inner")
    data = data.merge(
        compliance[
            ["division_code", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "compliant", "examined", "status"]
        ],
        on="division_code",
        how="left",
    )
    test_name = names[test_code]
    finding = _training_finding(data, test_name, period)
    _training_chart(data, finding, test_name)
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
            "Status": [c.status_words(s) for s in data["status"]],
            "Examined": data["examined"],
        }
    )
    c.table(table, f"training_and_{test_code}_{label}", key="impact_training")


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


c.render_page(main)
