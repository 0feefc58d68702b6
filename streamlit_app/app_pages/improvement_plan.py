"""Improvement plan: the committee's status table for any month, each recommendation's actions with their latest
update, slippage of target dates, the links between actions, and the milestones (with crime system go-live).

Everything comes from the improvement marts and seeds (docs/improvement_updates.md); the page only counts and
formats what they hold.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from streamlit_app import components as c
from streamlit_app import data_access as da
from streamlit_app.viewer import Viewer

# Action statuses: fill colour (Okabe-Ito) and marker shape, so the status survives without colour. Words come
# from the seed reference.improvement_statuses (STATUS_FALLBACK only if a status is missing there).
STATUS_STYLE: dict[str, dict[str, str]] = {
    "COMPLETE": {"fill": "#0072B2", "text": "#FFFFFF", "shape": "circle"},
    "TRANSFERRED": {"fill": "#56B4E9", "text": "#000000", "shape": "cross"},
    "ON_TRACK": {"fill": "#009E73", "text": "#000000", "shape": "square"},
    "DELAYED": {"fill": "#E69F00", "text": "#000000", "shape": "triangle-down"},
    "NOT_STARTED": {"fill": "#DDDDDD", "text": "#000000", "shape": "diamond"},
}
STATUS_FALLBACK = {
    "COMPLETE": "Complete",
    "TRANSFERRED": "Transferred",
    "ON_TRACK": "On track",
    "DELAYED": "Delayed",
    "NOT_STARTED": "Not started",
}
# The committee's table: complete and transferred both count as closed (mart column `closed`).
COMMITTEE_PARTS = (
    ("closed", "Closed", "#0072B2", "#FFFFFF"),
    ("on_track", "On track", "#009E73", "#000000"),
    ("delayed", "Delayed", "#E69F00", "#000000"),
    ("not_started", "Not started", "#DDDDDD", "#000000"),
)
LEVELS = {"recommendation": "Recommendations", "action": "Actions"}
GRAINS = ("Every month", "Quarter ends (as reported to the committee)")
NO_HIGHLIGHT = "(none)"

# Legend symbols: thin outline so the fill colour shows (the marks have a black outline for contrast).
SYMBOLS = {"symbolSize": 160, "symbolStrokeWidth": 0.6}


# --------------------------------------------------------------------------------------------------------
# Words


def _status_words(viewer: Viewer) -> dict[str, str]:
    statuses = da.improvement_statuses(viewer)
    return {**STATUS_FALLBACK, **dict(zip(statuses["status"], statuses["status_label"], strict=True))}


def _recommendation_words(status: str, words: dict[str, str]) -> str:
    """A recommendation is COMPLETE only when every action is closed: the committee calls that closed."""
    return "Closed" if status == "COMPLETE" else words.get(status, status)


def _month(value: Any) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def _day(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return pd.Timestamp(value).strftime("%d %b %Y").lstrip("0")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _counts_sentence(row: pd.Series, noun: str) -> str:
    """E.g. "of 6 recommendations, 1 closed, 0 on track, 5 delayed and 0 not started"."""
    closed, on_track, delayed, not_started = (int(row[p]) for p in ("closed", "on_track", "delayed", "not_started"))
    return (
        f"of {int(row['items'])} {noun}, {closed} closed, {on_track} on track, {delayed} delayed and "
        f"{not_started} not started"
    )


def _status_encodings(statuses: set[str], words: dict[str, str]) -> tuple[alt.Color, alt.Shape]:
    """Colour and shape for the action statuses present, sharing one legend (so its symbols show both)."""
    present = [s for s in STATUS_STYLE if s in statuses]
    domain = [words.get(s, s) for s in present]
    legend = alt.Legend(title="Current status", orient="bottom", direction="horizontal", labelLimit=0, **SYMBOLS)
    colour = alt.Color(
        "status_words:N",
        scale=alt.Scale(domain=domain, range=[STATUS_STYLE[s]["fill"] for s in present]),
        legend=legend,
    )
    shape = alt.Shape(
        "status_words:N",
        scale=alt.Scale(domain=domain, range=[STATUS_STYLE[s]["shape"] for s in present]),
        legend=legend,
    )
    return colour, shape


# --------------------------------------------------------------------------------------------------------
# The committee's status table


def _status_table(viewer: Viewer, counts: pd.DataFrame) -> pd.Timestamp:
    st.header("Status as the committee sees it")
    months = list(dict.fromkeys(counts["month_end"].dt.strftime("%Y-%m-%d")))[::-1]
    month = st.selectbox(
        "Month",
        months,
        format_func=lambda m: _month(m) + (" (quarter end)" if pd.Timestamp(m).month in (3, 6, 9, 12) else ""),
        key="improvement_month",
        help="Each action's latest update on or before the end of the month, rolled up to recommendations.",
    )
    at = counts[counts["month_end"].eq(pd.Timestamp(month))].set_index("level")
    rec, act = at.loc["recommendation"], at.loc["action"]
    st.markdown(
        f"**At the end of {_month(month)}, {_counts_sentence(rec, 'recommendations')}.**  \n"
        f"Actions: {_counts_sentence(act, 'actions')} "
        f"({int(act['complete'])} complete and {int(act['transferred'])} transferred make up the closed)."
    )
    st.markdown(f"**Recommendations** (of {int(rec['items'])})")
    columns = st.columns(len(COMMITTEE_PARTS))
    for column, (part, name, _, _) in zip(columns, COMMITTEE_PARTS, strict=True):
        column.metric(
            name,
            int(rec[part]),
            border=True,
            help=f"Recommendations {name.lower()} at the end of {_month(month)}, of {int(rec['items'])}.",
        )
        column.caption(f"Actions {name.lower()}: {int(act[part])} of {int(act['items'])}")
    table = pd.DataFrame(
        {
            "Status": [name for _, name, _, _ in COMMITTEE_PARTS] + ["Total"],
            "Recommendations": [int(rec[p]) for p, _, _, _ in COMMITTEE_PARTS] + [int(rec["items"])],
            "Actions": [int(act[p]) for p, _, _, _ in COMMITTEE_PARTS] + [int(act["items"])],
        }
    )
    c.table(
        table,
        f"improvement_status_{month}",
        key="improvement_status",
        caption=f"Counts by status at the end of {_month(month)}. Closed = complete or transferred; a "
        "recommendation is closed when all its actions are, delayed when any is delayed.",
    )
    return pd.Timestamp(month)


def _status_over_time(counts: pd.DataFrame, selected: pd.Timestamp) -> None:
    st.subheader("Status over time")
    level_col, grain_col = st.columns(2)
    level = level_col.radio("Count", list(LEVELS), format_func=LEVELS.get, key="improvement_level", horizontal=True)
    grain = grain_col.radio("Periods", GRAINS, key="improvement_grain", horizontal=True)
    rows = counts[counts["level"].eq(level)]
    if grain == GRAINS[1]:
        rows = rows[rows["is_quarter_end"]]
    rows = rows.assign(month_label=rows["month_end"].dt.strftime("%b %Y")).reset_index(drop=True)
    if rows.empty:
        st.info("No month in the tracker matches this choice.")
        return
    noun = LEVELS[level].lower()
    last = rows.iloc[-1]
    peak = rows.loc[rows["delayed"].idxmax()]
    finding = (
        f"{LEVELS[level]}: {int(last['closed'])} of {int(last['items'])} closed and {int(last['delayed'])} delayed "
        f"at {_month(last['month_end'])}; delayed peaked at {int(peak['delayed'])} in {_month(peak['month_end'])}"
    )
    long = rows.melt(
        id_vars=["month_end", "month_label", "items"],
        value_vars=[p for p, _, _, _ in COMMITTEE_PARTS],
        var_name="part",
        value_name="count",
    )
    names = {p: n for p, n, _, _ in COMMITTEE_PARTS}
    long["status_words"] = long["part"].map(names)
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
        alt.Tooltip("count:Q", title=LEVELS[level]),
        alt.Tooltip("items:Q", title="Of"),
    ]
    base = alt.Chart(long)
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("count:Q", title=f"{LEVELS[level]} (stacked by status)", stack="zero"),
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
        title=c.chart_title(finding, f"Outlined bar: {_month(selected)}, the month shown above"), height=480
    )
    c.show_chart(chart, f"{finding}. Stacked bars: {noun} by status at each month end; numbers give each count.")
    table = pd.DataFrame(
        {
            "Month end": rows["month_end"].dt.date,
            "Financial year": rows["fiscal_year"],
            "Quarter": rows["fiscal_quarter"],
            "Quarter end": rows["is_quarter_end"],
            LEVELS[level]: rows["items"],
            "Closed": rows["closed"],
            "On track": rows["on_track"],
            "Delayed": rows["delayed"],
            "Not started": rows["not_started"],
            "of closed: complete": rows["complete"],
            "of closed: transferred": rows["transferred"],
        }
    )
    c.table(table, f"improvement_{level}_status_by_month", key="improvement_over_time")


# --------------------------------------------------------------------------------------------------------
# Recommendations and their actions


def _recommendations(viewer: Viewer, words: dict[str, str]) -> None:
    st.header("Recommendations and their actions")
    recs = da.improvement_recommendation_status(viewer)
    actions = da.improvement_action_status(viewer)
    if recs.empty:
        st.info("The published warehouse has no recommendations of the improvement plan yet.")
        return
    latest_update = actions["last_update_date"].max()
    st.markdown(
        f"Current status of each recommendation and action, from the latest monthly update"
        f"{'' if pd.isna(latest_update) else ' (' + _day(latest_update) + ')'}. The target in force is the "
        "revised target when the tracker gives one, otherwise the original."
    )
    table = pd.DataFrame(
        {
            "Recommendation": recs["recommendation_id"],
            "Title": recs["recommendation_title"],
            "Status": [_recommendation_words(s, words) for s in recs["status"]],
            "Actions": recs["actions"],
            "Closed": recs["closed"],
            "On track": recs["on_track"],
            "Delayed": recs["delayed"],
            "Not started": recs["not_started"],
            "Original target": recs["original_target_date"].dt.date,
            "Target in force": recs["current_target_date"].dt.date,
            "Days slipped": recs["days_slipped"],
            "Closed on": recs["closed_on"].dt.date,
        }
    )
    c.table(table, "improvement_recommendations", key="improvement_recommendations")

    for rec in recs.itertuples():
        mine = actions[actions["recommendation_id"].eq(rec.recommendation_id)]
        status = _recommendation_words(rec.status, words)
        label = (
            f"Recommendation {rec.recommendation_id}: {rec.recommendation_title} — {status} "
            f"({rec.closed} of {rec.actions} actions closed)"
        )
        with st.expander(label):
            if isinstance(rec.summary, str):
                st.markdown(rec.summary)
            detail = pd.DataFrame(
                {
                    "Action": mine["action_id"],
                    "Title": mine["action_title"],
                    "Status": [words.get(s, s) for s in mine["status"]],
                    "Lead": mine["lead_group_name"],
                    "Latest update": mine["last_update_date"].dt.date,
                    "Progress (latest update)": mine["progress_note"],
                    "Next steps": mine["next_steps"],
                    "Original target": mine["original_target_date"].dt.date,
                    "Target in force": mine["current_target_date"].dt.date,
                    "Why the target moved": mine["revision_reason"],
                    "Closed on": mine["closed_on"].dt.date,
                    "Reported by": mine["reported_by"],
                }
            )
            c.table(
                detail,
                f"improvement_recommendation_{rec.recommendation_id}_actions",
                key=f"improvement_actions_{rec.recommendation_id}",
            )


# --------------------------------------------------------------------------------------------------------
# Slippage


def _slippage(viewer: Viewer, words: dict[str, str]) -> None:
    st.header("Slippage: target in force against the original target")
    slip = da.improvement_slippage(viewer).dropna(subset=["original_target_date"])
    if slip.empty:
        st.info("No action has an update with a target date yet, so there is no slippage to show.")
        return
    slip = slip.assign(
        row=slip["action_id"] + " " + slip["action_title"],
        status_words=[words.get(s, s) for s in slip["status"]],
        original=slip["original_target_date"].dt.strftime("%d %b %Y"),
        current=slip["current_target_date"].dt.strftime("%d %b %Y"),
        label=["on the original date" if d == 0 else f"{d:+,} days" for d in slip["days_slipped"].astype("int64")],
    )
    slipped = slip[slip["days_slipped"].gt(0)]
    delayed = slip[slip["status"].eq("DELAYED")]
    finding = f"{len(slipped)} of {len(slip)} actions' targets are later than first planned"
    if not delayed.empty:
        targets = sorted(delayed["current_target_date"].unique())
        when = (
            f"now aim for {_month(targets[0])}"
            if len(targets) == 1
            else f"now aim for {_month(targets[0])} to {_month(targets[-1])}"
        )
        finding += (
            f"; the {_plural(len(delayed), 'action')} still delayed {when}, up to "
            f"{int(delayed['days_slipped'].max()):,} days after the original target"
        )
    elif not slipped.empty:
        finding += f"; the largest move was {int(slipped['days_slipped'].max()):,} days"
    colour, shape = _status_encodings(set(slip["status"]), words)
    y = alt.Y("row:N", title=None, sort=list(slip["row"]), axis=alt.Axis(labelLimit=340))
    tooltip = [
        alt.Tooltip("row:N", title="Action"),
        alt.Tooltip("status_words:N", title="Current status"),
        alt.Tooltip("original:N", title="Original target"),
        alt.Tooltip("current:N", title="Target in force"),
        alt.Tooltip("days_slipped:Q", title="Days slipped", format=","),
        alt.Tooltip("times_revised:Q", title="Times revised"),
    ]
    slip["aria"] = [
        f"{r}: {s}; original target {o}, target in force {cu} ({lab})"
        for r, s, o, cu, lab in zip(
            slip["row"], slip["status_words"], slip["original"], slip["current"], slip["label"], strict=True
        )
    ]
    base = alt.Chart(slip)
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
        base.mark_point(filled=True, size=130, stroke="#000000", strokeWidth=0.8, opacity=1).encode(
            y=y, x="current_target_date:T", color=colour, shape=shape, tooltip=tooltip, description="aria:N"
        ),
        base.mark_text(align="left", dx=10, fontSize=11).encode(y=y, x="current_target_date:T", text="label:N"),
    ]
    latest = da.improvement_action_status(viewer)["last_update_date"].max()
    subtitle = "Each row: original target (hollow circle) to the target in force (filled; shape and colour: status)"
    if pd.notna(latest):
        layers.append(
            alt.Chart(pd.DataFrame({"when": [pd.Timestamp(latest)], "what": [f"Latest update {_day(latest)}"]}))
            .mark_rule(strokeDash=[6, 4], color="#000000")
            .encode(x="when:T", tooltip=[alt.Tooltip("what:N", title="Line")])
        )
        subtitle += f"; dashed line: latest update ({_day(latest)})"
    chart = alt.layer(*layers).properties(title=c.chart_title(finding, subtitle), height=26 * len(slip) + 150)
    c.show_chart(chart, f"{finding}. For each action, its original target and its target in force.")
    table = pd.DataFrame(
        {
            "Action": slip["action_id"],
            "Title": slip["action_title"],
            "Status": slip["status_words"],
            "Original target": slip["original_target_date"].dt.date,
            "Target in force": slip["current_target_date"].dt.date,
            "Days slipped": slip["days_slipped"],
            "Times revised": slip["times_revised"],
            "First revised on": slip["first_revised_on"].dt.date,
            "Latest reason": slip["latest_revision_reason"],
            "Closed on": slip["closed_on"].dt.date,
            "Days closed after original target": slip["days_closed_after_original_target"],
        }
    )
    c.table(
        table,
        "improvement_slippage",
        key="improvement_slippage",
        caption="Days slipped = target in force − original target (negative: brought forward). Times revised "
        "counts the updates that moved the target.",
    )


# --------------------------------------------------------------------------------------------------------
# Links between actions


def _neighbours(links: pd.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, b in zip(links["from_action_id"], links["to_action_id"], strict=True):
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def _links(viewer: Viewer, words: dict[str, str]) -> None:
    st.header("Links between actions")
    links = da.improvement_action_links(viewer)
    actions = da.improvement_action_status(viewer)
    if links.empty or actions.empty:
        st.info("The published warehouse lists no links between actions.")
        return
    st.markdown(
        "The plan lists, under each action, the actions it links with. These are associations, not one-way "
        "dependencies: a delayed action holds back the work it is linked with."
    )
    order = list(actions["action_id"])
    title = dict(zip(actions["action_id"], actions["action_title"], strict=True))
    status = dict(zip(actions["action_id"], actions["status"], strict=True))
    closed = dict(zip(actions["action_id"], actions["is_closed"], strict=True))
    neighbours = _neighbours(links)
    degree = {a: len(neighbours.get(a, set())) for a in order}
    top_n = max(degree.values())
    top = [a for a in order if degree[a] == top_n]
    pairs = {
        tuple(sorted((a, b), key=order.index))
        for a, b in zip(links["from_action_id"], links["to_action_id"], strict=True)
    }
    cross = int(links["is_cross_recommendation"].sum())
    finding = (
        f"{_join([f'{a} {title[a]} ({words.get(status[a], status[a]).lower()})' for a in top])} "
        f"{'is' if len(top) == 1 else 'are'} linked with the most actions ({top_n}); {cross} of the "
        f"{len(links)} listed links cross recommendations"
    )
    highlight = st.selectbox(
        "Highlight the links of",
        [NO_HIGHLIGHT, *order],
        format_func=lambda a: a if a == NO_HIGHLIGHT else f"{a} {title[a]}",
        key="improvement_link_action",
    )

    # Circular layout: actions in plan order round a circle (recommendation 1 from the top, clockwise).
    angle = {a: math.pi / 2 - 2 * math.pi * i / len(order) for i, a in enumerate(order)}
    nodes = pd.DataFrame({"action_id": order})
    nodes["x"] = [math.cos(angle[a]) for a in order]
    nodes["y"] = [math.sin(angle[a]) for a in order]
    nodes["lx"] = 1.16 * nodes["x"]
    nodes["ly"] = 1.16 * nodes["y"]
    nodes["title"] = nodes["action_id"].map(title)
    nodes["status_words"] = [words.get(status[a], status[a]) for a in order]
    nodes["links"] = nodes["action_id"].map(degree)
    nodes["focus"] = [highlight in (NO_HIGHLIGHT, a) or a in neighbours.get(highlight, set()) for a in order]
    nodes["aria"] = [
        f"{a} {title[a]}: {w}, linked with {degree[a]} actions"
        for a, w in zip(order, nodes["status_words"], strict=True)
    ]
    both = set(zip(links["from_action_id"], links["to_action_id"], strict=True))
    edges = pd.DataFrame(sorted(pairs, key=lambda p: (order.index(p[0]), order.index(p[1]))), columns=["a", "b"])
    edges["x"] = [math.cos(angle[a]) for a in edges["a"]]
    edges["y"] = [math.sin(angle[a]) for a in edges["a"]]
    edges["x2"] = [math.cos(angle[b]) for b in edges["b"]]
    edges["y2"] = [math.sin(angle[b]) for b in edges["b"]]
    edges["listed"] = [
        "Listed under both actions" if (a, b) in both and (b, a) in both else "Listed under one action"
        for a, b in zip(edges["a"], edges["b"], strict=True)
    ]
    edges["link"] = edges["a"] + " – " + edges["b"]
    edges["focus"] = [highlight in (a, b) for a, b in zip(edges["a"], edges["b"], strict=True)]
    if highlight == NO_HIGHLIGHT:
        edges["focus"] = True
    scale = alt.Scale(domain=[-1.3, 1.3], nice=False)
    hidden = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    colour, shape = _status_encodings(set(status.values()), words)
    edge_layer = (
        alt.Chart(edges)
        .mark_rule()
        .encode(
            x=alt.X("x:Q", scale=scale, axis=hidden),
            y=alt.Y("y:Q", scale=scale, axis=hidden),
            x2="x2:Q",
            y2="y2:Q",
            strokeDash=alt.StrokeDash(
                "listed:N",
                title="Link",
                scale=alt.Scale(
                    domain=["Listed under both actions", "Listed under one action"], range=[[1, 0], [5, 3]]
                ),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            color=alt.condition(alt.datum.focus, alt.value("#333333"), alt.value("#D0D0D0")),
            strokeWidth=alt.condition(
                alt.datum.focus, alt.value(1.6 if highlight != NO_HIGHLIGHT else 1.0), alt.value(0.6)
            ),
            opacity=alt.condition(alt.datum.focus, alt.value(0.85), alt.value(0.5)),
            tooltip=[alt.Tooltip("link:N", title="Link"), alt.Tooltip("listed:N", title="Listed")],
        )
    )
    node_tooltip = [
        alt.Tooltip("action_id:N", title="Action"),
        alt.Tooltip("title:N", title="Title"),
        alt.Tooltip("status_words:N", title="Current status"),
        alt.Tooltip("links:Q", title="Linked actions"),
    ]
    node_layer = (
        alt.Chart(nodes)
        .mark_point(filled=True, size=380, stroke="#000000", strokeWidth=1)
        .encode(
            x=alt.X("x:Q", scale=scale, axis=hidden),
            y=alt.Y("y:Q", scale=scale, axis=hidden),
            color=colour,
            shape=shape,
            opacity=alt.condition(alt.datum.focus, alt.value(1.0), alt.value(0.35)),
            tooltip=node_tooltip,
            description="aria:N",
        )
    )
    label_layer = (
        alt.Chart(nodes)
        .mark_text(fontSize=12, fontWeight="bold", aria=False)
        .encode(
            x=alt.X("lx:Q", scale=scale, axis=hidden),
            y=alt.Y("ly:Q", scale=scale, axis=hidden),
            text="action_id:N",
            tooltip=node_tooltip,
        )
    )
    subtitle = (
        "Actions round the circle in plan order (1.1 at the top, clockwise); a line joins two linked actions"
        if highlight == NO_HIGHLIGHT
        else f"Highlighted: {highlight} {title[highlight]} and the {degree[highlight]} actions it is linked with"
    )
    chart = (edge_layer + node_layer + label_layer).properties(
        title=c.chart_title(finding, subtitle, width=80), width=620, height=620
    )
    st.altair_chart(chart, width="content", alt=f"{finding}. Network of actions: each line joins two linked actions.")
    adjacency = pd.DataFrame(
        {
            "Action": order,
            "Title": [title[a] for a in order],
            "Status": [words.get(status[a], status[a]) for a in order],
            "Linked actions": [degree[a] for a in order],
            "Linked with": [", ".join(sorted(neighbours.get(a, set()), key=order.index)) for a in order],
            "Linked and still open": [
                ", ".join(sorted((b for b in neighbours.get(a, set()) if not closed[b]), key=order.index))
                for a in order
            ],
            "Links listed under it": [int(links["from_action_id"].eq(a).sum()) for a in order],
            "Listed under other actions": [int(links["to_action_id"].eq(a).sum()) for a in order],
        }
    )
    c.table(adjacency, "improvement_action_links_by_action", key="improvement_adjacency")
    with st.expander("Every link as the plan lists it"):
        listed = pd.DataFrame(
            {
                "From action": links["from_action_id"],
                "From title": links["from_action_title"],
                "From status": [words.get(s, s) for s in links["from_status"]],
                "To action": links["to_action_id"],
                "To title": links["to_action_title"],
                "To status": [words.get(s, s) for s in links["to_status"]],
                "Crosses recommendations": links["is_cross_recommendation"],
                "Listed both ways": links["is_listed_both_ways"],
            }
        )
        c.table(listed, "improvement_action_links", key="improvement_links")


# --------------------------------------------------------------------------------------------------------
# Milestones and go-live


def _timeline(viewer: Viewer) -> None:
    st.header("Milestones and crime system go-live")
    milestones = da.improvement_milestones(viewer)
    go_live = da.crime_system_go_live(viewer)
    if milestones.empty and go_live.empty:
        st.info("The published warehouse has no milestones or go-live dates.")
        return
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": milestones["planned_date"],
                    "lane": milestones["title"],
                    "kind": "Plan milestone",
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
                    "kind": "Crime system go-live",
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
    events["day"] = [_day(d) for d in events["date"]]
    events["label"] = [
        f"{d}" + ("" if basis in ("as planned", "as reported") else f" ({basis})")
        for d, basis in zip(events["day"], events["date_basis"], strict=True)
    ]
    finding = _timeline_finding(milestones, go_live)
    kinds = ["Plan milestone", "Crime system go-live"]
    legend = alt.Legend(title="Event", orient="bottom", direction="horizontal", labelLimit=0, **SYMBOLS)
    colour = alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=[c.PALETTE[0], c.PALETTE[1]]), legend=legend)
    shape = alt.Shape("kind:N", scale=alt.Scale(domain=kinds, range=["diamond", "circle"]), legend=legend)
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
    events["aria"] = [f"{lane}: {label}" for lane, label in zip(events["lane"], events["label"], strict=True)]
    base = alt.Chart(events)
    layers = [
        base.mark_point(filled=True, size=150, stroke="#000000", strokeWidth=0.8, opacity=1).encode(
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
            description="aria:N",
        ),
        base.mark_text(align="left", dx=10, fontSize=11, aria=False).encode(y=y, x="date:T", text="label:N"),
    ]
    latest = da.improvement_action_status(viewer)["last_update_date"].max()
    subtitle = "Dates marked synthetic or day assumed are not from the source papers (see About the data)"
    if pd.notna(latest):
        layers.append(
            alt.Chart(pd.DataFrame({"when": [pd.Timestamp(latest)], "what": [f"Latest tracker update {_day(latest)}"]}))
            .mark_rule(strokeDash=[6, 4], color="#000000")
            .encode(x="when:T", tooltip=[alt.Tooltip("what:N", title="Line")])
        )
        subtitle += f"; dashed line: latest tracker update ({_day(latest)})"
    chart = alt.layer(*layers).properties(title=c.chart_title(finding, subtitle), height=26 * len(events) + 150)
    c.show_chart(chart, f"{finding}. Timeline of plan milestones and of each division's go-live.")
    table = pd.DataFrame(
        {
            "Date": events["date"].dt.date,
            "Event": events["lane"],
            "Kind": events["kind"],
            "Division code": events["division_code"],
            "Period": events["planned_period"],
            "Date is": events["date_basis"],
            "Source or note": events["source"],
        }
    )
    c.table(table, "improvement_milestones_and_go_live", key="improvement_timeline")


def _timeline_finding(milestones: pd.DataFrame, go_live: pd.DataFrame) -> str:
    if go_live.empty:
        return f"{_plural(len(milestones), 'plan milestone')} from {_month(milestones['planned_date'].min())}"
    first, last = go_live.iloc[0], go_live.iloc[-1]
    finding = (
        f"The crime system went live in {_plural(len(go_live), 'division')} between {_month(first['go_live_date'])} "
        f"({first['division_code']}) and {_month(last['go_live_date'])} ({last['division_code']})"
    )
    full = milestones[milestones["milestone_id"].eq("FULL_REPORT")]
    if not full.empty:
        planned = full["planned_date"].iloc[0]
        later = int(go_live["go_live_date"].gt(planned).sum())
        finding += (
            f"; {later} of them went live after the full report planned for {full['planned_period'].iloc[0].lower()}"
        )
    return finding


# --------------------------------------------------------------------------------------------------------


def main(viewer: Viewer) -> None:
    st.title("Improvement plan")
    st.markdown(
        "Progress on the Crime Audit Improvement Plan: the six HMICS Crime Audit 2020 recommendations and their "
        "21 actions, reported monthly by the Crime Audit Tactical Group. The committee receives counts by "
        "status; a recommendation is closed when all its actions are closed (complete or transferred), delayed "
        "when any action is delayed, on track when any has started."
    )
    counts = da.improvement_status_counts(viewer)
    if counts.empty:
        raise da.DataUnavailable(
            "The published warehouse has no improvement plan updates yet, so there is no status to show. They "
            "appear once an `improvement_updates` extract has been loaded and published."
        )
    counts = counts.assign(month_end=pd.to_datetime(counts["month_end"]))
    words = _status_words(viewer)
    selected = _status_table(viewer, counts)
    _status_over_time(counts, selected)
    st.divider()
    _recommendations(viewer, words)
    st.divider()
    _slippage(viewer, words)
    st.divider()
    _links(viewer, words)
    st.divider()
    _timeline(viewer)


c.render_page(main)
