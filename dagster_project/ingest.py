"""Ingest assets: new extract files → `landing.<kind>` (as delivered) → `raw.<kind>` (typed, append-only).

Every step writes the run's private build file (scrs.publish.prepare_build), never the served one.
Between the two assets sits the blocking quality check of dagster_project/quality.py: `raw.<kind>` is only
materialised when every new file of that kind passed.
"""

import json
from dataclasses import asdict

import duckdb
from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset

from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse
from scrs.db import run, value
from scrs.freshness import landing_checksums, waiting_files
from scrs.ingest import (
    FileFault,
    LandingFile,
    append_to_raw,
    discover_new_files,
    ensure_landing,
    ensure_raw,
    landing_files,
    read_into_landing,
)
from scrs.keys import require_pseudonym_key
from scrs.publish import build_connection
from scrs.settings import EXTRACT_KINDS

SOURCE_SYSTEM = {
    "incidents": "command and control (STORM)",
    "crimes": "the crime system",
    "training": "learning records",
    "improvement_updates": "the Crime Audit Tactical Group's improvement-plan tracker",
    "audit_sample": "`scrs sample` (the registrars' audit sample)",
    "audit_outcomes": "the crime registrars (their audit verdicts)",
}

# Landing assets that must run after another kind's: the registrars' verdicts are checked against the
# samples, including samples delivered in the same run (scrs/quality/audit_helpers.py).
LANDING_AFTER: dict[str, list[str]] = {"audit_outcomes": ["audit_sample"]}


def save_file_faults(con: duckdb.DuckDBPyConnection, kind: str, faults: list[FileFault]) -> None:
    """Keep this run's file faults beside the landing rows, for the quality check to report."""
    con.execute("create table if not exists landing.file_faults (extract_kind varchar, fault json)")
    con.execute("delete from landing.file_faults where extract_kind = ?", [kind])
    if faults:
        con.executemany(
            "insert into landing.file_faults values (?, ?)", [[kind, json.dumps(asdict(f))] for f in faults]
        )


def load_file_faults(con: duckdb.DuckDBPyConnection, kind: str) -> list[FileFault]:
    con.execute("create table if not exists landing.file_faults (extract_kind varchar, fault json)")
    rows = run(con, "select fault from landing.file_faults where extract_kind = ?", [kind])
    return [FileFault(**json.loads(row[0])) for row in rows]


def landed_files(con: duckdb.DuckDBPyConnection, kind: str, landing_dir) -> list[LandingFile]:
    """The files of this run's batch that were read successfully."""
    return [
        LandingFile(landing_dir / f["file_name"], f["file_name"], kind, f["checksum_sha256"], f["size_bytes"])
        for f in landing_files(con, kind)
    ]


def build_landing_asset(kind: str) -> AssetsDefinition:
    @asset(
        key=["landing", kind],
        deps=[["landing", other] for other in LANDING_AFTER.get(kind, [])],
        group_name="ingest",
        description=f"New `{kind}_*.csv` files from {SOURCE_SYSTEM[kind]}, read as delivered (all text, with "
        "file and line) into the run's build. Files already loaded (same checksum) are skipped.",
    )
    def landing_asset(context: AssetExecutionContext, warehouse: ScrsWarehouse) -> MaterializeResult:
        settings = warehouse.settings()
        key = require_pseudonym_key(settings)  # the demo key only in demo mode (scrs/keys.py)
        with build_connection(settings, context.run.run_id) as con:
            ensure_landing(con, kind)
            # Every kind's files at once: the cache (scrs.freshness) keeps what the call was given.
            waiting = [path for _, path in waiting_files(settings)]
            checksums = {path.name: checksum for path, checksum in landing_checksums(settings, waiting).items()}
            files = discover_new_files(con, settings.landing_dir, kind, checksums)
            faults = read_into_landing(con, files, kind, pseudonym_key=key)
            save_file_faults(con, kind, faults)
            rows = value(con, f"select count(*) from landing.{kind}")
        report(context, f"ingest {kind}: {len(files)} new file(s), {rows:,} rows read, {len(faults)} file fault(s)")
        return MaterializeResult(
            metadata={
                "new_files": len(files),
                "file_names": ", ".join(f.name for f in files) or "none",
                "rows": rows,
                "file_faults": len(faults),
            }
        )

    return landing_asset


def build_raw_asset(kind: str) -> AssetsDefinition:
    @asset(
        key=["raw", kind],
        deps=[["landing", kind]],
        group_name="ingest",
        description=f"Every row ever loaded from `{kind}_*.csv`, typed, personal data pseudonymised, with its "
        "file and line; the load registry records each file once.",
    )
    def raw_asset(context: AssetExecutionContext, warehouse: ScrsWarehouse) -> MaterializeResult:
        settings = warehouse.settings()
        key = require_pseudonym_key(settings)
        with build_connection(settings, context.run.run_id) as con:
            ensure_raw(con, kind)
            files = landed_files(con, kind, settings.landing_dir)
            appended = append_to_raw(con, kind, files, context.run.run_id, key)
            total = value(con, f"select count(*) from raw.{kind}")
        return MaterializeResult(
            metadata={
                "files_loaded": sum(1 for n in appended.values() if n),
                "rows_appended": sum(appended.values()),
                "rows_total": total,
            }
        )

    return raw_asset


ingest_assets: list[AssetsDefinition] = [
    builder(kind) for kind in EXTRACT_KINDS for builder in (build_landing_asset, build_raw_asset)
]
