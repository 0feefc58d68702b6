"""Write the extracts: monthly incident and crime files, quarterly training files, with late updates.

A row's file is the month it was created (incidents) or recorded (crimes); `extracted_at` is early on the 1st
of the next month. A record whose closure / No Crime happened after that extraction appears first in its
open / RECORDED state, and again, in its final state, in the file of the month the change happened.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scrs.generator.crimes import Crimes
from scrs.generator.incidents import Incidents
from scrs.generator.periods import (
    DAY,
    HOUR,
    Window,
    local_to_utc,
    month_index,
    month_label,
    month_start_local,
    utc_to_local,
)
from scrs.generator.reference import Reference
from scrs.generator.training import Assignments, People

INCIDENT_COLUMNS = [
    "incident_id", "division_code", "created_at", "grade", "channel", "initial_type_code", "final_type_code",
    "closed_at", "disposal_code", "closing_unit", "cyber_flag", "extracted_at",
]  # fmt: skip
CRIME_COLUMNS = [
    "crime_id", "incident_id", "division_code", "reported_at", "recorded_at", "crime_code", "recording_unit",
    "cyber_marker", "status", "no_crime_at", "no_crime_reason", "no_crime_requested_by",
    "no_crime_authorised_by", "no_crime_authoriser_role", "complainer_informed", "source_system",
    "extracted_at",
]  # fmt: skip
TRAINING_COLUMNS = [
    "staff_number", "unit_code", "role_cluster", "course_code", "status", "assigned_on", "completed_on",
    "extracted_at",
]  # fmt: skip
INCIDENT_OPEN_NULLS = ("final_type_code", "closed_at", "disposal_code", "closing_unit")
CRIME_RECORDED_NULLS = (
    "no_crime_at", "no_crime_reason", "no_crime_requested_by", "no_crime_authorised_by",
    "no_crime_authoriser_role", "complainer_informed",
)  # fmt: skip

#: Local time of day each nightly extract is taken (on the 1st of the following month).
EXTRACT_TIME = {"incidents": 2 * HOUR + 15 * 60, "crimes": 2 * HOUR + 45 * 60, "training": 3 * HOUR + 30 * 60}

_WRITE_OPTIONS = pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed")


def _codes(names: list[str], idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    mask = np.asarray(idx) < 0 if null is None else (np.asarray(null) | (np.asarray(idx) < 0))
    return pa.array(names, type=pa.string()).take(pa.array(np.where(mask, 0, idx), mask=mask))


def _ts(local: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(local, dtype=np.int64), type=pa.int64(), mask=null).cast(pa.timestamp("s"))


def _flag(b: np.ndarray) -> pa.Array:
    return pa.array(np.where(b, "Y", "N"), type=pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _lpad(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(values, type=pa.int64()).cast(pa.string()), width=width, padding="0")


def extract_instant(kind: str, month: int) -> tuple[int, int]:
    """(local naive, UTC) extraction time of the file for `month`."""
    local = int(month_start_local(month + 1)) + EXTRACT_TIME[kind]
    return local, int(local_to_utc(np.array([local]))[0])


def incident_ids(inc: Incidents) -> pa.Array:
    """`PS-YYYYMMDD-NNNNN`: local creation date and sequence of the day (incidents are in created order)."""
    day = inc.created_local // DAY
    first = np.searchsorted(day, day, side="left")
    seq = np.arange(day.size) - first + 1
    if seq.size and seq.max() > 99_999:
        raise ValueError("more than 99,999 incidents in one day: scale too large for the incident_id format")
    date_str = pc.replace_substring(pa.array(day.astype("datetime64[D]")).cast(pa.string()), "-", "")
    return _join("PS-", date_str, "-", _lpad(seq, 5))


def crime_ids(ref: Reference, cr: Crimes) -> pa.Array:
    """`CR/<division>/<7 digits>/<yy>`: sequence per division and calendar year of recording."""
    rec_local = utc_to_local(cr.recorded_utc)
    yy = rec_local.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    group = cr.division * 10_000 + yy
    order = np.lexsort((np.arange(cr.n), cr.recorded_utc, group))
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    seq = np.empty(cr.n, dtype=np.int64)
    seq[order] = np.arange(cr.n) - np.repeat(start, np.diff(np.r_[start, cr.n])) + 1
    if seq.size and seq.max() > 9_999_999:
        raise ValueError("crime sequence overflow: scale too large for the crime_id format")
    return _join("CR/", _codes(ref.divisions, cr.division), "/", _lpad(seq, 7), "/", _lpad(yy % 100, 2))


def _file_rows(
    first_month: np.ndarray,
    first_time: np.ndarray,
    update: np.ndarray,
    update_month: np.ndarray,
    update_time: np.ndarray,
) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    """Per month: (first-appearance row indices, update row indices), each in time order."""
    first_order = np.lexsort((np.arange(first_month.size), first_time, first_month))
    upd_idx = np.flatnonzero(update)
    upd_order = upd_idx[np.lexsort((upd_idx, update_time[upd_idx], update_month[upd_idx]))]
    fm_sorted = first_month[first_order]
    um_sorted = update_month[upd_order]

    def rows(month: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.searchsorted(fm_sorted, [month, month + 1])
        c, d = np.searchsorted(um_sorted, [month, month + 1])
        return first_order[a:b], upd_order[c:d]

    return rows


def _write_table(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, path, write_options=_WRITE_OPTIONS)


def _null_where(table: pa.Table, columns: tuple[str, ...], mask: np.ndarray) -> pa.Table:
    m = pa.array(mask)
    for col in columns:
        i = table.schema.get_field_index(col)
        arr = table.column(i)
        table = table.set_column(i, col, pc.if_else(m, pa.scalar(None, arr.type), arr))
    return table


def write_incidents(
    out_dir: Path, ref: Reference, inc: Incidents, inc_ids: pa.Array, win: Window, tick: Callable[[], None]
) -> tuple[list[Path], int]:
    closed = inc.closed
    closed_local = utc_to_local(inc.closed_utc)
    table = pa.table(
        {
            "incident_id": inc_ids,
            "division_code": _codes(ref.divisions, inc.division),
            "created_at": _ts(inc.created_local),
            "grade": _codes(ref.grades, inc.grade),
            "channel": _codes(ref.channels, inc.channel),
            "initial_type_code": _codes(ref.incident_types, inc.initial_type),
            "final_type_code": _codes(ref.incident_types, inc.final_type),
            "closed_at": _ts(closed_local, ~closed),
            "disposal_code": _codes(ref.disposals, inc.disposal),
            "closing_unit": _codes(ref.closing_units, inc.closing_unit, ~closed),
            "cyber_flag": _flag(inc.cyber),
        }
    )
    months = win.months
    first_month = month_index(inc.created_local)
    ext_utc = {int(m): extract_instant("incidents", int(m))[1] for m in months}
    first_ext = np.array([ext_utc[int(m)] for m in months])[first_month - months[0]]
    update = closed & (inc.closed_utc > first_ext)
    rows = _file_rows(first_month, inc.created_utc, update, month_index(closed_local), inc.closed_utc)
    return _write_monthly(out_dir, "incidents", table, months, rows, update, INCIDENT_OPEN_NULLS, None, tick)


def write_crimes(
    out_dir: Path,
    ref: Reference,
    cr: Crimes,
    inc_ids: pa.Array,
    people: People,
    win: Window,
    tick: Callable[[], None],
) -> tuple[list[Path], int]:
    rec_local = utc_to_local(cr.recorded_utc)
    nc_local = utc_to_local(cr.no_crime_utc)
    rec = ~cr.no_crime
    staff = list(people.staff_number)
    table = pa.table(
        {
            "crime_id": crime_ids(ref, cr),
            "incident_id": inc_ids.take(pa.array(np.where(cr.incident >= 0, cr.incident, 0), mask=cr.incident < 0)),
            "division_code": _codes(ref.divisions, cr.division),
            "reported_at": _ts(utc_to_local(cr.reported_utc)),
            "recorded_at": _ts(rec_local),
            "crime_code": _codes(ref.crime_codes, cr.code),
            "recording_unit": _codes(ref.recording_units, cr.recording_unit),
            "cyber_marker": _flag(cr.cyber_marker),
            "status": pa.array(np.where(cr.no_crime, "NO_CRIME", "RECORDED"), type=pa.string()),
            "no_crime_at": _ts(nc_local, rec),
            "no_crime_reason": _codes(cr.reason_texts, cr.reason, rec),
            "no_crime_requested_by": _codes(staff, cr.requester, rec),
            "no_crime_authorised_by": _codes(staff, cr.authoriser, rec),
            "no_crime_authoriser_role": _codes(ref.authoriser_roles, cr.role, rec),
            "complainer_informed": _codes(["N", "Y"], cr.complainer, rec),
            "source_system": pa.array(np.where(cr.cos, "COS", "LEGACY"), type=pa.string()),
        }
    )
    months = win.months
    first_month = month_index(rec_local)
    ext_utc = np.array([extract_instant("crimes", int(m))[1] for m in months])
    first_ext = ext_utc[first_month - months[0]]
    update = cr.no_crime & (cr.no_crime_utc > first_ext)
    rows = _file_rows(first_month, cr.recorded_utc, update, month_index(nc_local), cr.no_crime_utc)
    status_recorded = pa.scalar("RECORDED")
    return _write_monthly(out_dir, "crimes", table, months, rows, update, CRIME_RECORDED_NULLS, status_recorded, tick)


def _write_monthly(
    out_dir: Path,
    kind: str,
    table: pa.Table,
    months: np.ndarray,
    rows: Callable[[int], tuple[np.ndarray, np.ndarray]],
    update: np.ndarray,
    nullable: tuple[str, ...],
    status_before: pa.Scalar | None,
    tick: Callable[[], None],
) -> tuple[list[Path], int]:
    files, total = [], 0
    for m in months:
        first, upd = rows(int(m))
        idx = np.r_[first, upd]
        earlier = np.r_[update[first], np.zeros(upd.size, dtype=bool)]  # shown in their earlier state
        part = _null_where(table.take(pa.array(idx)), nullable, earlier)
        if status_before is not None:
            i = part.schema.get_field_index("status")
            part = part.set_column(i, "status", pc.if_else(pa.array(earlier), status_before, part.column(i)))
        ext_local, _ = extract_instant(kind, int(m))
        part = part.append_column("extracted_at", _ts(np.full(idx.size, ext_local)))
        path = out_dir / f"{kind}_{month_label(int(m))}.csv"
        _write_table(part, path)
        files.append(path)
        total += idx.size
        tick()
    return files, total


def training_snapshots(win: Window) -> np.ndarray:
    """Months (index) whose end is a training snapshot: every fiscal quarter end in the window."""
    months = win.months
    return months[(months % 12) % 3 == 2]  # March, June, September, December


def write_training(
    out_dir: Path, ref: Reference, people: People, asg: Assignments, win: Window, tick: Callable[[], None]
) -> tuple[list[Path], int, np.ndarray]:
    """Returns (files, rows, person indices written)."""
    files, total = [], 0
    staff = pa.array(people.staff_number, type=pa.string())
    unit = _codes(people.unit_codes, people.unit)
    cluster = _codes(ref.role_clusters, people.cluster)
    course = _codes(ref.courses, asg.course)
    person = pa.array(asg.person)
    base = pa.table(
        {
            "staff_number": staff.take(person),
            "unit_code": unit.take(person),
            "role_cluster": cluster.take(person),
            "course_code": course,
        }
    )
    written = np.zeros(people.n, dtype=bool)
    for m in training_snapshots(win):
        snap_day = int(month_start_local(int(m) + 1)) // DAY - 1  # last day of the quarter
        idx = np.flatnonzero(asg.assigned <= snap_day)
        done = asg.completed[idx] <= snap_day
        started = asg.started[idx] <= snap_day
        status = np.where(done, "COMPLETED", np.where(started, "IN_PROGRESS", "ASSIGNED"))
        part = base.take(pa.array(idx))
        part = part.append_column("status", pa.array(status, type=pa.string()))
        part = part.append_column("assigned_on", pa.array(asg.assigned[idx].astype("datetime64[D]")))
        completed = np.where(done, asg.completed[idx], 0).astype("datetime64[D]")
        part = part.append_column("completed_on", pa.array(completed, mask=~done))
        ext_local, _ = extract_instant("training", int(m))
        part = part.append_column("extracted_at", _ts(np.full(idx.size, ext_local)))
        path = out_dir / f"training_{month_label(int(m))}.csv"
        _write_table(part.select(TRAINING_COLUMNS), path)
        files.append(path)
        total += idx.size
        written[asg.person[idx]] = True
        tick()
    return files, total, np.flatnonzero(written)
