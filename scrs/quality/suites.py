"""Expectation suites: reviewed JSON files in `expectations/` (GX 1.x ExpectationSuite serialisation).

Every expectation carries `meta`: `severity` ("blocking" | "warning"), `field` (the contract field it is
about), `check` (short stable name of the rule), `owner` (who fixes it at source) and `why` (one sentence).
Code lists are not repeated in the suites: `{"$PARAMETER": "division_codes"}` etc. are filled at run time
from `seeds/*.csv` (see SEED_PARAMETERS).

Columns starting with `_` are not in the extract: `_source_file` (the file a row came from) and helper
columns computed by DuckDB just before validation (see scrs/quality/frames.py).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrs.settings import EXPECTATIONS_DIR, SEEDS_DIR

if TYPE_CHECKING:
    import great_expectations as gx

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SEVERITIES = ("blocking", "warning")
REQUIRED_META = ("severity", "field", "check", "owner", "why")

# GX suite parameter -> (seed file, column). Loaded from the seeds at run time.
SEED_PARAMETERS: dict[str, tuple[str, str]] = {
    "division_codes": ("divisions.csv", "division_code"),
    "grades": ("grades.csv", "grade"),
    "channels": ("channels.csv", "channel"),
    "incident_type_codes": ("incident_types.csv", "incident_type_code"),
    "disposal_codes": ("disposal_codes.csv", "disposal_code"),
    "closing_units": ("closing_units.csv", "closing_unit"),
    "crime_codes": ("crime_codes.csv", "crime_code"),
    "recording_units": ("recording_units.csv", "recording_unit"),
    "authoriser_roles": ("no_crime_authoriser_roles.csv", "authoriser_role"),
    "unit_codes": ("units.csv", "unit_code"),
    "role_clusters": ("role_clusters.csv", "role_cluster"),
    "course_codes": ("training_courses.csv", "course_code"),
    "improvement_action_ids": ("improvement_actions.csv", "action_id"),
    "test_codes": ("audit_tests.csv", "test_code"),
}


class SuiteError(ValueError):
    """A suite file is malformed (unknown expectation type, missing meta, unknown parameter, ...)."""


@dataclass(frozen=True)
class LoadedSuite:
    kind: str
    path: Path
    suite: gx.ExpectationSuite
    meta: dict[str, Any]


def read_seed_column(seeds_dir: Path | str, file_name: str, column: str) -> list[str]:
    """Values of one seed column as text (csv, so `0101` keeps its leading zero)."""
    with open(Path(seeds_dir) / file_name, newline="", encoding="utf-8") as f:
        return [row[column] for row in csv.DictReader(f) if row.get(column, "") != ""]


def seed_parameters(seeds_dir: Path | str = SEEDS_DIR) -> dict[str, list[str]]:
    return {name: read_seed_column(seeds_dir, f, col) for name, (f, col) in SEED_PARAMETERS.items()}


def crime_related_disposals(seeds_dir: Path | str = SEEDS_DIR) -> list[str]:
    with open(Path(seeds_dir) / "disposal_codes.csv", newline="", encoding="utf-8") as f:
        return [r["disposal_code"] for r in csv.DictReader(f) if r["crime_related"] == "Y"]


def _parameters_in(obj: Any) -> set[str]:
    if isinstance(obj, dict):
        if set(obj) == {"$PARAMETER"}:
            return {obj["$PARAMETER"]}
        return set().union(*(_parameters_in(v) for v in obj.values())) if obj else set()
    if isinstance(obj, list):
        return set().union(*(_parameters_in(v) for v in obj)) if obj else set()
    return set()


def suite_path(expectations_dir: Path | str, kind: str) -> Path:
    return Path(expectations_dir) / f"{kind}.json"


def load_suite_json(expectations_dir: Path | str, kind: str) -> dict[str, Any]:
    path = suite_path(expectations_dir, kind)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"no expectation suite for {kind}: {path}") from None
    except json.JSONDecodeError as e:
        raise SuiteError(f"{path}: not valid JSON: {e}") from None


def validate_suite_json(data: dict[str, Any], path: Path, available_parameters: set[str]) -> None:
    problems: list[str] = []
    for i, exp in enumerate(data.get("expectations", [])):
        where = f"expectation {i} ({exp.get('type')})"
        meta = exp.get("meta") or {}
        missing = [k for k in REQUIRED_META if not meta.get(k)]
        if missing:
            problems.append(f"{where}: meta lacks {', '.join(missing)}")
        if meta.get("severity") not in SEVERITIES:
            problems.append(f"{where}: meta.severity must be one of {SEVERITIES}")
        unknown = _parameters_in(exp.get("kwargs", {})) - available_parameters
        if unknown:
            problems.append(f"{where}: unknown $PARAMETER {', '.join(sorted(unknown))}")
    if problems:
        raise SuiteError(f"{path}: " + "; ".join(problems))


def load_suite(
    expectations_dir: Path | str = EXPECTATIONS_DIR,
    kind: str = "incidents",
    seeds_dir: Path | str = SEEDS_DIR,
) -> LoadedSuite:
    """Load and check one suite. Raises SuiteError rather than silently dropping a bad expectation
    (GX itself only logs an invalid expectation and leaves it out)."""
    import great_expectations as gx  # here, not at the top: the JSON helpers below don't need GX (seconds)

    path = suite_path(expectations_dir, kind)
    data = load_suite_json(expectations_dir, kind)
    validate_suite_json(data, path, set(SEED_PARAMETERS))
    declared = len(data.get("expectations", []))
    try:
        suite = gx.ExpectationSuite(
            name=data.get("name") or kind,
            expectations=data.get("expectations", []),
            meta=data.get("meta"),
            notes=data.get("notes"),
        )
    except Exception as e:  # pydantic / GX errors
        raise SuiteError(f"{path}: {e}") from e
    if len(suite.expectations) != declared:
        loaded = {(e.expectation_type, json.dumps(e.meta, sort_keys=True)) for e in suite.expectations}
        bad = [
            x.get("type")
            for x in data["expectations"]
            if (x.get("type"), json.dumps(x.get("meta"), sort_keys=True)) not in loaded
        ]
        raise SuiteError(f"{path}: GX rejected {declared - len(suite.expectations)} expectation(s): {bad}")
    for exp in suite.expectations:
        # GX's own severity mirrors ours so Data Docs show it; meta.severity stays the source of truth.
        exp.severity = "critical" if exp.meta["severity"] == "blocking" else "warning"
    return LoadedSuite(kind, path, suite, data.get("meta") or {})


@cache
def _gx_expectation_is_map(expectation_type: str) -> bool:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    impl = get_expectation_impl(expectation_type)
    return issubclass(impl, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation)


def is_map_expectation(expectation_type: str) -> bool:
    """Row-level (map) expectations can be judged row by row, so one run over several files can be split
    back per file; the others (column exists, row count, ...) must run on each file alone."""
    return _gx_expectation_is_map(expectation_type)


def expectation_columns(kwargs: dict[str, Any]) -> list[str]:
    """Columns an expectation reads (its domain plus any row_condition column)."""
    cols: list[str] = []
    for k in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(k), str):
            cols.append(kwargs[k])
    cols.extend(c for c in kwargs.get("column_list") or [] if isinstance(c, str))

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            col = obj.get("column")
            if isinstance(col, dict) and isinstance(col.get("name"), str):
                cols.append(col["name"])
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    rc = kwargs.get("row_condition")
    if hasattr(rc, "model_dump"):
        rc = rc.model_dump()
    elif hasattr(rc, "dict"):
        rc = rc.dict()
    walk(rc)
    return cols


def extract_owner(kind: str, expectations_dir: Path | str = EXPECTATIONS_DIR) -> str | None:
    """Owner of an extract as a whole (suite meta `extract_owner`): who fixes file-level faults."""
    try:
        return (load_suite_json(expectations_dir, kind).get("meta") or {}).get("extract_owner")
    except SuiteError:
        return None


def expectation_catalogue(expectations_dir: Path | str = EXPECTATIONS_DIR) -> list[dict[str, Any]]:
    """One row per expectation of every suite in the directory: the QA framework matrix."""
    rows: list[dict[str, Any]] = []
    for path in sorted(Path(expectations_dir).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suite_meta = data.get("meta") or {}
        for i, exp in enumerate(data.get("expectations", [])):
            meta = exp.get("meta") or {}
            kwargs = exp.get("kwargs") or {}
            cols = expectation_columns(kwargs)
            rows.append(
                {
                    "suite": data.get("name") or path.stem,
                    "extract": suite_meta.get("extract", path.stem),
                    "position": i,
                    "check": meta.get("check"),
                    "expectation_type": exp.get("type"),
                    "column": ", ".join(dict.fromkeys(cols)) or None,
                    "field": meta.get("field"),
                    "severity": meta.get("severity"),
                    "owner": meta.get("owner"),
                    "why": meta.get("why"),
                    "kwargs_json": json.dumps(kwargs, sort_keys=True),
                }
            )
    return rows
