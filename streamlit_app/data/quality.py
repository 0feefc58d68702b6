"""Data-quality results (`quality.check_results`) and the QA framework (`quality.expectation_catalogue`),
with the column names the Data quality page uses. Nothing here depends on who is looking."""

from __future__ import annotations

import pandas as pd

from streamlit_app.data.query import DataUnavailable, query, table_exists
from streamlit_app.data.reference import publication

RUN_COLUMNS = ["run_id", "checked_at", "checks", "blocking_failed", "warnings_failed", "outcome"]


def _require(schema: str, table: str) -> None:
    if not table_exists(schema, table):
        raise DataUnavailable(
            f"The published warehouse has no `{schema}.{table}` yet, so there is nothing to show here. "
            "It appears once a pipeline run with data-quality checks has been published."
        )


def quality_check_results() -> pd.DataFrame:
    """Every check of every run, newest run first: run_id, checked_at, extract, file_name, field, check,
    severity ('blocking' / 'warning'), success, unexpected_count, rows_checked, message."""
    _require("quality", "check_results")
    frame = query(
        """
        SELECT run_id, checked_at, suite AS extract, file_name, coalesce(field, column_name) AS field,
               coalesce(check_name, expectation_type) AS "check",
               CASE WHEN severity = 'blocking' THEN 'blocking' ELSE 'warning' END AS severity,
               success, unexpected_count, rows_checked, coalesce(message, why) AS message
        FROM quality.check_results
        """
    )
    frame["success"] = frame["success"].astype("boolean")
    frame["checked_at"] = pd.to_datetime(frame["checked_at"])
    return frame.sort_values(
        ["checked_at", "run_id", "severity", "extract", "field"],
        ascending=[False, False, True, True, True],
        na_position="last",
    ).reset_index(drop=True)


def quality_runs() -> pd.DataFrame:
    """One row per run, newest first: checked_at, checks, failed blocking / warning checks, outcome."""
    checks = quality_check_results()
    if checks.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    pub = publication()
    published_run = None if pub is None else pub.get("run_id")
    failed = checks["success"].eq(False).fillna(False)
    checks = checks.assign(
        blocking_failed=failed & checks["severity"].eq("blocking"),
        warnings_failed=failed & checks["severity"].eq("warning"),
    )
    runs = (
        checks.groupby("run_id", dropna=False)
        .agg(
            checked_at=("checked_at", "max"),
            checks=("run_id", "size"),
            blocking_failed=("blocking_failed", "sum"),
            warnings_failed=("warnings_failed", "sum"),
        )
        .reset_index()
        .sort_values(["checked_at", "run_id"], ascending=False)
        .reset_index(drop=True)
    )

    def outcome(row: pd.Series) -> str:
        if published_run is not None and row["run_id"] == published_run:
            return "published (currently served)"
        if row["blocking_failed"] > 0:
            return "blocked: not published"
        return "passed its checks"

    runs["outcome"] = runs.apply(outcome, axis=1)
    return runs[RUN_COLUMNS]


def expectation_catalogue() -> pd.DataFrame:
    """One row per expectation: extract, field, check, expectation_type, description, severity, owner."""
    _require("quality", "expectation_catalogue")
    frame = query(
        """
        SELECT coalesce(extract, suite) AS extract, coalesce(field, column_name) AS field,
               coalesce(check_name, expectation_type) AS "check", expectation_type, why AS description,
               CASE WHEN severity = 'blocking' THEN 'blocking' ELSE 'warning' END AS severity, owner
        FROM quality.expectation_catalogue
        """
    )
    return frame.sort_values(["extract", "field", "check"], na_position="last").reset_index(drop=True)
