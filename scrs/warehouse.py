"""Read-only access to the served publication.

Two ways to read, both read-only, both leave the pipeline free to replace the served file at any moment
(`os.replace`; stack-notes: DuckDB has one writer, and the pipeline never opens the served file with DuckDB):

- `read_only(path)`: a short-lived connection, opened and closed around one piece of work (the CLI, reports,
  exports: processes that read once).
- `SharedReader`: for a long-lived process that reads often (the dashboard). Opening the served file with
  `duckdb.connect` costs tens of milliseconds (a DuckDB instance is created, the catalogue of ~140 tables and
  views loaded) and closing it as much again, which was most of a dashboard page's time. The shared reader
  keeps one private in-memory DuckDB instance for the process, attaches each publication to it once
  (a few ms) and hands out one cursor per query. How it stays correct:
  - Publications are ATTACHed read-only to the private instance, never opened with `duckdb.connect(path)`:
    DuckDB caches instances by path within a process, so after an `os.replace`, `duckdb.connect(same path)`
    would hand back the OLD database while a connection to it is open. Each attachment has its own name and
    is keyed by the file's identity (path, mtime, size, inode), checked before and after attaching.
  - A query whose file key differs from the current attachment's looks at the file again: a new file is
    attached (and becomes current) and the old attachment is retired, DETACHed (its file closed) as soon as
    no cursor uses it. A query in flight keeps reading the old file (its inode stays readable after the
    replace) and finishes.
  - DuckDB connections are not thread-safe: every query gets its own cursor (Streamlit runs each session in
    a thread of its own); cursors are made, and files attached and detached, under a lock.
  - A fatal or internal DuckDB error invalidates an instance: the reader then drops it and the next query
    makes a new one (a connection per query used to contain such an error to one query).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import duckdb

from scrs.db import connect

FileKey = tuple[str, int, int, int]

ATTACH_TRIES = 3
# DuckDB invalidates a database instance after these: every later query on it fails the same way
INVALIDATING = (duckdb.FatalException, duckdb.InternalException)


class NoPublicationError(RuntimeError):
    """Raised when there is no published warehouse to read yet."""


def _missing(served_db: Path) -> NoPublicationError:
    return NoPublicationError(
        f"No published warehouse at {served_db}: run `scrs run --landing DIR --warehouse DIR` first."
    )


@contextmanager
def read_only(served_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the served warehouse file."""
    if not served_db.exists():
        raise _missing(served_db)
    con = connect(served_db, read_only=True)
    try:
        yield con
    finally:
        con.close()


def file_key(served_db: Path) -> FileKey:
    """The file's identity: a new publication (a replaced file) is a new key. FileNotFoundError if absent."""
    stat = served_db.stat()
    return (str(served_db), stat.st_mtime_ns, stat.st_size, stat.st_ino)


@dataclass(eq=False)
class _Instance:
    con: duckdb.DuckDBPyConnection
    names: count = field(default_factory=lambda: count(1))


@dataclass(eq=False)
class _Attachment:
    key: FileKey
    name: str  # its catalogue name in the instance
    instance: _Instance
    users: int = 0
    retired: bool = False


def _new_instance() -> _Instance:
    """The reader's private in-memory DuckDB instance, with the project's settings (scrs.db.connect). It spills,
    if ever, to a temporary directory of this process (an in-memory instance's default is `.tmp` in the
    current directory)."""
    con = connect(":memory:")
    spill = str(Path(tempfile.gettempdir()) / f"scrs-duckdb-{os.getpid()}").replace("'", "''")
    con.execute(f"SET temp_directory = '{spill}'")
    return _Instance(con)


def _attach(instance: _Instance, served_db: Path) -> _Attachment:
    """Attach `served_db` read-only under a new name, keyed by the file it attached (the key is the same
    before and after attaching, so no replace happened in between)."""
    quoted = str(served_db).replace("'", "''")
    for _ in range(ATTACH_TRIES):
        name = f"publication_{next(instance.names)}"
        try:
            before = file_key(served_db)
            instance.con.execute(f"ATTACH '{quoted}' AS {name} (READ_ONLY)")
        except FileNotFoundError:
            raise _missing(served_db) from None
        try:
            after = file_key(served_db)
        except FileNotFoundError:
            after = None
        if after == before:
            return _Attachment(before, name, instance)
        instance.con.execute(f"DETACH {name}")  # replaced while attaching: attach the new file
        if after is None:
            raise _missing(served_db)
    raise NoPublicationError(f"{served_db} kept changing while it was being opened")


class SharedReader:
    """Read-only cursors on the served publication, one attachment per publication (see the module's notes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instance: _Instance | None = None
        self._current: _Attachment | None = None

    def _take(self, served_db: Path, key: FileKey | None) -> tuple[_Attachment, duckdb.DuckDBPyConnection]:
        """The attachment to read (one more user) and a new cursor: the current attachment when `key` is its
        key, else the file as it is now (attached if it is a new publication; the old one is retired)."""
        with self._lock:
            if self._instance is None:
                self._instance = _new_instance()
            current = self._current
            if current is None or key is None or current.key != key:
                try:
                    now = file_key(served_db)
                except FileNotFoundError:
                    now = None
                if current is None or now != current.key:
                    self._retire_locked()
                    if now is None:
                        raise _missing(served_db)
                    self._current = current = _attach(self._instance, served_db)
            cur = self._instance.con.cursor()
            current.users += 1
        return current, cur

    def _give_back(self, attachment: _Attachment) -> None:
        with self._lock:
            attachment.users -= 1
            if attachment.retired and attachment.users == 0:
                self._detach_locked(attachment)

    def _retire_locked(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            current.retired = True
            if current.users == 0:
                self._detach_locked(current)

    def _detach_locked(self, attachment: _Attachment) -> None:
        if attachment.instance is self._instance:  # a discarded instance goes with its last reference
            attachment.instance.con.execute(f"DETACH {attachment.name}")

    def _discard(self, instance: _Instance | None) -> None:
        """After a fatal or internal DuckDB error the instance is unusable: the next query makes a new one
        (and attaches the publication again) instead of every later query failing until a restart."""
        with self._lock:
            if instance is None or instance is self._instance:
                self._instance, self._current = None, None

    @contextmanager
    def cursor(self, served_db: Path, key: FileKey | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the publication at `served_db` (`key`: the identity the caller saw, to skip a stat),
        with the publication as its default database. Fetch everything before the block ends."""
        try:
            attachment, cur = self._take(served_db, key)
        except INVALIDATING:
            self._discard(None)
            raise
        try:
            try:
                cur.execute(f"USE {attachment.name}")
                yield cur
            finally:
                cur.close()
        except INVALIDATING:
            self._discard(attachment.instance)
            raise
        finally:
            self._give_back(attachment)

    def close(self) -> None:
        """Retire the current attachment (detached now, or when its last cursor is done); the instance stays."""
        with self._lock:
            self._retire_locked()

    @property
    def attached_key(self) -> FileKey | None:
        """The key of the current attachment (None before the first read): for tests and diagnostics."""
        current = self._current
        return None if current is None else current.key
