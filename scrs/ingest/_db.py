"""Small DuckDB helpers. DuckDB 2.0 streams `execute()` results and holds the connection until a result is
fully fetched, so every statement here is fetched to the end before the next one runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

Params = Sequence[Any] | Mapping[str, Any] | None


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
    cur = con.execute(sql) if params is None else con.execute(sql, params)
    return cur.fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> Any:
    rows = run(con, sql, params)
    return rows[0][0] if rows else None


def dicts(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> list[dict[str, Any]]:
    cur = con.execute(sql) if params is None else con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, schema_name: str, table: str) -> bool:
    return bool(
        scalar(
            con,
            """SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?
               AND database_name = current_database()""",
            [schema_name, table],
        )
    )
