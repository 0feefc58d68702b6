"""The crime managers' worklist (docs/worklist.md): one division's failing records with their review state as
the review store holds it now, its history, the measures, and review writes.

Not cached: the review state changes between page runs. Reads go through `access.policy.worklist_refusal`
(refused and logged by `access.audit`); writes through `scrs.reviews.ReviewStore.set_state`, which checks the
record's division against the publication and logs every write and refusal itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from scrs.reviews import ReviewError, ReviewRefused, ReviewStore
from scrs.worklist import (
    WorklistFilter,
    filtered_worklist_query,
    has_worklist,
    load_live_states,
    worklist_choices_query,
    worklist_counts_query,
)
from scrs.xlsx import xlsx_bytes
from streamlit_app.access.audit import enforce, log_event
from streamlit_app.access.policy import AccessDenied, Viewer, worklist_refusal
from streamlit_app.data.query import READ_ERRORS, DataUnavailable, connection, file_key, settings, unavailable

REVIEW_MARTS = ("review_open_failures", "review_outcomes")


@dataclass(frozen=True)
class WorklistCounts:
    shown: int  # the records the filters keep
    new: int  # of those, new since the last publication
    still_failing: int  # still failing after rectification
    disputed: int


@dataclass(frozen=True)
class WorklistChoices:
    years: list[str]
    test_names: list[str]
    units: list[str]  # unit codes (scrs.worklist.UNIT_SQL)
    records: int  # the division's failing records


def store() -> ReviewStore:
    return ReviewStore.for_settings(settings())


def _read(division_code: str, queries: list[tuple[str, tuple[object, ...]]], live: bool = True) -> list[pd.DataFrame]:
    """The queries' results, on one connection to the publication; `live`: with the review states as the store
    holds them now laid over the published ones (scrs.worklist.load_live_states, read once for all of them)."""
    key = file_key()
    try:
        with connection(key) as con:
            if not has_worklist(con):
                raise DataUnavailable(
                    "This publication has no worklist yet (it comes from an older pipeline): run the pipeline again."
                )
            if live:
                load_live_states(con, store(), division_code)
            return [con.execute(sql, list(params)).df() for sql, params in queries]
    except READ_ERRORS as exc:
        raise unavailable(key, exc) from exc


def worklist(
    viewer: Viewer,
    division_code: str,
    filters: WorklistFilter | None = None,
    order: str = "priority",
    limit: int | None = None,
) -> pd.DataFrame:
    """The division's failing records that `filters` keeps (default: every one), in the named order
    (scrs.worklist.WORKLIST_ORDERS; default priority), the first `limit` when given, with each record's review
    state as of now."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    return _read(division_code, [filtered_worklist_query(division_code, filters, order, limit)])[0]


def worklist_view(
    viewer: Viewer, division_code: str, filters: WorklistFilter, order: str, limit: int
) -> tuple[pd.DataFrame, WorklistCounts]:
    """What the Worklist page shows: the first `limit` records `filters` keeps, in the named order, and how many
    it keeps (new, still failing, disputed among them), with the review states as of now."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    rows, counts = _read(
        division_code,
        [
            filtered_worklist_query(division_code, filters, order, limit),
            worklist_counts_query(division_code, filters),
        ],
    )
    return rows, WorklistCounts(**{name: int(counts.iloc[0][name]) for name in WorklistCounts.__dataclass_fields__})


def worklist_choices(viewer: Viewer, division_code: str) -> WorklistChoices:
    """The years, tests and units the division's failing records have (to filter on), and how many there are,
    as published."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    [row] = _read(division_code, [worklist_choices_query(division_code)], live=False)[0].itertuples(index=False)
    return WorklistChoices(
        years=list(row.years), test_names=list(row.test_names), units=list(row.units), records=int(row.records)
    )


def resolved(viewer: Viewer, division_code: str) -> pd.DataFrame:
    """The division's records that no longer fail, most recently resolved first (from the review store)."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    try:
        # only the resolved ones from the store: a division's every state is 0.3 million rows at ten years
        done = store().states_for(viewer, division_code, state="resolved")
    except ReviewRefused as exc:
        raise AccessDenied(str(exc)) from exc
    first = pd.to_datetime(done["first_seen_failing"])
    solved = pd.to_datetime(done["resolved_on"])
    done["days_to_resolve"] = (solved - first).dt.days
    return done.sort_values(["resolved_on", "test_code", "record_id"], ascending=[False, True, True])


def measures(viewer: Viewer, division_code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(open failures by state and age band, outcomes) of one division, as at the publication."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    open_failures, outcomes = _read(
        division_code,
        [
            (
                "SELECT * FROM marts.review_open_failures WHERE division_code = ? "
                "ORDER BY age_band_order, review_state",
                (division_code,),
            ),
            ("SELECT * FROM marts.review_outcomes WHERE division_code = ?", (division_code,)),
        ],
        live=False,
    )
    return open_failures, outcomes


def history(viewer: Viewer, division_code: str, test_code: str, record_id: str) -> pd.DataFrame:
    """The record's changes, oldest first (who, when, from, to, note)."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    try:
        return store().history_for(viewer, division_code, test_code, record_id)
    except ReviewRefused as exc:
        raise AccessDenied(str(exc)) from exc


def set_state(
    viewer: Viewer, test_code: str, record_id: str, to_state: str, note: str | None, expected_state: str
) -> dict:
    """Mark a record; ValueError with a message for the user when the write cannot be made as asked."""
    try:
        return store().set_state(
            viewer, test_code, record_id, to_state, note, served_db=settings().served_db, expected_state=expected_state
        )
    except ReviewRefused as exc:  # logged by the store
        raise AccessDenied(str(exc)) from exc
    except ReviewError as exc:
        raise ValueError(str(exc)) from exc


def worklist_file(viewer: Viewer, division_code: str, frame: pd.DataFrame, ext: str, file_name: str) -> bytes:
    """The worklist rows shown, as CSV or Excel bytes; generated when the user clicks, and logged then."""
    enforce(viewer, worklist_refusal(viewer, division_code))
    if ext == "csv":
        data = frame.to_csv(index=False).encode("utf-8")
    else:
        # As the pack's Excel copies (scrs/xlsx.py): a reviewer's note starting with `=` stays text.
        data = xlsx_bytes(pa.Table.from_pandas(frame, preserve_index=False), "worklist")
    log_event(viewer, "download", scope=division_code, file=file_name, rows=len(frame))
    return data
