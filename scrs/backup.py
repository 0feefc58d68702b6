"""`scrs backup` / `scrs restore`: what the product cannot rebuild from extracts, copied consistently.

Everything else (the warehouse file, data docs, dbt's target) is rebuilt by `scrs run` from the extracts.
What is not: the review store and every other SQLite store in the state folder (`Settings.state_dir`), the
other files there, and the access log. A backup may be taken while the dashboard runs:
- SQLite stores are copied with SQLite's online backup API, which gives a consistent copy of a live
  database (WAL mode: writers are not blocked);
- the access log (with its anchor, `state/access_log.anchor`) is copied whole under a shared lock on it,
  taken *before* the stores are copied. A review
  write appends its access-log line inside its store transaction (scrs.reviews), so while the backup holds
  the log's lock no write can commit: every write in the copied store has its line in the copied log.
- `manifest.json` lists each file with its size and SHA-256; `restore` checks them before touching anything.

`restore` refuses to overwrite a store or log that already holds entries unless asked (`--force`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scrs import access_log
from scrs.reviews import connect
from scrs.settings import Settings

MANIFEST = "manifest.json"
ACCESS_LOG_NAME = "access.jsonl"
ANCHOR_NAME = "access_log.anchor"  # the access log's head and line count (scrs.access_log.anchor_path)
STATE_FOLDER = "state"
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(RuntimeError):
    """A backup that cannot be taken or restored as asked (nothing was changed)."""


@dataclass(frozen=True)
class BackedUpFile:
    name: str  # path inside the backup folder
    bytes: int
    sha256: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_files(state_dir: Path) -> tuple[list[Path], list[Path]]:
    """(SQLite stores, other files) in the state folder."""
    if not state_dir.is_dir():
        return [], []
    files = sorted(p for p in state_dir.iterdir() if p.is_file() and not p.name.endswith(_SQLITE_SIDE_FILES))
    stores = [p for p in files if p.suffix == ".sqlite"]
    return stores, [p for p in files if p not in stores]


@contextmanager
def _log_lock(log: Path, mode: int) -> Iterator[None]:
    """Hold the access log's lock (the same `fcntl` lock its writers take)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _copy_sqlite(source: Path, target: Path, self_contained: bool = False) -> None:
    """A consistent copy of a live SQLite database (online backup API)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source), timeout=60)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
            if self_contained:  # one file in the backup folder, no -wal beside it
                dst.execute("pragma journal_mode = delete")
        finally:
            dst.close()
    finally:
        src.close()


def backup(settings: Settings, out_dir: Path) -> list[BackedUpFile]:
    """Copy the state folder's stores and files and the access log into `out_dir` (with a manifest)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BackupError(f"{out_dir} is not empty: back up into a new folder")
    anchor = access_log.anchor_path(settings.access_log)
    stores, others = _state_files(settings.state_dir)
    others = [o for o in others if o.resolve() != anchor.resolve()]
    if not stores and not settings.access_log.exists():
        raise BackupError(f"nothing to back up: no review store in {settings.state_dir} and no access log")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with _log_lock(settings.access_log, fcntl.LOCK_SH):
        for store in stores:
            target = out_dir / STATE_FOLDER / store.name
            _copy_sqlite(store, target, self_contained=True)
            written.append(target)
        for other in others:
            target = out_dir / STATE_FOLDER / other.name
            shutil.copyfile(other, target)
            written.append(target)
        target = out_dir / ACCESS_LOG_NAME
        shutil.copyfile(settings.access_log, target)
        written.append(target)
        if anchor.exists():  # written under the same lock as the log: the two agree
            shutil.copyfile(anchor, out_dir / ANCHOR_NAME)
            written.append(out_dir / ANCHOR_NAME)
    files = [BackedUpFile(str(p.relative_to(out_dir)), p.stat().st_size, _sha256(p)) for p in written]
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse_dir": settings.warehouse_dir.name,
        "files": [f.__dict__ for f in files],
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in [*written, out_dir / MANIFEST]:
        path.chmod(0o600)
    return files


def _holds_entries(settings: Settings) -> list[str]:
    """What restoring would overwrite that already holds something."""
    found = []
    stores, others = _state_files(settings.state_dir)
    for store in stores:
        con = connect(store)
        try:
            tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'").fetchall()]
            if any(con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables if t != "sqlite_sequence"):
                found.append(str(store))
        finally:
            con.close()
    if settings.access_log.exists() and settings.access_log.stat().st_size:
        found.append(str(settings.access_log))
    return found


def restore(settings: Settings, from_dir: Path, force: bool = False) -> list[BackedUpFile]:
    """Put a backup's stores, state files and access log back (checked against its manifest first)."""
    from_dir = Path(from_dir)
    manifest_path = from_dir / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{from_dir} holds no {MANIFEST}: not a backup made by `scrs backup`")
    files = [BackedUpFile(**f) for f in json.loads(manifest_path.read_text())["files"]]
    for f in files:
        path = from_dir / f.name
        if not path.is_file() or _sha256(path) != f.sha256:
            raise BackupError(f"{path} is missing or does not match the backup's manifest; nothing was restored")
    existing = _holds_entries(settings)
    if existing and not force:
        raise BackupError(
            f"nothing was restored: these already hold entries: {', '.join(existing)} (use --force to overwrite them)"
        )
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with _log_lock(settings.access_log, fcntl.LOCK_EX):
        for f in files:
            source = from_dir / f.name
            target = {
                ACCESS_LOG_NAME: settings.access_log,
                ANCHOR_NAME: access_log.anchor_path(settings.access_log),
            }.get(f.name, settings.state_dir / Path(f.name).name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.suffix == ".sqlite":
                _copy_sqlite(source, target)
                connect(target).close()  # back to WAL, as the product opens it
            else:
                tmp = target.with_name(target.name + ".restoring")
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
            target.chmod(0o600)
    return files
