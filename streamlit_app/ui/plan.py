"""The Improvement plan page's charts: status counts over time, slippage of target dates, and the timeline of
milestones and go-live. (The links between actions are `ui.network`.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import altair as alt
import pandas as pd

from streamlit_app.ui.charts import SYMBOLS, chart_title, show_chart, status_points, style_encodings
from streamlit_app.ui.format import ACTION_STATUS_STYLE, PALETTE, fmt_day, fmt_month, plural

# The committee's table: complete and transferred both count as closed (mart column `closed`).
# (mart column, words, fill, text colour on the fill)
COMMITTEE_PARTS = (
    ("closed", "Closed", "#0072B2", "#FFFFFF"),
    ("on_track", "On track", "#009E73", "#000000"),
    ("delayed", "Delayed", "#E69F00", "#000000"),
    ("not_started", "Not started", "#DDDDDD", "#000000"),
)
EVENT_KINDS = ["Plan milestone", "Crime system go-live"]


def action_status_encodings(statuses: Iterable[str], words: Mapping[str, str]) -> tuple[alt.Color, alt.Shape]:
    """Colour and shape of the action statuses present (legend: "Current status"), on `status_words`."""
    return style_encodings(statuses, ACTION_STATUS_STYLE, lambda s: words.get(s, s), title="Current status")


def _latest_update_rule(latest: pd.Timestamp, text: str) -> alt.Chart:
    """A dashed vertical line at the latest tracker update."""
    return (
        alt.Chart(pd.DataFrame({"when": [pd.Timestamp(latest)], "what": [f"{text} {fmt_day(latest)}"]}))
        .mark_rule(strokeDash=[6, 4], color="#000000")
        .encode(x="when:T", tooltip=[alt.Tooltip("what:N", title="Line")])
    )


def status_over_time_chart(rows: pd.DataFrame, *, level: str, finding: str, selected: pd.Timestamp) -> None:
    """Stacked bars of the committee's status counts at each month end; the `selected` month outlined.

    `rows`: one level's rows of `improvement_status_counts_monthly` (+ month_label); `level`: "Recommendations"
    or "Actions".
    """
    long = rows.melt(
        id_vars=["month_end", "month_label", "items"],
        value_vars=[p for p, _, _, _ in COMMITTEE_PARTS],
        var_name="part",
        value_name="count",
    )
    long["status_words"] = long["part"].map({p: n for p, n, _, _ in COMMITTEE_PARTS})
    long["order"] = long["part"].map({p: i for i, (p, _, _, _) in enumerate(COMMITTEE_PARTS)})
    long["label"] = [str(int(n)) if n > 0 else "" for n in long["count"]]
    long["text_colour"] = long["part"].map({p: t for p, _, _, t in COMMITTEE_PARTS})
    long["selected"] = long["month_end"].eq(selected)
    domain = [n for _, n, _, _ in COMMITTEE_PARTS]
    colour = alt.Color(
        "status_words:N",
        title="Status",
        scale=alt.Scale(domain=domain, range=[f for _, _, f, _ in COMMITTEE_PARTS]),
        legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=0),
        sort=domain,
    )
    x = alt.X("month_label:O", title="Month end", sort=list(rows["month_label"]), axis=alt.Axis(labelAngle=-45))
    tooltip = [
        alt.Tooltip("month_label:N", title="Month end"),
        alt.Tooltip("status_words:N", title="Status"),
        alt.Tooltip("count:Q", title=level),
        alt.Tooltip("items:Q", title="Of"),
    ]
    base = alt.Chart(long)
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("count:Q", title=f"{level} (stacked by status)", stack="zero"),
        color=colour,
        order=alt.Order("order:Q"),
        stroke=alt.condition(alt.datum.selected, alt.value("#000000"), alt.value(None)),
        strokeWidth=alt.condition(alt.datum.selected, alt.value(2), alt.value(0)),
        tooltip=tooltip,
    )
    text = base.mark_text(dy=0, baseline="middle", fontSize=10, aria=False).encode(
        x=x,
        y=alt.Y("count:Q", stack="zero", bandPosition=0.5),
        text="label:N",
        order=alt.Order("order:Q"),
        color=alt.Color("text_colour:N", scale=None),
    )
    chart = (bars + text).properties(
        title=chart_title(finding, f"Outlined bar: {fmt_month(selected)}, the month shown above"), height=480
    )
    show_chart(chart, f"{finding}. Stacked bars: {level.lower()} by status at each month end; numbers give each count.")


def slippage_chart(slip: pd.DataFrame, words: Mapping[str, str], *, finding: str, latest: pd.Timestamp) -> None:
    """Each action's original target (hollow) to its target in force (filled; colour and shape: status).

    `slip`: `improvement_slippage` rows with row, status_words, original, current, label (from the page).
    """
    colour, shape = action_status_encodings(slip["status"], words)
    y = alt.Y("row:N", title=None, sort=list(slip["row"]), axis=alt.Axis(labelLimit=340))
    tooltip = [
        alt.Tooltip("row:N", title="Action"),
        alt.Tooltip("status_words:N", title="Current status"),
        alt.Tooltip("original:N", title="Original target"),
        alt.Tooltip("current:N", title="Target in force"),
        alt.Tooltip("days_slipped:Q", title="Days slipped", format=","),
        alt.Tooltip("times_revised:Q", title="Times revised"),
    ]
    data = slip.assign(
        aria=[
            f"{r}: {s}; original target {o}, target in force {cu} ({lab})"
            for r, s, o, cu, lab in zip(
                slip["row"], slip["status_words"], slip["original"], slip["current"], slip["label"], strict=True
            )
        ]
    )
    base = alt.Chart(data)
    x_title = "Target date (hollow: original; filled: in force)"
    # Room on the right for the "+1,004 days" labels after the latest target.
    first = min(slip["original_target_date"].min(), slip["current_target_date"].min()) - pd.Timedelta(days=45)
    last = max(slip["original_target_date"].max(), slip["current_target_date"].max()) + pd.Timedelta(days=150)
    x_scale = alt.Scale(domain=[first.isoformat(), last.isoformat()])
    layers = [
        base.mark_rule(strokeWidth=2, color="#777777").encode(
            y=y,
            x=alt.X("original_target_date:T", title=x_title, scale=x_scale),
            x2="current_target_date:T",
            tooltip=tooltip,
        ),
        base.mark_point(filled=False, size=90, color="#000000", strokeWidth=1.5).encode(
            y=y, x="original_target_date:T", tooltip=tooltip
        ),
        status_points(base, size=130, y=y, x="current_target_date:T", color=colour, shape=shape, tooltip=tooltip),
        base.mark_text(align="left", dx=10, fontSize=11).encode(y=y, x="current_target_date:T", text="label:N"),
    ]
    subtitle = "Each row: original target (hollow circle) to the target in force (filled; shape and colour: status)"
    if pd.notna(latest):
        layers.append(_latest_update_rule(latest, "Latest update"))
        subtitle += f"; dashed line: latest update ({fmt_day(latest)})"
    chart = alt.layer(*layers).properties(title=chart_title(finding, subtitle), height=26 * len(slip) + 150)
    show_chart(chart, f"{finding}. For each action, its original target and its target in force.")


def timeline_events(milestones: pd.DataFrame, go_live: pd.DataFrame) -> pd.DataFrame:
    """Plan milestones and each division's go-live as one list of dated events (lane, kind, label, ...)."""
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": milestones["planned_date"],
                    "lane": milestones["title"],
                    "kind": EVENT_KINDS[0],
                    "division_code": None,
                    "planned_period": milestones["planned_period"],
                    "date_basis": [
                        "day assumed" if str(v).upper() == "Y" else "as planned" for v in milestones["date_is_assumed"]
                    ],
                    "source": milestones["source"],
                }
            ),
            pd.DataFrame(
                {
                    "date": go_live["go_live_date"],
                    "lane": [
                        f"Crime system go-live: {n if isinstance(n, str) else d} ({d})"
                        for n, d in zip(go_live["division_name"], go_live["division_code"], strict=True)
                    ],
                    "kind": EVENT_KINDS[1],
                    "division_code": go_live["division_code"],
                    "planned_period": go_live["go_live_date"].dt.strftime("%B %Y"),
                    "date_basis": [
                        "synthetic" if str(v).upper() == "Y" else "as reported" for v in go_live["is_synthetic"]
                    ],
                    "source": go_live["note"],
                }
            ),
        ],
        ignore_index=True,
    ).sort_values(["date", "kind", "lane"], ignore_index=True)
    events["day"] = [fmt_day(d) for d in events["date"]]
    events["label"] = [
        f"{d}" + ("" if basis in ("as planned", "as reported") else f" ({basis})")
        for d, basis in zip(events["day"], events["date_basis"], strict=True)
    ]
    return events


def timeline_chart(events: pd.DataFrame, *, finding: str, latest: pd.Timestamp) -> None:
    """One lane per event, a marker at its date (shape and colour: milestone or go-live), its date written."""
    legend = alt.Legend(title="Event", orient="bottom", direction="horizontal", labelLimit=0, **SYMBOLS)
    colour = alt.Color("kind:N", scale=alt.Scale(domain=EVENT_KINDS, range=[PALETTE[0], PALETTE[1]]), legend=legend)
    shape = alt.Shape("kind:N", scale=alt.Scale(domain=EVENT_KINDS, range=["diamond", "circle"]), legend=legend)
    y = alt.Y("lane:N", title=None, sort=list(events["lane"]), axis=alt.Axis(labelLimit=420))
    tooltip = [
        alt.Tooltip("lane:N", title="Event"),
        alt.Tooltip("day:N", title="Date"),
        alt.Tooltip("planned_period:N", title="Period"),
        alt.Tooltip("date_basis:N", title="Date is"),
        alt.Tooltip("source:N", title="Source or note"),
    ]
    start = events["date"].min() - pd.Timedelta(days=30)
    end = events["date"].max() + pd.Timedelta(days=200)  # room for the last label
    data = events.assign(aria=[f"{lane}: {label}" for lane, label in zip(events["lane"], events["label"], strict=True)])
    base = alt.Chart(data)
    layers = [
        status_points(
            base,
            size=150,
            y=y,
            x=alt.X(
                "date:T",
                title="Date",
                axis=alt.Axis(format="%b %Y", labelAngle=-45),
                scale=alt.Scale(domain=[start.isoformat(), end.isoformat()]),
            ),
            color=colour,
            shape=shape,
            tooltip=tooltip,
        ),
        base.mark_text(align="left", dx=10, fontSize=11, aria=False).encode(y=y, x="date:T", text="label:N"),
    ]
    subtitle = "Dates marked synthetic or day assumed are not from the source papers (see About the data)"
    if pd.notna(latest):
        layers.append(_latest_update_rule(latest, "Latest tracker update"))
        subtitle += f"; dashed line: latest tracker update ({fmt_day(latest)})"
    chart = alt.layer(*layers).properties(title=chart_title(finding, subtitle), height=26 * len(events) + 150)
    show_chart(chart, f"{finding}. Timeline of plan milestones and of each division's go-live.")


def timeline_finding(milestones: pd.DataFrame, go_live: pd.DataFrame) -> str:
    """The timeline's title: when the divisions went live, against the full report's planned date."""
    if go_live.empty:
        return f"{plural(len(milestones), 'plan milestone')} from {fmt_month(milestones['planned_date'].min())}"
    first, last = go_live.iloc[0], go_live.iloc[-1]
    finding = (
        f"The crime system went live in {plural(len(go_live), 'division')} between "
        f"{fmt_month(first['go_live_date'])} ({first['division_code']}) and {fmt_month(last['go_live_date'])} "
        f"({last['division_code']})"
    )
    full = milestones[milestones["milestone_id"].eq("FULL_REPORT")]
    if not full.empty:
        later = int(go_live["go_live_date"].gt(full["planned_date"].iloc[0]).sum())
        finding += (
            f"; {later} of them went live after the full report planned for {full['planned_period'].iloc[0].lower()}"
        )
    return finding
