"""The worklist's parts shared by pages (docs/worklist.md): marking a record, its history, resolved records, and
the measures panel of Division detail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scrs.reviews import STATE_WORDS, allowed_moves
from streamlit_app.access.policy import Viewer, worklist_refusal
from streamlit_app.data import worklist as data
from streamlit_app.data.query import DataUnavailable
from streamlit_app.ui import format as fmt
from streamlit_app.ui import tables

RESOLVED_SHOWN = 50
MARKABLE_SHOWN = 500
# The Worklist page's table shows this many records as sorted; its count, downloads and filters cover them all.
# A division's worklist can hold 0.3 million records (ten years, national volume): read whole on every click and
# sent to the browser, the page took seconds to answer.
TABLE_SHOWN = 1000


def mark_record(viewer: Viewer, code: str, shown: pd.DataFrame) -> None:
    """Choose a record, move it to a state the signed-in person may set (with a screened note); its history."""
    st.subheader("Mark a record")
    if shown.empty:
        st.info("No record to mark with these filters.")
        return
    if len(shown) > MARKABLE_SHOWN:
        st.caption(f"The first {MARKABLE_SHOWN} records as sorted above: filter to reach others.")
    first = shown.head(MARKABLE_SHOWN)
    keys = first["test_code"] + "|" + first["record_id"]
    words = (
        first["priority_rank"].astype(str) + ". " + first["test_name"] + ": " + first["record_id"]
        + " (" + first["state_words"] + ")"
    )  # fmt: skip
    labels = dict(zip(keys, words, strict=True))
    choice = st.selectbox("Record", list(labels), format_func=labels.get, key="worklist_record")
    test_code, record_id = choice.split("|", 1)
    record = shown[shown["test_code"].eq(test_code) & shown["record_id"].eq(record_id)].iloc[0]
    current = str(record["review_state"])
    moves = allowed_moves(viewer.role, current)
    st.caption(f"{record_id}: now **{STATE_WORDS[current]}** · why it failed: {record['reasons_in_words']}")
    if not moves:
        st.info(
            "You cannot change this record's state"
            + (" (engineers read only)." if viewer.role == "engineer" else f" from {STATE_WORDS[current].lower()}.")
        )
    else:
        with st.form("worklist_mark", clear_on_submit=True):
            to_state = st.radio("New state", moves, format_func=STATE_WORDS.get, key="worklist_to_state")
            note = st.text_area(
                "Note (no staff numbers or officers' names)", max_chars=500, key="worklist_note", height=80
            )
            if st.form_submit_button("Save", icon=":material/save:"):
                try:
                    data.set_state(viewer, test_code, record_id, to_state, note, expected_state=current)
                except ValueError as exc:
                    st.session_state["worklist_message"] = ("error", str(exc))
                else:
                    st.session_state["worklist_message"] = (
                        "success",
                        f"{record_id} marked {STATE_WORDS[to_state].lower()}.",
                    )
                st.rerun()
    with st.expander("History of this record"):
        history = data.history(viewer, code, test_code, record_id)
        if history.empty:
            st.caption("No changes yet.")
        else:
            st.dataframe(
                history.assign(
                    from_state=history["from_state"].map(STATE_WORDS),
                    to_state=history["to_state"].map(STATE_WORDS),
                )[["at", "actor", "actor_role", "from_state", "to_state", "note"]].rename(
                    columns={
                        "at": "When (UTC)",
                        "actor": "Who",
                        "actor_role": "Role",
                        "from_state": "From",
                        "to_state": "To",
                        "note": "Note",
                    }
                ),
                hide_index=True,
                key="worklist_history",
            )


def resolved_records(viewer: Viewer, code: str) -> None:
    """The division's resolved records, most recent first (a static table: a few dozen rows)."""
    done = data.resolved(viewer, code)
    with st.expander(f"Resolved: no longer failing ({fmt.fmt_count(len(done))})"):
        if done.empty:
            st.caption("No record of this division has been resolved yet.")
            return
        recent = done.head(RESOLVED_SHOWN)
        if len(done) > RESOLVED_SHOWN:
            st.caption(f"The {RESOLVED_SHOWN} most recently resolved of {fmt.fmt_count(len(done))}.")
        st.table(
            recent.assign(state_words=recent["state"].map(STATE_WORDS))[
                [
                    "test_code",
                    "record_id",
                    "state_words",
                    "first_seen_failing",
                    "resolved_on",
                    "days_to_resolve",
                    "note",
                ]
            ]
            .rename(
                columns={
                    "test_code": "Test",
                    "record_id": "Record",
                    "state_words": "Review state",
                    "first_seen_failing": "First seen failing",
                    "resolved_on": "Resolved on",
                    "days_to_resolve": "Days to resolve",
                    "note": "Last note",
                }
            )
            .set_index("Record")
        )


def measures_panel(viewer: Viewer, code: str, name: str) -> None:
    """Open failures by age band and review state, and what became of failures (docs/worklist.md)."""
    if worklist_refusal(viewer, code) is not None:  # record-derived: not for the committee
        return
    st.subheader("Putting failures right")
    try:
        open_failures, outcomes = data.measures(viewer, code)
    except DataUnavailable as exc:  # a publication made before the worklist existed: the rest still shows
        st.info(str(exc))
        return
    if outcomes.empty:
        st.info(f"No review figures for {name} in this publication.")
        return
    row = outcomes.iloc[0]
    median = row["median_days_to_resolve"]
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Open failures", fmt.fmt_count(row["open_failures"]))
    c2.metric("Resolved", fmt.fmt_count(row["resolved"]))
    c3.metric("Median days to resolve", "–" if pd.isna(median) else f"{median:.0f}")
    c4.metric("Disputes upheld", fmt.fmt_count(row["disputes_upheld"]))
    c5.metric("Rule errors (disputes overturned)", fmt.fmt_count(row["rule_errors"]))
    st.caption(
        "As at this publication. Days are counted in extract dates, from the publication a record was first "
        "seen failing in to the one it no longer failed in. The records and their states are on the Worklist page."
    )
    if open_failures.empty:
        return
    table = open_failures.pivot_table(
        index=["age_band_order", "age_band"], columns="review_state_words", values="open_failures", aggfunc="sum"
    )
    table = table.fillna(0).astype(int).reset_index(level=0, drop=True).reset_index()
    table = table.rename(columns={"age_band": "Days since first seen failing"})
    tables.table(table, f"division_{code}_open_failures_by_age_and_state", key="detail_worklist_measures")
