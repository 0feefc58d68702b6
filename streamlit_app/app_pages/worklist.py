"""Worklist: every failing record of a division, what to do about it, and its review state (docs/worklist.md).

Division users see and mark their own division's records; registrars and engineers choose any division;
registrars settle disputes. The committee is refused (record-level data).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from scrs.reviews import STATE_WORDS
from scrs.worklist import WorklistFilter
from streamlit_app.access.audit import check_division_request, enforce
from streamlit_app.access.policy import AccessDenied, Viewer, worklist_refusal
from streamlit_app.data import reference
from streamlit_app.data import worklist as data
from streamlit_app.ui import format as fmt
from streamlit_app.ui import worklist as ui_worklist
from streamlit_app.ui.page import render_page

ALL = "All"
SORTS = {  # label -> scrs.worklist.WORKLIST_ORDERS
    "Priority (victim-based sexual or violent crime first, then oldest)": "priority",
    "Oldest failing first": "oldest",
    "Newest failing first": "newest",
    "Event date": "event_date",
}
SHOWN = {
    "priority_rank": "Priority",
    "priority_words": "Priority group",
    "test_name": "Test",
    "record_id": "Record",
    "reasons_in_words": "Why it failed",
    "age_days": "Days failing",
    "new": "New",
    "state_words": "Review state",
    "review_note": "Note",
    "event_date": "Event date",
    "unit": "Unit",
    "incident_id": "Incident",
    "crime_id": "Crime",
    "incident_type_code": "Incident type",
    "crime": "Crime code",
    "crime_category": "Category",
    "reported_at": "Reported",
    "recorded_at": "Recorded",
    "hours_to_record": "Hours to record",
    "no_crime_reason": "No Crime reason",
    "no_crime_authoriser_role": "No Crime authorised by (role)",
    "complainer_informed": "Complainer informed",
}


def _choose_division(viewer: Viewer) -> str:
    enforce(viewer, worklist_refusal(viewer, viewer.division_code if viewer.is_division else "any"))
    divisions = reference.divisions()
    names = dict(zip(divisions["division_code"], divisions["division_name"], strict=True))
    codes = [viewer.division_code] if viewer.is_division else list(names)
    link = st.query_params.get("division")
    if link is not None and "worklist_division" not in st.session_state:
        st.session_state["worklist_division"] = link
    requested = st.session_state.get("worklist_division")
    if requested is not None and requested not in codes:
        st.session_state.pop("worklist_division", None)
        check_division_request(viewer, str(requested))  # refused and logged (another division's records)
        raise AccessDenied(f"There is no division {str(requested)[:12]!r}.")
    return st.selectbox(
        "Division",
        codes,
        format_func=lambda d: f"{names.get(d, d)} ({d})",
        key="worklist_division",
        disabled=len(codes) == 1,
    )


def _prepare(rows: pd.DataFrame) -> pd.DataFrame:
    unit = rows["recording_unit"].fillna(rows["closing_unit"]).fillna("UNKNOWN")
    crime = rows["crime_code"].fillna("") + rows["crime_description"].map(
        lambda d: f" {d}" if isinstance(d, str) else ""
    )
    return rows.assign(
        unit=unit.map(fmt.UNIT_WORDS).fillna(unit),
        crime=crime.where(crime.str.len() > 0),
        new=rows["is_new_since_last_publication"].map({True: "New", False: ""}),
        state_words=rows["review_state"].map(STATE_WORDS),
    )


def _filters(choices: data.WorklistChoices) -> tuple[WorklistFilter, str]:
    c1, c2, c3 = st.columns(3)
    year = c1.selectbox("Financial year", [ALL, *choices.years], key="worklist_year")
    quarter = c2.selectbox(
        "Quarter",
        [ALL, 1, 2, 3, 4],
        format_func=lambda q: q if q == ALL else fmt.QUARTER_WORDS[q],
        key="worklist_quarter",
        disabled=year == ALL,
    )
    sort = c3.selectbox("Sort by", list(SORTS), key="worklist_sort")
    c4, c5, c6, c7 = st.columns(4)
    tests = c4.multiselect("Test", choices.test_names, key="worklist_tests")
    reasons = c5.multiselect("Reason", list(fmt.REASON_WORDS.values()), key="worklist_reasons")
    unit_words = {code: fmt.UNIT_WORDS.get(code, code) for code in choices.units}
    units = c6.multiselect(
        "Unit", sorted(unit_words, key=unit_words.get), format_func=unit_words.get, key="worklist_units"
    )
    states = c7.multiselect("Review state", list(STATE_WORDS), format_func=STATE_WORDS.get, key="worklist_states")
    chosen = WorklistFilter(
        fiscal_year=None if year == ALL else year,
        fiscal_quarter=None if year == ALL or quarter == ALL else int(quarter),
        test_names=tuple(tests),
        reasons=tuple(reasons),
        units=tuple(units),
        states=tuple(states),
    )
    return chosen, SORTS[sort]


def _summary(choices: data.WorklistChoices, counts: data.WorklistCounts) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Failing records shown",
        fmt.fmt_count(counts.shown),
        help=f"{fmt.fmt_count(choices.records)} in the division",
    )
    c2.metric("New since the last publication", fmt.fmt_count(counts.new))
    c3.metric("Still failing after rectification", fmt.fmt_count(counts.still_failing))
    c4.metric("Disputed", fmt.fmt_count(counts.disputed))


def _downloads(viewer: Viewer, code: str, chosen: WorklistFilter, order: str) -> None:
    """Every record the filters keep (not only the table's), read and logged only when a button is clicked."""
    base = f"scrs_worklist_division-{code}"
    c1, c2, _ = st.columns([1, 1, 4])
    for col, ext, label, mime in (
        (c1, "csv", "CSV", "text/csv"),
        (c2, "xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        name = f"{base}.{ext}"
        col.download_button(
            f"Download ({label})",
            data=lambda ext=ext, name=name: data.worklist_file(
                viewer, code, data.worklist(viewer, code, chosen, order), ext, name
            ),
            file_name=name,
            mime=mime,
            key=f"worklist_download_{ext}",
            icon=":material/download:",
            on_click="ignore",
        )


def _message() -> None:
    message: Any = st.session_state.pop("worklist_message", None)
    if message:
        kind, text = message
        (st.success if kind == "success" else st.error)(text)


def main(viewer: Viewer) -> None:
    st.title("Worklist")
    st.markdown(
        "Every failing record of the division with why it failed, how long it has been failing (days since it "
        "was first seen failing, in extract dates) and its review state. Priority: victim-based sexual or "
        "violent crime first, then other victim-based crime, then the rest; oldest first within each."
    )
    code = _choose_division(viewer)
    _message()
    choices = data.worklist_choices(viewer, code)
    if not choices.records:
        st.info("No failing records in this division.")
        ui_worklist.resolved_records(viewer, code)
        return
    chosen, order = _filters(choices)
    rows, counts = data.worklist_view(viewer, code, chosen, order, ui_worklist.TABLE_SHOWN)
    shown = _prepare(rows)
    _summary(choices, counts)
    if counts.shown > len(shown):
        st.caption(
            f"The first {fmt.fmt_count(len(shown))} of {fmt.fmt_count(counts.shown)} records as sorted: filter to "
            "narrow them, or download them all."
        )
    st.dataframe(
        shown[list(SHOWN)].rename(columns=SHOWN),
        hide_index=True,
        key="worklist_table",
        column_config={"Days failing": st.column_config.NumberColumn(format="%d")},
    )
    _downloads(viewer, code, chosen, order)
    ui_worklist.resolved_records(viewer, code)
    st.divider()
    ui_worklist.mark_record(viewer, code, shown)


render_page(main)
