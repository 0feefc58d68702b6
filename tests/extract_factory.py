"""Hand-made extract files for tests (contract section 1).

    rows = [incident(incident_id="PS-1"), incident(incident_id="PS-2", division_code="Z")]
    write_incidents(tmp_path / "incidents_2021_01.csv", rows, bom=True, crlf=True)

Row builders return a valid row (a dict, contract column names) with any field overridden; `None` or a
missing key is written as an empty field. Writers use RFC 4180 quoting (csv module), so a comma, quote or
line break inside a value is quoted. With `column_order` the header is exactly those columns, in that
order: leave one out to make a file missing a column, add an unknown name to get an extra column. Line
numbers in the written file: header = 1, row i (0-based) = i + 2 as long as no value has a line break.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

INCIDENT_COLUMNS: tuple[str, ...] = (
    "incident_id",
    "division_code",
    "created_at",
    "grade",
    "channel",
    "initial_type_code",
    "final_type_code",
    "closed_at",
    "disposal_code",
    "closing_unit",
    "cyber_flag",
    "extracted_at",
)
CRIME_COLUMNS: tuple[str, ...] = (
    "crime_id",
    "incident_id",
    "division_code",
    "reported_at",
    "recorded_at",
    "crime_code",
    "recording_unit",
    "cyber_marker",
    "status",
    "no_crime_at",
    "no_crime_reason",
    "no_crime_requested_by",
    "no_crime_authorised_by",
    "no_crime_authoriser_role",
    "complainer_informed",
    "source_system",
    "extracted_at",
)
TRAINING_COLUMNS: tuple[str, ...] = (
    "staff_number",
    "unit_code",
    "role_cluster",
    "course_code",
    "status",
    "assigned_on",
    "completed_on",
    "extracted_at",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "incidents": INCIDENT_COLUMNS,
    "crimes": CRIME_COLUMNS,
    "training": TRAINING_COLUMNS,
}


def incident(**overrides: Any) -> dict[str, Any]:
    """A closed, crime-related incident in Greater Glasgow (G)."""
    row: dict[str, Any] = {
        "incident_id": "PS-20210114-00001",
        "division_code": "G",
        "created_at": "2021-01-14 10:00:00",
        "grade": "PROMPT",
        "channel": "999",
        "initial_type_code": "THEFT",
        "final_type_code": "THEFT",
        "closed_at": "2021-01-14 12:30:00",
        "disposal_code": "SC01",
        "closing_unit": "RESOLUTION_TEAM",
        "cyber_flag": "N",
        "extracted_at": "2021-02-01 02:00:00",
    }
    return {**row, **overrides}


def crime(**overrides: Any) -> dict[str, Any]:
    """A RECORDED crime linked to `incident()`'s incident."""
    row: dict[str, Any] = {
        "crime_id": "CR/G/0000001/21",
        "incident_id": "PS-20210114-00001",
        "division_code": "G",
        "reported_at": "2021-01-14 10:00:00",
        "recorded_at": "2021-01-14 15:00:00",
        "crime_code": "0340",
        "recording_unit": "RESOLUTION_TEAM",
        "cyber_marker": "N",
        "status": "RECORDED",
        "no_crime_at": None,
        "no_crime_reason": None,
        "no_crime_requested_by": None,
        "no_crime_authorised_by": None,
        "no_crime_authoriser_role": None,
        "complainer_informed": None,
        "source_system": "LEGACY",
        "extracted_at": "2021-02-01 02:00:00",
    }
    return {**row, **overrides}


def no_crime(**overrides: Any) -> dict[str, Any]:
    """A crime reclassified as NO_CRIME, validly authorised."""
    return crime(
        **{
            "status": "NO_CRIME",
            "no_crime_at": "2021-01-20 09:00:00",
            "no_crime_reason": "CREDIBLE_INFORMATION",
            "no_crime_requested_by": "100234",
            "no_crime_authorised_by": "100999",
            "no_crime_authoriser_role": "CRIME_REGISTRAR",
            "complainer_informed": "Y",
            **overrides,
        }
    )


def training(**overrides: Any) -> dict[str, Any]:
    """A completed SCRS course for a frontline officer in G."""
    row: dict[str, Any] = {
        "staff_number": "100234",
        "unit_code": "G",
        "role_cluster": "FRONTLINE",
        "course_code": "SCRS_TUTOR",
        "status": "COMPLETED",
        "assigned_on": "2021-01-04",
        "completed_on": "2021-01-20",
        "extracted_at": "2021-02-01 02:00:00",
    }
    return {**row, **overrides}


def numbered(builder: Any, n: int, key: str, fmt: str, **overrides: Any) -> list[dict[str, Any]]:
    """`n` rows from `builder` with `key` = fmt.format(i) (i from 1), e.g.
    numbered(incident, 3, "incident_id", "PS-20210114-{:05d}")."""
    return [builder(**{key: fmt.format(i), **overrides}) for i in range(1, n + 1)]


def csv_bytes(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    bom: bool = False,
    crlf: bool = False,
    encoding: str = "utf-8",
) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(
        buf, delimiter=",", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n" if crlf else "\n"
    )
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_extract(
    path: Path | str,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    bom: bool = False,
    crlf: bool = False,
    column_order: Sequence[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write `rows` as an extract of `kind` (incidents | crimes | training); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    columns = list(column_order) if column_order is not None else list(COLUMNS[kind])
    p.write_bytes(csv_bytes(rows, columns, bom=bom, crlf=crlf, encoding=encoding))
    return p


def write_incidents(path: Path | str, rows: Iterable[Mapping[str, Any]], **kw: Any) -> Path:
    return write_extract(path, "incidents", rows, **kw)


def write_crimes(path: Path | str, rows: Iterable[Mapping[str, Any]], **kw: Any) -> Path:
    return write_extract(path, "crimes", rows, **kw)


def write_training(path: Path | str, rows: Iterable[Mapping[str, Any]], **kw: Any) -> Path:
    return write_extract(path, "training", rows, **kw)
