"""The Improvement plan page's tables: mart rows renamed and put in words for people (and their CSVs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from streamlit_app.ui.plan import COMMITTEE_PARTS


def status_counts_table(rec: pd.Series, act: pd.Series) -> pd.DataFrame:
    """Recommendations and actions by committee status at one month end, with the totals."""
    return pd.DataFrame(
        {
            "Status": [name for _, name, _, _ in COMMITTEE_PARTS] + ["Total"],
            "Recommendations": [int(rec[p]) for p, _, _, _ in COMMITTEE_PARTS] + [int(rec["items"])],
            "Actions": [int(act[p]) for p, _, _, _ in COMMITTEE_PARTS] + [int(act["items"])],
        }
    )


def status_by_month_table(rows: pd.DataFrame, level: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Month end": rows["month_end"].dt.date,
            "Financial year": rows["fiscal_year"],
            "Quarter": rows["fiscal_quarter"],
            "Quarter end": rows["is_quarter_end"],
            level: rows["items"],
            "Closed": rows["closed"],
            "On track": rows["on_track"],
            "Delayed": rows["delayed"],
            "Not started": rows["not_started"],
            "of closed: complete": rows["complete"],
            "of closed: transferred": rows["transferred"],
        }
    )


def recommendations_table(recs: pd.DataFrame, recommendation_words: Callable[[str], str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Recommendation": recs["recommendation_id"],
            "Title": recs["recommendation_title"],
            "Status": [recommendation_words(s) for s in recs["status"]],
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


def actions_table(actions: pd.DataFrame, words: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Action": actions["action_id"],
            "Title": actions["action_title"],
            "Status": [words.get(s, s) for s in actions["status"]],
            "Lead": actions["lead_group_name"],
            "Latest update": actions["last_update_date"].dt.date,
            "Progress (latest update)": actions["progress_note"],
            "Next steps": actions["next_steps"],
            "Original target": actions["original_target_date"].dt.date,
            "Target in force": actions["current_target_date"].dt.date,
            "Why the target moved": actions["revision_reason"],
            "Closed on": actions["closed_on"].dt.date,
            "Reported by": actions["reported_by"],
        }
    )


def slippage_table(slip: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
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


def adjacency_table(
    order: list[str],
    title: Mapping[str, str],
    status_words: Mapping[str, str],
    linked: Mapping[str, set[str]],
    closed: Mapping[str, bool],
    links: pd.DataFrame,
) -> pd.DataFrame:
    """One row per action: its links, which of them are still open, and where the plan lists them."""
    return pd.DataFrame(
        {
            "Action": order,
            "Title": [title[a] for a in order],
            "Status": [status_words[a] for a in order],
            "Linked actions": [len(linked.get(a, set())) for a in order],
            "Linked with": [", ".join(sorted(linked.get(a, set()), key=order.index)) for a in order],
            "Linked and still open": [
                ", ".join(sorted((b for b in linked.get(a, set()) if not closed[b]), key=order.index)) for a in order
            ],
            "Links listed under it": [int(links["from_action_id"].eq(a).sum()) for a in order],
            "Listed under other actions": [int(links["to_action_id"].eq(a).sum()) for a in order],
        }
    )


def links_table(links: pd.DataFrame, words: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
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


def timeline_table(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
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


def counts_sentence(row: pd.Series, noun: str) -> str:
    """E.g. "of 6 recommendations, 1 closed, 0 on track, 5 delayed and 0 not started"."""
    closed, on_track, delayed, not_started = (int(row[p]) for p in ("closed", "on_track", "delayed", "not_started"))
    return (
        f"of {int(row['items'])} {noun}, {closed} closed, {on_track} on track, {delayed} delayed and "
        f"{not_started} not started"
    )
