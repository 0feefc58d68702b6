"""Reference data (tests, divisions), the periods the marts cover, and the publication's metadata.

Nothing here depends on who is looking, so no function takes a viewer.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from streamlit_app.data.query import query, table_exists


def audit_tests() -> pd.DataFrame:
    """The five tests with their definitions, in display order (seed `reference.audit_tests`)."""
    return query(
        "SELECT test_code, test_name, display_order, population, compliant_when, failure_reasons, dated_by "
        "FROM reference.audit_tests ORDER BY display_order"
    )


def divisions() -> pd.DataFrame:
    """Divisions with name and command area, ordered by command area then name."""
    return query(
        "SELECT division_code, division_name, command_area FROM reference.divisions "
        "ORDER BY CASE command_area WHEN 'North' THEN 1 WHEN 'East' THEN 2 WHEN 'West' THEN 3 ELSE 4 END, "
        "division_name"
    )


def division_codes() -> list[str]:
    return list(query("SELECT division_code FROM reference.divisions ORDER BY 1")["division_code"])


def command_areas() -> list[str]:
    return list(dict.fromkeys(divisions()["command_area"]))


def fiscal_periods() -> pd.DataFrame:
    """Every (fiscal_year, fiscal_quarter) that has national figures, oldest first."""
    return query("SELECT DISTINCT fiscal_year, fiscal_quarter FROM marts.compliance_national_test ORDER BY 1, 2")


def fiscal_years() -> list[str]:
    return list(dict.fromkeys(fiscal_periods()["fiscal_year"]))


def latest_audit_year() -> str | None:
    """The latest financial year with Q4 figures (the annual audit view), or None."""
    frame = query("SELECT max(fiscal_year) AS y FROM marts.compliance_national_test WHERE fiscal_quarter = 4")
    value = frame["y"].iloc[0]
    return None if pd.isna(value) else str(value)


def previous_audit_year(fiscal_year: str) -> str | None:
    frame = query(
        "SELECT max(fiscal_year) AS y FROM marts.compliance_national_test WHERE fiscal_quarter = 4 AND fiscal_year < ?",
        [fiscal_year],
    )
    value = frame["y"].iloc[0]
    return None if pd.isna(value) else str(value)


def publication() -> dict[str, Any] | None:
    """The `meta.publication` row (run_id, published_at, latest_extracted_at, files_loaded, and
    latest_extracted_at_by_extract as JSON text when the pipeline wrote it), or None."""
    if not table_exists("meta", "publication"):
        return None
    frame = query("SELECT * FROM meta.publication ORDER BY published_at DESC LIMIT 1")
    return None if frame.empty else frame.iloc[0].to_dict()


def load_registry_summary() -> pd.DataFrame:
    """Per extract kind: files loaded, rows, first and last load (empty if there is no registry)."""
    if not table_exists("raw", "load_registry"):
        return pd.DataFrame(columns=["extract_kind", "files", "rows", "first_loaded_at", "last_loaded_at"])
    return query(
        "SELECT extract_kind, count(*) AS files, sum(row_count) AS rows, min(loaded_at) AS first_loaded_at, "
        "max(loaded_at) AS last_loaded_at FROM raw.load_registry GROUP BY extract_kind ORDER BY extract_kind"
    )


def synthetic_reference_rows() -> pd.DataFrame:
    """Reference rows flagged synthetic in the seeds (crime system go-live dates)."""
    return query(
        "SELECT division_code, go_live_date, note FROM reference.crime_system_go_live "
        "WHERE is_synthetic = 'Y' ORDER BY go_live_date, division_code"
    )
