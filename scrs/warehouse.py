"""Read-only access to the served publication.

Readers never hold a connection: each call opens the served file read-only, reads, and closes, so the
pipeline can replace the file at any moment (`os.replace`) and the next reader sees the new publication
while a reader in flight keeps the old one (stack-notes: DuckDB has one writer).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from scrs.db import connect


class NoPublicationError(RuntimeError):
    """Raised when there is no published warehouse to read yet."""


@contextmanager
def read_only(served_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the served warehouse file."""
    if not served_db.exists():
        raise NoPublicationError(
            f"No published warehouse at {served_db}: run `scrs run --landing DIR --warehouse DIR` first."
        )
    con = connect(served_db, read_only=True)
    try:
        yield con
    finally:
        con.close()
