"""Read-only access to the served publication.

Two ways to read, both read-only, both leave the pipeline free to replace the served file at any moment
(`os.replace`; stack-notes: DuckDB has one writer, and the pipeline never opens the served file with DuckDB):

- `read_only(path)`: a short-lived connection, opened and closed around one piece of work (the CLI, reports,
  exports: processes that read once).
- `SharedReader`: for a long-lived process that reads often (the dashboard). Opening the served file costs
  tens of milliseconds (DuckDB loads the catalogue of ~140 tables and views) and closing it as much again,
  which was most of a dashboard page's time; the shared reader opens each publication once and hands out one
  cursor per query. How it stays correct:
  - Each publication is attached read-only to a private in-memory DuckDB instance, never opened with
    `duckdb.connect(path)`: DuckDB caches instances by path within a process, so after an `os.replace`,
    `duckdb.connect(same path)` would hand back the OLD database while a connection to it is open. An
    attachment is keyed by the file's identity (path, mtime, size, inode), checked before and after attaching.
  - A query whose file key differs from the attached one's looks at the file again: a new file is attached
    (becomes current) and the old attachment is retired, closed as soon as no cursor uses it. A query in
    flight keeps reading the old file (its inode stays readable after the replace) and finishes.
  - DuckDB connections are not thread-safe: every query gets its own cursor (Streamlit runs each session in
    a thread of its own); cursors are made under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scrs.db import connect

FileKey = tuple[str, int, int, int]

ALIAS = "served"  # the attached publication's catalogue name inside a SharedReader's instance
ATTACH_TRIES = 3


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
class _Attachment:
    key: FileKey
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False


def _attach(served_db: Path) -> _Attachment:
    """A private in-memory instance with `served_db` attached read-only as `ALIAS`, keyed by the file it
    attached (the key is the same before and after attaching, so no replace happened in between)."""
    for _ in range(ATTACH_TRIES):
        try:
            before = file_key(served_db)
        except FileNotFoundError:
            raise _missing(served_db) from None
        con = connect(":memory:")
        try:
            quoted = str(served_db).replace("'", "''")
            con.execute(f"SET temp_directory = '{quoted}.tmp'")  # where a file connection would spill
            con.execute(f"ATTACH '{quoted}' AS {ALIAS} (READ_ONLY)")
            after = file_key(served_db)
        except FileNotFoundError:
            con.close()
            raise _missing(served_db) from None
        except BaseException:
            con.close()
            raise
        if after == before:
            return _Attachment(before, con)
        con.close()  # replaced while attaching: attach the new file
    raise NoPublicationError(f"{served_db} kept changing while it was being opened")


class SharedReader:
    """Read-only cursors on the served publication, one attachment per publication (see the module's notes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: _Attachment | None = None

    def _take(self, served_db: Path, key: FileKey | None) -> _Attachment:
        """The attachment to read (one more user): the current one when `key` is its key, else the file as it
        is now (attached if it is a new publication; the old one is retired)."""
        retired: _Attachment | None = None
        with self._lock:
            current = self._current
            if current is None or key is None or current.key != key:
                try:
                    now = file_key(served_db)
                except FileNotFoundError:
                    now = None
                if current is None or now != current.key:
                    if current is not None:
                        current.retired = True
                        retired = current if current.users == 0 else None
                        self._current = None
                    if now is None:
                        self._close(retired)
                        raise _missing(served_db)
                    self._current = _attach(served_db)
                    current = self._current
            current.users += 1
        self._close(retired)
        return current

    def _give_back(self, attachment: _Attachment) -> None:
        with self._lock:
            attachment.users -= 1
            done = attachment.retired and attachment.users == 0
        if done:
            self._close(attachment)

    @staticmethod
    def _close(attachment: _Attachment | None) -> None:
        if attachment is not None:
            attachment.con.close()

    @contextmanager
    def cursor(self, served_db: Path, key: FileKey | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the publication at `served_db` (`key`: the identity the caller saw, to skip a stat),
        with the publication as its default database. Fetch everything before the block ends."""
        attachment = self._take(served_db, key)
        try:
            with self._lock:
                cur = attachment.con.cursor()
            try:
                cur.execute(f"USE {ALIAS}")
                yield cur
            finally:
                cur.close()
        finally:
            self._give_back(attachment)

    def close(self) -> None:
        """Retire the current attachment (closed now, or when its last cursor is done)."""
        with self._lock:
            current, self._current = self._current, None
            if current is not None:
                current.retired = True
            done = current is not None and current.users == 0
        if done:
            self._close(current)

    @property
    def attached_key(self) -> FileKey | None:
        """The key of the current attachment (None before the first read): for tests and diagnostics."""
        current = self._current
        return None if current is None else current.key
