"""Helpers for running the dbt project against a hand-built raw layer (tests only).

The raw tables are created exactly as docs/architecture.md fixes them (the ingest's output), so the dbt
models can be tested without the ingest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"  # the dbt of the venv running the tests

LINEAGE_COLUMNS: dict[str, str] = {
    "_source_file": "VARCHAR",
    "_source_line": "BIGINT",
    "_run_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}

RAW_TABLES: dict[str, dict[str, str]] = {
    "incidents": {
        "incident_id": "VARCHAR",
        "division_code": "VARCHAR",
        "created_at": "TIMESTAMP",
        "grade": "VARCHAR",
        "channel": "VARCHAR",
        "initial_type_code": "VARCHAR",
        "final_type_code": "VARCHAR",
        "closed_at": "TIMESTAMP",
        "disposal_code": "VARCHAR",
        "closing_unit": "VARCHAR",
        "cyber_flag": "VARCHAR",
        "extracted_at": "TIMESTAMP",
        **LINEAGE_COLUMNS,
    },
    "crimes": {
        "crime_id": "VARCHAR",
        "incident_id": "VARCHAR",
        "division_code": "VARCHAR",
        "reported_at": "TIMESTAMP",
        "recorded_at": "TIMESTAMP",
        "crime_code": "VARCHAR",
        "recording_unit": "VARCHAR",
        "cyber_marker": "VARCHAR",
        "status": "VARCHAR",
        "no_crime_at": "TIMESTAMP",
        "no_crime_reason": "VARCHAR",
        "no_crime_requested_by": "VARCHAR",
        "no_crime_authorised_by": "VARCHAR",
        "no_crime_authoriser_role": "VARCHAR",
        "complainer_informed": "VARCHAR",
        "source_system": "VARCHAR",
        "extracted_at": "TIMESTAMP",
        **LINEAGE_COLUMNS,
    },
    "training": {
        "staff_pseudonym": "VARCHAR",
        "unit_code": "VARCHAR",
        "role_cluster": "VARCHAR",
        "course_code": "VARCHAR",
        "status": "VARCHAR",
        "assigned_on": "DATE",
        "completed_on": "DATE",
        "extracted_at": "TIMESTAMP",
        **LINEAGE_COLUMNS,
    },
}


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create empty raw.incidents / raw.crimes / raw.training with the ingest's column types."""
    con.execute("create schema if not exists raw")
    for table, columns in RAW_TABLES.items():
        cols = ",\n    ".join(f"{name} {dtype}" for name, dtype in columns.items())
        con.execute(f"create or replace table raw.{table} (\n    {cols}\n)")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, object]]) -> int:
    """Insert dict rows into raw.<table>; missing columns are NULL, lineage gets test defaults.

    `_source_line` defaults to the row's position (1-based + header), `_source_file` to
    `<table>_test.csv`, `_run_id` to `test`, `_loaded_at` to 2030-01-01.
    """
    columns = list(RAW_TABLES[table])
    unknown_rows = []
    values: list[list[object]] = []
    for position, row in enumerate(rows, start=2):
        unknown = set(row) - set(columns)
        if unknown:
            unknown_rows.append(unknown)
        full = {
            "_source_file": f"{table}_test.csv",
            "_source_line": position,
            "_run_id": "test",
            "_loaded_at": "2030-01-01 00:00:00",
            **row,
        }
        values.append([full.get(name) for name in columns])
    if unknown_rows:
        raise ValueError(f"unknown columns for raw.{table}: {unknown_rows}")
    if not values:
        return 0
    placeholders = ", ".join(f"cast(? as {RAW_TABLES[table][name]})" for name in columns)
    con.executemany(f"insert into raw.{table} ({', '.join(columns)}) values ({placeholders})", values)
    return len(values)


@dataclass(frozen=True)
class DbtResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


# dbt's partial parse state per database file name, kept between sessions (as test_dbt_unit_tests.py keeps its
# work folder): see `run_dbt(reuse_parse=True)`.
PARSE_CACHE = REPO_ROOT / ".pytest_cache" / "d" / "dbt-partial-parse"


def run_dbt(
    args: Sequence[str],
    duckdb_path: Path,
    work_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    reuse_parse: bool = False,
) -> DbtResult:
    """Run the project's dbt CLI with its database at `duckdb_path`, target and logs under `work_dir`.

    `reuse_parse`: dbt re-parses the whole project (~3 CPU-s) unless its target folder holds the partial parse
    state of an earlier parse under the same profile, and the profile holds the database path. So the database
    (which must then be in `work_dir`) is given to dbt by its name alone, relative to dbt's working folder
    (`work_dir`), and the last parse state for that name is copied in before and kept after: every build or
    test of one database name then skips parsing an unchanged project (dbt still re-parses what changed)."""
    target_path = work_dir / "target"
    log_path = work_dir / "logs"
    cached = PARSE_CACHE / f"{duckdb_path.name}.msgpack"
    if reuse_parse:
        if duckdb_path.parent.resolve() != work_dir.resolve():
            raise ValueError(f"reuse_parse: {duckdb_path} must be in {work_dir}")
        duckdb_path = Path(duckdb_path.name)
        if cached.exists():
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cached, target_path / "partial_parse.msgpack")
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SCRS_DUCKDB_PATH": str(duckdb_path),
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(log_path),
        **(extra_env or {}),
    }
    cmd = [
        str(DBT_EXECUTABLE),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work_dir, check=False)
    seconds = time.perf_counter() - started
    state = target_path / "partial_parse.msgpack"
    if reuse_parse and state.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}")  # two workers may finish at once
        shutil.copyfile(state, partial)
        os.replace(partial, cached)
    return DbtResult(proc.returncode, proc.stdout, proc.stderr, seconds)


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[dict]:
    """Run a query and return its rows as dicts (fully fetched, so the connection is free again)."""
    rel = con.execute(sql, list(params))
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]
