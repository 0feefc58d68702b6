"""Whether a run has anything to do, decided before Dagster, dbt, Great Expectations or pandas are imported.

A run has nothing new when the served warehouse exists, every extract file waiting in the landing folder is
already in its load registry (by checksum and extract kind, exactly as ingest decides in
`scrs.ingest.landing.discover_new_files`), and its tables were built by this dbt project with these vars
(`meta.dbt_state.project_checksum`). A run would then rebuild and republish the same figures, so neither
`scrs run` nor the landing sensor starts one.

Checksums of landing files are cached in `<warehouse>/.cache/landing_checksums.json`, keyed by name, size,
inode and modification time (nanoseconds), so a landing folder holding years of deliveries is not re-read
on every sensor tick, nor by every run's ingest (which takes its checksums from here, and so keeps the cache
up to date after a first run too).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from scrs.db import connect, run, table_exists, value
from scrs.ingest.landing import sha256_file
from scrs.settings import DBT_PROJECT_DIR, SEEDS_DIR, Settings

# `scrs run --full-refresh` sets it: rebuild every incremental dbt model from the whole history and run every
# data test on every row (dagster_project.dbt.asked_full_refresh), whatever has landed.
FULL_REFRESH_ENV = "SCRS_DBT_FULL_REFRESH"


def project_files() -> list[Path]:
    """Every file that makes up the dbt project and its seeds."""
    watched = [DBT_PROJECT_DIR / name for name in ("models", "macros", "data-tests")] + [SEEDS_DIR]
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [p for d in watched if d.exists() for p in d.rglob("*")]
    return sorted(p for p in files if p.is_file())


def project_checksum(dbt_vars: dict) -> str:
    """SHA-256 over the dbt project's files and the run's vars: what a build's tables were made from."""
    digest = hashlib.sha256(json.dumps(dbt_vars, sort_keys=True).encode())
    for path in project_files():
        digest.update(str(path.relative_to(DBT_PROJECT_DIR.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def waiting_files(settings: Settings) -> list[tuple[str, Path]]:
    """(extract kind, path) of every extract file directly in the landing folder, as ingest globs them."""
    if not settings.landing_dir.is_dir():
        return []
    return [
        (kind, path)
        for kind in settings.extract_kinds
        for path in sorted(settings.landing_dir.glob(f"{kind}_*.csv"), key=lambda p: p.name)
        if path.is_file()
    ]


def _checksum_cache(settings: Settings) -> Path:
    return settings.warehouse_dir / ".cache" / "landing_checksums.json"


def landing_checksums(settings: Settings, files: list[Path]) -> dict[Path, str]:
    """SHA-256 of each file, reusing the cached value while name, size, inode and mtime are unchanged."""
    cache_path = _checksum_cache(settings)
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    out: dict[Path, str] = {}
    fresh: dict[str, list] = {}
    for path in files:
        stat = path.stat()
        key = [stat.st_size, stat.st_ino, stat.st_mtime_ns]
        cached = cache.get(path.name)
        checksum = cached[3] if isinstance(cached, list) and cached[:3] == key else sha256_file(path)
        out[path] = checksum
        fresh[path.name] = [*key, checksum]
    if fresh != cache:
        try:  # best effort: a reader without write access to the warehouse folder just hashes again next time
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(fresh))
            os.replace(tmp, cache_path)
        except OSError:
            pass
    return out


@dataclass(frozen=True)
class ServedState:
    """What the served publication already holds: registered checksums by extract kind, the dbt build, and
    which extract kinds have a raw table."""

    registered: dict[str, set[str]]
    project_checksum: str | None
    raw_kinds: frozenset[str] = frozenset()


def served_state(settings: Settings) -> ServedState | None:
    """The served warehouse's load registry and dbt state (read-only), or None when nothing is published."""
    if not settings.served_db.exists():
        return None
    with connect(settings.served_db, read_only=True) as con:
        registered: dict[str, set[str]] = {}
        if table_exists(con, "raw", "load_registry"):
            for kind, checksum in run(con, "select extract_kind, checksum_sha256 from raw.load_registry"):
                registered.setdefault(kind, set()).add(checksum)
        checksum = None
        if table_exists(con, "meta", "dbt_state"):
            checksum = value(con, "select project_checksum from meta.dbt_state")
        raw_kinds = frozenset(kind for kind in settings.extract_kinds if table_exists(con, "raw", kind))
    return ServedState(registered, checksum, raw_kinds)


def unloaded_files(settings: Settings, state: ServedState) -> list[tuple[str, Path]]:
    """(extract kind, path) of the landing folder's files whose content the served publication has not loaded."""
    files = waiting_files(settings)
    checksums = landing_checksums(settings, [path for _, path in files])
    return [(kind, path) for kind, path in files if checksums[path] not in state.registered.get(kind, set())]


def why_run(settings: Settings) -> str | None:
    """Why a run is needed (one line), or None when it would have nothing new to publish."""
    state = served_state(settings)
    if state is None:
        return "nothing is published yet"
    if state.project_checksum != project_checksum(settings.dbt_vars()):
        return "the dbt project or its vars changed since the last publication"
    new = [path.name for _, path in unloaded_files(settings, state)]
    if new:
        return f"{len(new)} new file(s) in the landing folder: {', '.join(new[:5])}" + (" ..." if len(new) > 5 else "")
    return None


def kinds_with_nothing_new(settings: Settings) -> frozenset[str]:
    """Extract kinds with no file in the landing folder that the served publication has not loaded, and a raw
    table in it: a run's ingest and quality steps for them would read nothing and change nothing, so a run
    may leave them out (dagster_project/runner.py). Empty when nothing is published."""
    state = served_state(settings)
    if state is None:
        return frozenset()
    return frozenset(state.raw_kinds - {kind for kind, _ in unloaded_files(settings, state)})
