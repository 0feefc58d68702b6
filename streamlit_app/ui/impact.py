"""The Impact page's charts and tables: before and after go-live, the change with its interval, and training
against compliance."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from streamlit_app.ui.charts import axis_floor, chart_title, show_chart, status_points, style_encodings
from streamlit_app.ui.format import (
    STATUS_ORDER,
    STATUS_STYLE,
    SUPPRESSED,
    SUPPRESSED_WORDS,
    fmt_count,
    fmt_interval,
    fmt_pct,
    fmt_target,
    shown_statuses,
    status_words,
    target_pct,
)

# The change after go-live, in words, with a fill and a marker shape (same logic as the status styles).
CHANGE_STYLE: dict[str, dict[str, str]] = {
    "improved": {"fill": "#0072B2", "shape": "triangle-up"},
    "not_distinguishable": {"fill": "#DDDDDD", "shape": "diamond"},
    "worsened": {"fill": "#E69F00", "shape": "triangle-down"},
}


def change_words(change: Any) -> str:
    return {
        "improved": "Improved",
        "worsened": "Worsened",
        "not_distinguishable": "Not distinguishable from no change",
        SUPPRESSED: SUPPRESSED_WORDS,
    }.get(str(change), "No figure")


def division_label(name: Any, code: str) -> str:
    return f"{name if isinstance(name, str) else code} ({code})"


def difference_chart(rows: pd.DataFrame, finding: str) -> None:
    """Each division's change after go-live (dot) with Newcombe's 95% interval (bar) and the no-change line.

    Comparisons blanked by disclosure control (`change_suppressed`) are left out.
    """
    data = rows[~rows["change_suppressed"]].copy()
    if data.empty:
        return
    data["division"] = [division_label(n, d) for n, d in zip(data["division_name"], data["division_code"], strict=True)]
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
    colour, shape = style_encodings(data["change"], CHANGE_STYLE, change_words, title="Change", field="change_words")
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
        status_points(
            base, size=120, y=y, x=alt.X("difference_pp:Q", scale=x_scale), color=colour, shape=shape, tooltip=tooltip
        ),
        base.mark_text(align="left", dx=8, fontSize=11).encode(
            y=y, x=alt.X("difference_ci_upper_pp:Q", scale=x_scale), text="label:N"
        ),
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#000000", strokeWidth=1.5)
        .encode(x=alt.X("zero:Q", scale=x_scale), tooltip=[alt.Tooltip("zero:Q", title="No change")]),
    ).properties(
        title=chart_title(finding, "After − before, with Newcombe's 95% interval; the solid line is no change"),
        height=30 * len(data) + 170,
    )
    show_chart(chart, f"{finding}. Dot: change in compliance after go-live; bar: its 95% interval; line: no change.")
    st.caption(
        "Improved or worsened only when the whole 95% interval of the change is above or below zero. Where the "
        "interval crosses the line, the data cannot tell a change from none: **not distinguishable**."
    )


def training_chart(data: pd.DataFrame, finding: str, test_name: str) -> None:
    """One point per division: training completion (x) against compliance with its interval (y)."""
    shown = data.dropna(subset=["completion_pct", "compliance_pct"]).copy()
    if shown.empty:
        return
    shown["status_words"] = [status_words(s) for s in shown["status"]]
    shown["interval"] = [
        fmt_interval(lo, hi) for lo, hi in zip(shown["ci_lower_pct"], shown["ci_upper_pct"], strict=True)
    ]
    shown["aria"] = [
        f"{n}: training {fmt_pct(t, 0)} completed; {test_name} {fmt_pct(p)} ({i}), {w}"
        for n, t, p, i, w in zip(
            shown["division_name"],
            shown["completion_pct"],
            shown["compliance_pct"],
            shown["interval"],
            shown["status_words"],
            strict=True,
        )
    ]
    style = {s: STATUS_STYLE[s] for s in STATUS_ORDER}
    colour, shape = style_encodings(shown["status"], style, status_words, title="Status")
    y_scale = alt.Scale(domain=[axis_floor(shown["ci_lower_pct"]), 100.0], nice=False)
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
        status_points(
            base, size=110, x=x, y=alt.Y("compliance_pct:Q", scale=y_scale), color=colour, shape=shape, tooltip=tooltip
        ),
        base.mark_text(align="left", dx=8, dy=-8, fontSize=11, aria=False).encode(
            x=x, y=alt.Y("compliance_pct:Q", scale=y_scale), text="division_code:N"
        ),
        alt.Chart(pd.DataFrame({"target": [target_pct()]}))
        .mark_rule(strokeDash=[6, 4], color="#000000", strokeWidth=1.5)
        .encode(y=alt.Y("target:Q", scale=y_scale), tooltip=[alt.Tooltip("target:Q", title="Target %")]),
    ).properties(
        title=chart_title(finding, "One point per division, labelled with its code; association is not causation"),
        height=560,
    )
    show_chart(
        chart,
        f"{finding}. Each division's training completion against its compliance, with the compliance interval and "
        f"the {fmt_target()} target.",
    )


def side_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Before and after as rate rows (the shape the shared interval chart takes), two per division."""
    sides = []
    for side, word in (("before", "before"), ("after", "after")):
        frame = pd.DataFrame(
            {
                "division_code": rows["division_code"],
                "row": [
                    f"{division_label(n, d)}: {word}"
                    for n, d in zip(rows["division_name"], rows["division_code"], strict=True)
                ],
                "compliance_pct": rows[f"{side}_pct"],
                "ci_lower_pct": rows[f"{side}_ci_lower_pct"],
                "ci_upper_pct": rows[f"{side}_ci_upper_pct"],
                "compliant": rows[f"{side}_compliant"],
                "examined": rows[f"{side}_examined"],
                "status": shown_statuses(rows, f"{side}_status", f"{side}_suppressed"),
                "order": [(i, 0 if side == "before" else 1) for i in range(len(rows))],
            }
        )
        sides.append(frame)
    both = pd.concat(sides, ignore_index=True).sort_values("order", ignore_index=True)
    both["label"] = [
        f"{fmt_pct(p, 1)} of {fmt_count(n)}" for p, n in zip(both["compliance_pct"], both["examined"], strict=True)
    ]
    return both


def impact_table(rows: pd.DataFrame) -> pd.DataFrame:
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
            "Before status": [status_words(s) for s in shown_statuses(rows, "before_status", "before_suppressed")],
            "Before examined": rows["before_examined"],
            "After %": rows["after_pct"],
            "After 95% lower %": rows["after_ci_lower_pct"],
            "After 95% upper %": rows["after_ci_upper_pct"],
            "After status": [status_words(s) for s in shown_statuses(rows, "after_status", "after_suppressed")],
            "After examined": rows["after_examined"],
            "Change (pp)": rows["difference_pp"],
            "Change 95% lower (pp)": rows["difference_ci_lower_pp"],
            "Change 95% upper (pp)": rows["difference_ci_upper_pp"],
            "Change": [change_words(v) for v in shown_statuses(rows, "change", "change_suppressed")],
        }
    )
