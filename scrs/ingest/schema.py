"""Column layout of each extract (contract section 1) and how each column is typed in `raw.<kind>`.

The GX suites in `expectations/*.json` are the reviewed statement of what a *valid* extract is; this module
only says which columns an extract has, which are personal data and how a value is cast on its way into `raw`.
A test checks that the two agree on the column names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["text", "code", "flag", "timestamp", "date", "integer"]

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: ColumnType
    required: bool
    personal: bool = False
    """Personal data (a staff number): pseudonymised before it reaches any table."""
    raw_name: str | None = None
    """Column name in `raw.<kind>` when it differs (staff_number -> staff_pseudonym)."""
    free_text: bool = False
    """Written by a person, published as written: screened for personal data (scrs/quality/free_text.py)."""

    @property
    def raw_column(self) -> str:
        return self.raw_name or self.name


def _c(name: str, type_: ColumnType, required: bool, **kw: object) -> ColumnSpec:
    return ColumnSpec(name, type_, required, **kw)  # type: ignore[arg-type]


EXTRACT_COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "incidents": (
        _c("incident_id", "text", True),
        _c("division_code", "code", True),
        _c("created_at", "timestamp", True),
        _c("grade", "code", True),
        _c("channel", "code", True),
        _c("initial_type_code", "code", True),
        _c("final_type_code", "code", False),
        _c("closed_at", "timestamp", False),
        _c("disposal_code", "code", False),
        _c("closing_unit", "code", False),
        _c("cyber_flag", "flag", True),
        _c("extracted_at", "timestamp", True),
    ),
    "crimes": (
        _c("crime_id", "text", True),
        _c("incident_id", "text", False),
        _c("division_code", "code", True),
        _c("reported_at", "timestamp", True),
        _c("recorded_at", "timestamp", True),
        _c("crime_code", "code", True),
        _c("recording_unit", "code", True),
        _c("cyber_marker", "flag", True),
        _c("status", "code", True),
        _c("no_crime_at", "timestamp", False),
        _c("no_crime_reason", "text", False, free_text=True),
        _c("no_crime_requested_by", "text", False, personal=True),
        _c("no_crime_authorised_by", "text", False, personal=True),
        _c("no_crime_authoriser_role", "code", False),
        _c("complainer_informed", "flag", False),
        _c("source_system", "code", True),
        _c("extracted_at", "timestamp", True),
    ),
    "training": (
        _c("staff_number", "text", True, personal=True, raw_name="staff_pseudonym"),
        _c("unit_code", "code", True),
        _c("role_cluster", "code", True),
        _c("course_code", "code", True),
        _c("status", "code", True),
        _c("assigned_on", "date", True),
        _c("completed_on", "date", False),
        _c("extracted_at", "timestamp", True),
    ),
    "improvement_updates": (
        _c("action_id", "code", True),
        _c("update_date", "date", True),
        _c("status", "code", True),
        _c("original_target_date", "date", True),
        _c("revised_target_date", "date", False),
        _c("revision_reason", "text", False, free_text=True),
        _c("progress_note", "text", True, free_text=True),
        _c("next_steps", "text", False, free_text=True),
        _c("reported_by", "text", True, free_text=True),
        _c("extracted_at", "timestamp", True),
    ),
    # Registrar audit (contract section 6; docs/registrar_audit.md): the sample `scrs sample` drew, and the
    # registrars' verdicts on it.
    "audit_sample": (
        _c("sample_id", "text", True),
        _c("test_code", "code", True),
        _c("record_id", "text", True),
        _c("division_code", "code", True),
        _c("fiscal_year", "code", True),
        _c("fiscal_quarter", "integer", True),
        _c("stratum_population", "integer", True),
        _c("stratum_sample_size", "integer", True),
        _c("event_date", "date", False),
        _c("incident_id", "text", False),
        _c("crime_id", "text", False),
        _c("incident_type_code", "code", False),
        _c("crime_code", "code", False),
        _c("recording_unit", "code", False),
        _c("extracted_at", "timestamp", True),
    ),
    "audit_outcomes": (
        _c("sample_id", "text", True),
        _c("test_code", "code", True),
        _c("record_id", "text", True),
        _c("verdict", "code", True),
        _c("failure_reasons", "text", False),
        _c("audited_by", "text", True, personal=True),
        _c("audited_at", "timestamp", True),
        _c("extracted_at", "timestamp", True),
    ),
}

# Key of one row of an extract (unique within one file; the latest extracted_at is the current state).
EXTRACT_KEYS: dict[str, tuple[str, ...]] = {
    "incidents": ("incident_id",),
    "crimes": ("crime_id",),
    "training": ("staff_number", "course_code"),
    "improvement_updates": ("action_id", "update_date"),
    "audit_sample": ("sample_id", "test_code", "record_id"),
    "audit_outcomes": ("sample_id", "test_code", "record_id"),
}

LINEAGE_COLUMNS: tuple[str, ...] = ("_source_file", "_source_line")


def columns(kind: str) -> tuple[ColumnSpec, ...]:
    try:
        return EXTRACT_COLUMNS[kind]
    except KeyError:
        raise ValueError(f"unknown extract kind {kind!r}; known: {sorted(EXTRACT_COLUMNS)}") from None


def column_names(kind: str) -> list[str]:
    return [c.name for c in columns(kind)]


def raw_key_columns(kind: str) -> list[str]:
    by_name = {c.name: c for c in columns(kind)}
    return [by_name[k].raw_column for k in EXTRACT_KEYS[kind]]
