"""Improvement plan: the committee's status table for any month, each recommendation's actions with their latest
update, slippage of target dates, the links between actions, and the milestones (with crime system go-live).

Everything comes from the improvement marts and seeds (docs/improvement_updates.md); the page only counts and
formats what they hold.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import improvement
from streamlit_app.data.query import DataUnavailable
from streamlit_app.ui import network, plan, plan_tables, tables
from streamlit_app.ui.format import ACTION_STATUS_FALLBACK, fmt_day, fmt_month, join_words, plural
from streamlit_app.ui.page import render_page

LEVELS = {"recommendation": "Recommendations", "action": "Actions"}
GRAINS = ("Every month", "Quarter ends (as reported to the committee)")


def _status_words() -> dict[str, str]:
    statuses = improvement.improvement_statuses()
    return {**ACTION_STATUS_FALLBACK, **dict(zip(statuses["status"], statuses["status_label"], strict=True))}


def _recommendation_words(status: str, words: dict[str, str]) -> str:
    """A recommendation is COMPLETE only when every action is closed: the committee calls that closed."""
    return "Closed" if status == "COMPLETE" else words.get(status, status)


def _status_table(counts: pd.DataFrame) -> pd.Timestamp:
    st.header("Status as the committee sees it")
    months = list(dict.fromkeys(counts["month_end"].dt.strftime("%Y-%m-%d")))[::-1]
    month = st.selectbox(
        "Month",
        months,
        format_func=lambda m: fmt_month(m) + (" (quarter end)" if pd.Timestamp(m).month in (3, 6, 9, 12) else ""),
        key="improvement_month",
        help="Each action's latest update on or before the end of the month, rolled up to recommendations.",
    )
    at = counts[counts["month_end"].eq(pd.Timestamp(month))].set_index("level")
    rec, act = at.loc["recommendation"], at.loc["action"]
    st.markdown(
        f"**At the end of {fmt_month(month)}, {plan_tables.counts_sentence(rec, 'recommendations')}.**  \n"
        f"Actions: {plan_tables.counts_sentence(act, 'actions')} "
        f"({int(act['complete'])} complete and {int(act['transferred'])} transferred make up the closed)."
    )
    st.markdown(f"**Recommendations** (of {int(rec['items'])})")
    for column, (part, name, _, _) in zip(st.columns(len(plan.COMMITTEE_PARTS)), plan.COMMITTEE_PARTS, strict=True):
        column.metric(
            name,
            int(rec[part]),
            border=True,
            help=f"Recommendations {name.lower()} at the end of {fmt_month(month)}, of {int(rec['items'])}.",
        )
        column.caption(f"Actions {name.lower()}: {int(act[part])} of {int(act['items'])}")
    tables.table(
        plan_tables.status_counts_table(rec, act),
        f"improvement_status_{month}",
        key="improvement_status",
        caption=f"Counts by status at the end of {fmt_month(month)}. Closed = complete or transferred; a "
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
    last, peak = rows.iloc[-1], rows.loc[rows["delayed"].idxmax()]
    finding = (
        f"{LEVELS[level]}: {int(last['closed'])} of {int(last['items'])} closed and {int(last['delayed'])} delayed "
        f"at {fmt_month(last['month_end'])}; delayed peaked at {int(peak['delayed'])} in {fmt_month(peak['month_end'])}"
    )
    plan.status_over_time_chart(rows, level=LEVELS[level], finding=finding, selected=selected)
    table = plan_tables.status_by_month_table(rows, LEVELS[level])
    tables.table(table, f"improvement_{level}_status_by_month", key="improvement_over_time")


def _recommendations(words: dict[str, str]) -> None:
    st.header("Recommendations and their actions")
    recs = improvement.improvement_recommendation_status()
    actions = improvement.improvement_action_status()
    if recs.empty:
        st.info("The published warehouse has no recommendations of the improvement plan yet.")
        return
    latest_update = actions["last_update_date"].max()
    st.markdown(
        f"Current status of each recommendation and action, from the latest monthly update"
        f"{'' if pd.isna(latest_update) else ' (' + fmt_day(latest_update) + ')'}. The target in force is the "
        "revised target when the tracker gives one, otherwise the original."
    )
    table = plan_tables.recommendations_table(recs, lambda s: _recommendation_words(s, words))
    tables.table(table, "improvement_recommendations", key="improvement_recommendations")
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
            tables.table(
                plan_tables.actions_table(mine, words),
                f"improvement_recommendation_{rec.recommendation_id}_actions",
                key=f"improvement_actions_{rec.recommendation_id}",
            )


def _slippage(words: dict[str, str], latest: pd.Timestamp) -> None:
    st.header("Slippage: target in force against the original target")
    slip = improvement.improvement_slippage().dropna(subset=["original_target_date"])
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
        when = f"now aim for {fmt_month(targets[0])}" + ("" if len(targets) == 1 else f" to {fmt_month(targets[-1])}")
        finding += (
            f"; the {plural(len(delayed), 'action')} still delayed {when}, up to "
            f"{int(delayed['days_slipped'].max()):,} days after the original target"
        )
    elif not slipped.empty:
        finding += f"; the largest move was {int(slipped['days_slipped'].max()):,} days"
    plan.slippage_chart(slip, words, finding=finding, latest=latest)
    tables.table(
        plan_tables.slippage_table(slip),
        "improvement_slippage",
        key="improvement_slippage",
        caption="Days slipped = target in force − original target (negative: brought forward). Times revised "
        "counts the updates that moved the target.",
    )


def _links(words: dict[str, str]) -> None:
    st.header("Links between actions")
    links = improvement.improvement_action_links()
    actions = improvement.improvement_action_status()
    if links.empty or actions.empty:
        st.info("The published warehouse lists no links between actions.")
        return
    st.markdown(
        "The plan lists, under each action, the actions it links with. These are associations, not one-way "
        "dependencies: a delayed action holds back the work it is linked with."
    )
    order = list(actions["action_id"])
    title = dict(zip(actions["action_id"], actions["action_title"], strict=True))
    status = {a: words.get(s, s) for a, s in zip(actions["action_id"], actions["status"], strict=True)}
    linked = network.neighbours(links)
    degree = {a: len(linked.get(a, set())) for a in order}
    top = [a for a in order if degree[a] == max(degree.values())]
    finding = (
        f"{join_words([f'{a} {title[a]} ({status[a].lower()})' for a in top])} "
        f"{'is' if len(top) == 1 else 'are'} linked with the most actions ({degree[top[0]]}); "
        f"{int(links['is_cross_recommendation'].sum())} of the {len(links)} listed links cross recommendations"
    )
    highlight = st.selectbox(
        "Highlight the links of",
        [network.NO_HIGHLIGHT, *order],
        format_func=lambda a: a if a == network.NO_HIGHLIGHT else f"{a} {title[a]}",
        key="improvement_link_action",
    )
    nodes, edges = network.circle_layout(order, links, highlight)
    nodes["title"] = nodes["action_id"].map(title)
    nodes["status_words"] = nodes["action_id"].map(status)
    nodes["aria"] = [f"{a} {title[a]}: {status[a]}, linked with {degree[a]} actions" for a in nodes["action_id"]]
    subtitle = (
        "Actions round the circle in plan order (1.1 at the top, clockwise); a line joins two linked actions"
        if highlight == network.NO_HIGHLIGHT
        else f"Highlighted: {highlight} {title[highlight]} and the {degree[highlight]} actions it is linked with"
    )
    colour, shape = plan.action_status_encodings(actions["status"], words)
    chart = network.network_chart(
        nodes,
        edges,
        colour=colour,
        shape=shape,
        finding=finding,
        subtitle=subtitle,
        highlighted=highlight != network.NO_HIGHLIGHT,
    )
    st.altair_chart(chart, width="content", alt=f"{finding}. Network of actions: each line joins two linked actions.")
    closed = dict(zip(actions["action_id"], actions["is_closed"], strict=True))
    adjacency = plan_tables.adjacency_table(order, title, status, linked, closed, links)
    tables.table(adjacency, "improvement_action_links_by_action", key="improvement_adjacency")
    with st.expander("Every link as the plan lists it"):
        tables.table(plan_tables.links_table(links, words), "improvement_action_links", key="improvement_links")


def _timeline(latest: pd.Timestamp) -> None:
    st.header("Milestones and crime system go-live")
    milestones = improvement.improvement_milestones()
    go_live = improvement.crime_system_go_live()
    if milestones.empty and go_live.empty:
        st.info("The published warehouse has no milestones or go-live dates.")
        return
    events = plan.timeline_events(milestones, go_live)
    plan.timeline_chart(events, finding=plan.timeline_finding(milestones, go_live), latest=latest)
    tables.table(plan_tables.timeline_table(events), "improvement_milestones_and_go_live", key="improvement_timeline")


def main(viewer: Viewer) -> None:
    st.title("Improvement plan")
    st.markdown(
        "Progress on the Crime Audit Improvement Plan: the six HMICS Crime Audit 2020 recommendations and their "
        "21 actions, reported monthly by the Crime Audit Tactical Group. The committee receives counts by "
        "status; a recommendation is closed when all its actions are closed (complete or transferred), delayed "
        "when any action is delayed, on track when any has started."
    )
    counts = improvement.improvement_status_counts()
    if counts.empty:
        raise DataUnavailable(
            "The published warehouse has no improvement plan updates yet, so there is no status to show. They "
            "appear once an `improvement_updates` extract has been loaded and published."
        )
    counts = counts.assign(month_end=pd.to_datetime(counts["month_end"]))
    words = _status_words()
    latest = improvement.improvement_action_status()["last_update_date"].max()
    _status_over_time(counts, _status_table(counts))
    st.divider()
    _recommendations(words)
    st.divider()
    _slippage(words, latest)
    st.divider()
    _links(words)
    st.divider()
    _timeline(latest)


render_page(main)
