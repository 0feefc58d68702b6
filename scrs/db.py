"""The one way to open a DuckDB file and read from it, for the pipeline, the CLI and the dashboard.

DuckDB 2.0 streams the result of `execute()` and holds the connection until that result is fully fetched,
so every helper here fetches its result to the end before it returns: the next statement on the same
connection never meets a half-read result.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

Params = Sequence[Any] | Mapping[str, Any]

DEFAULT_MEMORY_LIMIT = "2GB"


def memory_limit() -> str:
    """DuckDB's memory limit for every connection the project opens (dbt's too, through profiles.yml).

    So that ten years of history spill to disk rather than grow the process (DuckDB's default is 80% of
    RAM). `SCRS_DUCKDB_MEMORY_LIMIT`, default 2GB: with Dagster's own process the pipeline stays under 4 GB.
    """
    return os.environ.get("SCRS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file with the project's settings (the memory limit).

    One process may hold a file read-write, or many read-only, never both: readers open short-lived
    read-only connections and close them (scrs.warehouse.read_only) or, in the dashboard, attach each
    publication read-only to a private in-memory instance (scrs.warehouse.SharedReader); writers work on a
    private build file.

    The settings are applied with `SET`, not `duckdb.connect(config=...)`: DuckDB refuses a second
    connection to a file already open in the process with a different config, so a config here would make
    any other reader of the same file (a test, a tool) fail with "different configuration".
    """
    limit = memory_limit().replace("'", "''")
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute(f"SET memory_limit = '{limit}'")
    except duckdb.Error:
        con.close()
        raise
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
    """Run one statement to completion and return every row as a tuple (an empty list for DDL)."""
    return con.execute(sql, params).fetchall()


def value(con: duckdb.DuckDBPyConnection, sql: str, params: Params = ()) -> Any:
    """The first column of the first row, or None when the query returns no row."""
    result = run(con, sql, params)
    return result[0][0] if result else None


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Params = ()) -> list[dict[str, Any]]:
    """Every row as a dict keyed by column name, in the query's order."""
    cur = con.execute(sql, params)
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` exists as a table or a view in the connection's current database.

    Attached databases and temporary tables of the same name do not count.
    """
    return bool(
        value(
            con,
            """SELECT count(*) FROM information_schema.tables
               WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?""",
            [schema, table],
        )
    )


def column_names(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The columns of `schema.table` in the connection's current database (empty when it does not exist)."""
    return {
        name
        for (name,) in run(
            con,
            """SELECT column_name FROM information_schema.columns
               WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?""",
            [schema, table],
        )
    }
