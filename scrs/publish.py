"""Private builds and atomic publication of the warehouse.

A run builds into `.build/<run_id>.duckdb`, a copy of the served file (or a new file). Only when every
gate has passed is that file closed and moved onto the served path with `os.replace`, which is atomic on
one filesystem: readers see the old publication or the new one, never a half-built one. A killed run
leaves only a stale build file, removed by the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from scrs.db import connect, table_exists, value
from scrs.settings import Settings


class RunInProgressError(RuntimeError):
    """Another pipeline run holds the warehouse's run lock."""


class PublicationChangedError(RuntimeError):
    """The served file changed while this run was building (another run published first)."""


@contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """Hold the warehouse's run lock for the duration of a run; fail at once if another run holds it."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.run_lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunInProgressError(
                f"another pipeline run is in progress on {settings.warehouse_dir} (lock {settings.run_lock})"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class BuildInfo:
    """Where a run builds, and which publication it started from."""

    run_id: str
    path: Path
    base_signature: str  # served file's identity when the build was copied; "" when there was none


def served_signature(settings: Settings) -> str:
    try:
        stat = settings.served_db.stat()
    except FileNotFoundError:
        return ""
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


def _base_file(build: Path) -> Path:
    return build.with_suffix(".base")


def prepare_build(settings: Settings, run_id: str) -> BuildInfo:
    """Create (once per run) the run's private build file, a copy of the served publication."""
    build = settings.build_db(run_id)
    base_file = _base_file(build)
    if build.exists() and base_file.exists():
        return BuildInfo(run_id, build, base_file.read_text())
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    for stale in settings.build_dir.iterdir():  # builds of killed or failed runs
        if not stale.name.startswith(run_id):
            stale.unlink(missing_ok=True)
    signature = served_signature(settings)
    if signature:
        tmp = build.with_suffix(".copying")
        shutil.copyfile(settings.served_db, tmp)
        os.replace(tmp, build)
    else:
        connect(build).close()
    base_file.write_text(signature)
    return BuildInfo(run_id, build, signature)


@contextmanager
def build_connection(settings: Settings, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to this run's private build file (created on first use), closed when the
    block ends, so that the next step, or dbt, can open the file (DuckDB has one writer)."""
    with connect(prepare_build(settings, run_id).path) as con:
        yield con


def discard_build(settings: Settings, run_id: str) -> None:
    build = settings.build_db(run_id)
    for path in (build, _base_file(build), Path(f"{build}.wal")):
        path.unlink(missing_ok=True)


def write_publication_metadata(con: duckdb.DuckDBPyConnection, run_id: str, published_at: datetime) -> None:
    """Record which run published this file and how fresh its extracts are (meta.publication)."""
    con.execute("create schema if not exists meta")
    latest = {
        table: value(con, f"select max(extracted_at) from raw.{table}")
        for table in ("incidents", "crimes", "training")
        if table_exists(con, "raw", table)
    }
    files = value(con, "select count(*) from raw.load_registry") if table_exists(con, "raw", "load_registry") else 0
    known = [v for v in latest.values() if v is not None]
    con.execute(
        """
        create or replace table meta.publication as
        select ?::varchar as run_id, ?::timestamp as published_at, ?::timestamp as latest_extracted_at,
               ?::bigint as files_loaded, ?::varchar as latest_extracted_at_by_extract
        """,
        [
            run_id,
            published_at.replace(tzinfo=None),
            max(known) if known else None,
            files,
            json.dumps({k: str(v) if v else None for k, v in latest.items()}),
        ],
    )


def publish_build(settings: Settings, info: BuildInfo) -> Path:
    """Atomically replace the served file with this run's build (after every gate has passed)."""
    if served_signature(settings) != info.base_signature:
        raise PublicationChangedError(
            "the published warehouse changed while this run was building; nothing was published, run again"
        )
    with connect(info.path) as con:
        con.execute("drop schema if exists landing cascade")
        write_publication_metadata(con, info.run_id, datetime.now(UTC))
        con.execute("checkpoint")
    with open(info.path, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(info.path, settings.served_db)
    _base_file(info.path).unlink(missing_ok=True)
    dir_fd = os.open(settings.warehouse_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return settings.served_db
