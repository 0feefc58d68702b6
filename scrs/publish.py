"""Private builds and atomic publication of the warehouse.

A run builds into `.build/<run_id>.duckdb`, a copy of the served file (or a new file). Only when every
gate has passed is that file closed and moved onto the served path with `os.replace`, which is atomic on
one filesystem: readers see the old publication or the new one, never a half-built one. A killed run
leaves only a stale build file, removed by the next run.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import duckdb

from scrs.db import connect, table_exists, value
from scrs.settings import Settings

log = logging.getLogger(__name__)


class RunInProgressError(RuntimeError):
    """Another pipeline run holds the warehouse's run lock."""


class PublicationChangedError(RuntimeError):
    """The served file changed while this run was building (another run published first)."""


# Run locks this process holds. A lock is per open file, so the same process must not take it twice: `scrs
# run` takes it, then runs the job in-process, whose resource (dagster_project.resources) takes it only when
# the run was not started under it (a run the Dagster daemon launched).
_held_locks: set[Path] = set()


@contextmanager
def run_lock(settings: Settings, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's run lock for the duration of a run.

    By default a run fails at once if another run holds it (`scrs run` typed by hand, a delivery's run).
    With `wait_seconds`, the run waits up to that long for the other to end, logging a line each minute:
    what a run started by the clock does (the weekly rebuild at 03:00 on a Sunday meeting a delivery's run),
    since nobody is there to start it again.
    """
    if settings.run_lock in _held_locks:  # this process's run already holds it
        yield
        return
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.run_lock, "a+") as handle:
        _take(handle, settings, wait_seconds)
        _held_locks.add(settings.run_lock)
        try:
            yield
        finally:
            _held_locks.discard(settings.run_lock)
            fcntl.flock(handle, fcntl.LOCK_UN)


LOCK_POLL_SECONDS = 1.0


def _take(handle: IO[str], settings: Settings, wait_seconds: float) -> None:
    started = time.monotonic()
    said = 0
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if said:
                log.info("the run in progress on %s ended: this run starts", settings.warehouse_dir)
            return
        except BlockingIOError as exc:
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                after = f" (waited {waited:.0f} s for it to end)" if wait_seconds else ""
                raise RunInProgressError(
                    f"another pipeline run is in progress on {settings.warehouse_dir} (lock {settings.run_lock}){after}"
                ) from exc
            if waited >= said * 60:  # WARNING: what reaches the daemon's journal with logging unconfigured
                log.warning(
                    "another pipeline run is in progress on %s: waiting for it to end (%.0f s so far, up to %.0f s)",
                    settings.warehouse_dir,
                    waited,
                    wait_seconds,
                )
                said += 1
            time.sleep(min(LOCK_POLL_SECONDS, max(wait_seconds - waited, 0.01)))


def run_in_progress(settings: Settings) -> bool:
    """Whether another process holds the warehouse's run lock now (the landing sensor waits while it does)."""
    if settings.run_lock in _held_locks:
        return True
    if not settings.run_lock.exists():
        return False
    with open(settings.run_lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


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


# Linux ioctl FICLONE: make `dst` share `src`'s blocks, copy-on-write (XFS with reflink, Btrfs, bcachefs).
FICLONE = 0x40049409


def clone_or_copy(src: Path, dst: Path) -> str:
    """Copy `src` to `dst` as a copy-on-write clone where the filesystem can (instant, and no extra space
    until the build writes), else as a full copy. Returns "clone" or "copy". Either way `dst` is a private
    file: writes to it never reach `src`, which readers keep reading (docs/operations.md: put the warehouse
    on XFS or Btrfs to avoid copying the whole served file at the start of every run)."""
    try:
        with open(src, "rb") as source, open(dst, "wb") as target:
            fcntl.ioctl(target.fileno(), FICLONE, source.fileno())
        return "clone"
    except OSError:  # not supported here (ext4, tmpfs, across filesystems): copy
        shutil.copyfile(src, dst)
        return "copy"


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
        if not _take_standby(settings, build, signature):
            tmp = build.with_suffix(".copying")
            clone_or_copy(settings.served_db, tmp)
            os.replace(tmp, build)
    else:
        connect(build).close()
    base_file.write_text(signature)
    return BuildInfo(run_id, build, signature)


# The standby: a copy of the served publication made ahead of the next run (by the resident runner, after each
# run it handles), which that run's prepare_build takes instead of copying the served file at its start: at ten
# years, national volume, the copy is 2.6 GB and 4-6 s of a month's run on this machine (docs/scaling.md). The
# same copy, made while nobody waits; it is used only while the served file is the one it was copied from.
def _standby(settings: Settings) -> tuple[Path, Path]:
    folder = settings.warehouse_dir / ".standby"
    return folder / "publication.duckdb", folder / "publication.base"


def discard_standby(settings: Settings) -> None:
    copy, base = _standby(settings)
    for path in (base, copy, copy.with_suffix(".copying")):
        path.unlink(missing_ok=True)


def _standby_is_fresh(settings: Settings, signature: str | None = None) -> bool:
    """Whether the standby is a whole copy of the served file as it is now (`signature`, read if not given)."""
    copy, base = _standby(settings)
    signature = served_signature(settings) if signature is None else signature
    try:
        return bool(signature) and base.read_text() == signature and copy.exists()
    except FileNotFoundError:
        return False


def _take_standby(settings: Settings, build: Path, signature: str) -> bool:
    """Move the standby into place as the run's build when it is a copy of the served file as it is now;
    discard a standby of an earlier publication. Returns whether it was taken."""
    copy, base = _standby(settings)
    if _standby_is_fresh(settings, signature):
        base.unlink()  # first: a standby without its base file is never taken
        os.replace(copy, build)
        return True
    discard_standby(settings)
    return False


def make_standby(settings: Settings) -> float | None:
    """Copy the served publication to the standby, under the run lock; returns the seconds it took, or None
    when there was nothing to do (no publication, a standby of it already, another run holds the lock).

    Written to a temporary name, flushed to disk, then renamed, and its base file (the served file's identity
    when copied) written last: a copy cut short by a kill or a power failure is never taken."""
    if _standby_is_fresh(settings):  # checked before locking too: nothing to do takes no lock
        return None
    try:
        with run_lock(settings):
            signature = served_signature(settings)
            copy, base = _standby(settings)
            if not signature:
                discard_standby(settings)
                return None
            if _standby_is_fresh(settings):
                return None
            discard_standby(settings)
            copy.parent.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            tmp = copy.with_suffix(".copying")
            try:
                clone_or_copy(settings.served_db, tmp)
                _fsync(tmp)
                os.replace(tmp, copy)
                base.write_text(signature)
                _fsync(base)
                _fsync(copy.parent)
            except BaseException:  # a full disk, say: leave no partial copy taking the space a run needs
                discard_standby(settings)
                raise
            return time.monotonic() - started
    except RunInProgressError:
        return None


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's entries') writes to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        # Landing's text is dropped here, after dbt, not before it: the blocks it frees stay in the file as room
        # for the next month's writes. Dropped before dbt (tried 29 Nov), dbt's tables took them, the file was a
        # quarter smaller, and a month's commit onto ten years took 1.0 s against 0.4 s, writing more blocks at
        # the file's end instead of into free ones (docs/benchmarks.md; at one year the two took the same time).
        con.execute("drop schema if exists landing cascade")
        write_publication_metadata(con, info.run_id, datetime.now(UTC))
        con.execute("checkpoint")
    _fsync(info.path)
    os.replace(info.path, settings.served_db)
    _base_file(info.path).unlink(missing_ok=True)
    _fsync(settings.warehouse_dir)
    return settings.served_db
