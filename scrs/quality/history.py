"""Quality history: every run's check results as one Parquet file per run (append-only), and the tables
`quality.check_results` and `quality.expectation_catalogue` built from them for the warehouse.

`check` and `column` are reserved words in SQL, so in Parquet and tables they are `check_name` and
`column_name` (the CheckResult attributes keep the short names)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from scrs.db import run
from scrs.ingest.landing import FileFault
from scrs.quality.results import CheckResult, Failure
from scrs.quality.suites import expectation_catalogue, extract_owner
from scrs.settings import EXPECTATIONS_DIR

HISTORY_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("file_name", pa.string()),
        ("suite", pa.string()),
        ("source", pa.string()),  # 'gx' (an expectation) or 'file' (a fault found while reading the file)
        ("expectation_type", pa.string()),
        ("check_name", pa.string()),
        ("column_name", pa.string()),
        ("field", pa.string()),
        ("severity", pa.string()),
        ("success", pa.bool_()),
        ("unexpected_count", pa.int64()),
        ("sample_lines", pa.list_(pa.int64())),
        ("owner", pa.string()),
        ("why", pa.string()),
        ("message", pa.string()),
        ("position", pa.int64()),
        ("rows_checked", pa.int64()),
        ("checked_at", pa.timestamp("us")),
    ]
)

CATALOGUE_SCHEMA = pa.schema(
    [
        ("suite", pa.string()),
        ("extract", pa.string()),
        ("position", pa.int64()),
        ("check_name", pa.string()),
        ("expectation_type", pa.string()),
        ("column_name", pa.string()),
        ("field", pa.string()),
        ("severity", pa.string()),
        ("owner", pa.string()),
        ("why", pa.string()),
        ("kwargs_json", pa.string()),
    ]
)


def history_rows(
    items: Iterable[Failure], run_id: str, expectations_dir: Path | str = EXPECTATIONS_DIR
) -> list[dict[str, Any]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    owners: dict[str, str | None] = {}
    rows = []
    for it in items:
        if isinstance(it, FileFault):
            if it.kind not in owners:
                owners[it.kind] = extract_owner(it.kind, expectations_dir) if it.kind else None
            rows.append(
                {
                    "run_id": run_id,
                    "file_name": it.file,
                    "suite": it.kind or None,
                    "source": "file",
                    "expectation_type": "file_read",
                    "check_name": it.check,
                    "column_name": it.column,
                    "field": it.column,
                    "severity": it.severity,
                    "success": False,
                    "unexpected_count": it.count,
                    "sample_lines": list(it.line_numbers),
                    "owner": owners[it.kind],
                    "why": it.why or None,
                    "message": it.message,
                    "position": None,
                    "rows_checked": None,
                    "checked_at": now,
                }
            )
        else:
            assert isinstance(it, CheckResult)
            d = it.to_dict()
            d["check_name"] = d.pop("check")
            d["column_name"] = d.pop("column")
            d["source"] = "gx"
            d["run_id"] = run_id
            rows.append({k: d.get(k) for k in HISTORY_SCHEMA.names})
    return rows


def write_history(
    items: Iterable[Failure],
    history_dir: Path | str,
    run_id: str,
    *,
    expectations_dir: Path | str = EXPECTATIONS_DIR,
) -> Path:
    """Write this run's results and file faults to `history_dir/<run_id>.parquet`.

    Append-only across runs: other runs' files are never touched. Called again in the same run (e.g. once per
    extract kind), the rows are added to that run's file (rewritten atomically via a temp file + os.replace).
    """
    hdir = Path(history_dir)
    hdir.mkdir(parents=True, exist_ok=True)
    path = hdir / f"{run_id}.parquet"
    table = pa.Table.from_pylist(history_rows(items, run_id, expectations_dir), schema=HISTORY_SCHEMA)
    if path.exists():
        table = pa.concat_tables([pq.read_table(path, schema=HISTORY_SCHEMA), table])
    tmp = hdir / f".{run_id}.parquet.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


def load_history_into(con: duckdb.DuckDBPyConnection, history_dir: Path | str) -> int:
    """Create or replace `quality.check_results` from every run's Parquet file; returns its row count."""
    files = sorted(str(p) for p in Path(history_dir).glob("*.parquet")) if Path(history_dir).is_dir() else []
    run(con, "CREATE SCHEMA IF NOT EXISTS quality")
    con.register("_scrs_history_empty", HISTORY_SCHEMA.empty_table())
    try:
        if files:
            run(
                con,
                """CREATE OR REPLACE TABLE quality.check_results AS
                   SELECT * FROM _scrs_history_empty
                   UNION ALL BY NAME SELECT * FROM read_parquet($files, union_by_name = true)""",
                {"files": files},
            )
        else:
            run(con, "CREATE OR REPLACE TABLE quality.check_results AS SELECT * FROM _scrs_history_empty")
    finally:
        con.unregister("_scrs_history_empty")
    return int(run(con, "SELECT count(*) FROM quality.check_results")[0][0])


def load_expectation_catalogue(con: duckdb.DuckDBPyConnection, expectations_dir: Path | str = EXPECTATIONS_DIR) -> int:
    """Create or replace `quality.expectation_catalogue` (one row per expectation, with its meta)."""
    rows = [
        {
            **{k: v for k, v in r.items() if k not in ("check", "column")},
            "check_name": r["check"],
            "column_name": r["column"],
        }
        for r in expectation_catalogue(expectations_dir)
    ]
    table = pa.Table.from_pylist(rows, schema=CATALOGUE_SCHEMA)
    run(con, "CREATE SCHEMA IF NOT EXISTS quality")
    con.register("_scrs_catalogue", table)
    try:
        run(con, "CREATE OR REPLACE TABLE quality.expectation_catalogue AS SELECT * FROM _scrs_catalogue")
    finally:
        con.unregister("_scrs_catalogue")
    return table.num_rows
