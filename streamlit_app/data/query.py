"""The connection, the cache and the disclosure step shared by every data module.

Rules kept here (docs/architecture.md, "Dashboard"):
- Only the published warehouse is read, `Settings.from_env().served_db`, and only what dbt and the pipeline
  built. No rate, interval or status is recomputed.
- Each query reads through one READ-ONLY cursor of the process's `scrs.warehouse.SharedReader` and fetches
  everything before it returns. The reader attaches each publication once (opening the served file per query
  was most of a page's time) and never holds it in a way that stops a pipeline run replacing the served file
  (`os.replace`): the next query after a replace attaches the new file, and the old one is detached (its file
  closed) once no query uses it (scrs/warehouse.py says how). Never `duckdb.connect` the served path in this
  process: DuckDB shares one database per path, so after a replace that could hand back the old file.
- Results are cached with `st.cache_data`, keyed on the served file's identity (path, mtime, size, inode)
  plus the SQL and its parameters: a new publication is a new file, so the next page run sees it.
- SQL is parameterised (`?`); identifiers come only from constants in the data modules, never from input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from scrs import db
from scrs.disclosure import COMPLIANCE_HIERARCHY, RATE_COLUMNS, hidden_rows, suppress_small_cells
from scrs.export import compliance_hidden, stored_compliance_hidden
from scrs.settings import Settings
from scrs.warehouse import FileKey, NoPublicationError, SharedReader
from scrs.warehouse import file_key as warehouse_file_key
from streamlit_app.access.policy import Viewer, exempt_division, suppresses

log = logging.getLogger(__name__)

READER = SharedReader()  # one per process: every page, session and thread reads the served file through it

NOTHING_PUBLISHED = (
    "Nothing has been published yet. The figures appear here once the pipeline has run "
    "(`make demo` builds a demonstration warehouse); then reload this page."
)
BEING_REPLACED = "The published figures are being replaced or cannot be read just now. Try again in a moment."


class DataUnavailable(Exception):
    """The published warehouse, or a table the page needs, is not there (yet). Shown as st.info; the message
    is for users: plain words, never a server path."""


def settings() -> Settings:
    return Settings.from_env()


def file_key() -> FileKey:
    """The served file's identity: a new publication (a replaced file) is a new key."""
    try:
        return warehouse_file_key(settings().served_db)
    except FileNotFoundError:
        raise DataUnavailable(NOTHING_PUBLISHED) from None


def unavailable(key: FileKey, exc: Exception) -> DataUnavailable:
    """The message for a failed read of the served file: plain words, never a path or the database's own
    message (they go to the server's log)."""
    log.warning("reading the served warehouse %s failed: %s", key[0], exc)
    if isinstance(exc, NoPublicationError):  # removed between the stat and the connect
        return DataUnavailable(BEING_REPLACED)
    if isinstance(exc, duckdb.CatalogException):
        return DataUnavailable(
            "The published warehouse does not have what this page needs. It may come from an older version of "
            "the pipeline: an engineer can run the pipeline again."
        )
    return DataUnavailable(BEING_REPLACED)


READ_ERRORS = (NoPublicationError, duckdb.CatalogException, duckdb.IOException)


@contextmanager
def connection(key: FileKey | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the served publication, for work that needs more than one query or a temp table
    (a download pack, a worklist); `key`: the publication a cached listing came from (default: the current
    file). Fetch everything inside the block."""
    key = key or file_key()
    with READER.cursor(Path(key[0]), key) as con:
        yield con


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_query(key: FileKey, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    with connection(key) as con:
        return con.execute(sql, list(params)).df()


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_table_exists(key: FileKey, schema: str, table: str) -> bool:
    with connection(key) as con:
        return db.table_exists(con, schema, table)


@st.cache_data(show_spinner=False, max_entries=8)
def _cached_compliance_hidden(key: FileKey, min_records: int) -> dict[str, pd.DataFrame]:
    with connection(key) as con:
        return compliance_hidden(con, min_records)


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_compliance_pattern(key: FileKey, min_records: int, mart: str) -> pd.DataFrame:
    with connection(key) as con:
        stored = stored_compliance_hidden(con, min_records, only=(mart,))
    if stored is not None and mart in stored:
        return stored[mart]  # one table read, not the five marts' patterns
    return _cached_compliance_hidden(key, min_records)[mart]  # not stored (an older publication): computed


def compliance_pattern(mart: str) -> pd.DataFrame:
    """The committee's suppression pattern of a committee-facing mart (keys + `_hidden`: primary and
    complementary, computed once per publication over the whole of the compliance and thematic marts, as
    `scrs export --national` and the paper do; stored in the publication, so read from it)."""
    key = file_key()
    try:
        return _cached_compliance_pattern(key, settings().disclosure_min_records, mart)
    except READ_ERRORS as exc:
        raise unavailable(key, exc) from exc


def query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """The result of one read-only query of the served warehouse (cached per publication)."""
    key = file_key()
    try:
        return _cached_query(key, sql, tuple(params))
    except READ_ERRORS as exc:
        raise unavailable(key, exc) from exc


def table_exists(schema: str, table: str) -> bool:
    """Whether the served warehouse has `schema.table` (tables the pipeline adds only in some runs)."""
    key = file_key()
    try:
        return _cached_table_exists(key, schema, table)
    except READ_ERRORS as exc:
        raise unavailable(key, exc) from exc


def where(filters: Mapping[str, Any], allowed: Iterable[str], alias: str = "m") -> tuple[str, list[Any]]:
    """`WHERE` from fixed column names (checked against `allowed`) and parameterised values.

    None means no filter; a list or tuple becomes `IN (?, ...)`.
    """
    allowed = set(allowed)
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in filters.items():
        if column not in allowed:
            raise ValueError(f"not a filterable column: {column!r}")
        if value is None:
            continue
        if isinstance(value, list | tuple):
            if not value:
                clauses.append("FALSE")
                continue
            clauses.append(f"{alias}.{column} IN ({', '.join('?' * len(value))})")
            params.extend(value)
        else:
            clauses.append(f"{alias}.{column} = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def disclosed(
    frame: pd.DataFrame,
    viewer: Viewer,
    *,
    own_col: str | None = None,
    own_scope: str | None = None,
    count_col: str = "examined",
    blank: Sequence[str] = RATE_COLUMNS,
    hierarchy: Sequence[str] = (),
    flag_col: str = "suppressed",
    mart: str | None = None,
    keys: Mapping[str, str] | None = None,
    hidden: pd.Series | None = None,
) -> pd.DataFrame:
    """`frame` as `viewer` may see it: small cells blanked (`scrs.disclosure`) in committee-facing views.

    `flag_col` marks the blanked rows (always added; all False when nothing is suppressed). A division user
    sees its own division unsuppressed: rows whose `own_col` is its division code, or every row when the
    query was limited to its division (`own_scope`). `hierarchy`: the columns that place a cell in its groups
    (`scrs.disclosure`). `mart`: the frame's rows are cells of that compliance mart, blanked by the
    committee's whole pattern (contract 5.1: complementary cells too); `keys` maps a pattern key column to
    the frame's column where the names differ. `hidden`: the committee's pattern for the frame's rows when
    the caller computed it (`scrs.disclosure.audit_pattern`), instead of `mart`.
    """
    if not suppresses(viewer, own_scope):
        return frame.assign(**{flag_col: False})
    own = exempt_division(viewer)
    exempt = frame[own_col].eq(own) if own is not None and own_col is not None and own_col in frame.columns else None
    if mart is not None:  # a compliance mart: the whole hierarchy's pattern, not just this frame's small cells
        names = dict(keys or {})  # pattern key -> this frame's column, where they differ
        located = frame.drop(columns=[k for k in names if k in frame.columns]).rename(
            columns={v: k for k, v in names.items()}
        )
        hidden = hidden_rows(located, compliance_pattern(mart), COMPLIANCE_HIERARCHY[mart]) if len(frame) else None
    return suppress_small_cells(
        frame,
        settings().disclosure_min_records,
        count_col=count_col,
        blank=blank,
        hierarchy=hierarchy,
        exempt=exempt,
        flag_col=flag_col,
        hidden=hidden,
    )
