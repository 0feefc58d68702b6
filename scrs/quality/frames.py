"""The DataFrame GX validates: landing rows of some files, as written, plus helper columns computed by DuckDB.

GX's SQL data source does not work on DuckDB (stack notes), and GX's pandas engine is fast only for
vectorised checks; so anything needing a join (earlier loads in `raw`, the batch's incidents) or date
arithmetic is computed here in SQL, and the suite checks the resulting helper column:

- `_days_open_at_extract` (incidents): days from created_at to extracted_at while closed_at is null.
- `_not_older_than_loaded` (all): 'Y'/'N' extracted_at >= the latest extracted_at already in raw for the
  key; NULL when the key is new.
- `_incident_known` (crimes): 'Y'/'N' incident_id found in raw.incidents or landing.incidents; NULL when the
  crime has no incident_id.
- `_incident_crime_related` (crimes): 'Y'/'N' the linked incident's current disposal is crime related; NULL
  when the incident is unknown or still open.
- `_division_matches_incident` (crimes): 'Y'/'N' the crime's division equals the linked incident's current
  division; NULL when unknown.
- `_sample_known`, `_record_in_sample`, `_reason_codes_known`, `_reasons_of_test` (audit_outcomes): see
  scrs/quality/audit_helpers.py.

Rows of one file are contiguous and in line order, with a RangeIndex, so a row position maps back to
(file, line).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from scrs.db import table_exists
from scrs.ingest import schema
from scrs.ingest.raw import SQL_TYPES
from scrs.quality.audit_helpers import outcome_helper_parts
from scrs.quality.suites import crime_related_disposals
from scrs.settings import SEEDS_DIR

TS = schema.TIMESTAMP_FORMAT


def _ts(expr: str) -> str:
    return f"try_strptime({expr}, '{TS}')"


def _not_older_sql(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[str, str]:
    """(CTE, select expression) for `_not_older_than_loaded`."""
    if not table_exists(con, "raw", kind):
        return "", "NULL::VARCHAR AS _not_older_than_loaded"
    keys = schema.EXTRACT_KEYS[kind]
    raw_keys = schema.raw_key_columns(kind)
    pairs = list(zip(keys, raw_keys, strict=True))
    sel = ", ".join(f'r."{rk}" AS "{k}"' for k, rk in pairs)
    group = ", ".join(f'r."{rk}"' for _, rk in pairs)
    on = " AND ".join(f'r."{rk}" = l."{k}"' for k, rk in pairs)
    # the first key's range as well (in_range), when it is text in raw as in landing (the same order): raw is in
    # load order, so a month's keys sit in its last row groups
    first_key, first_raw_key = pairs[0]
    text_key = SQL_TYPES[next(c.type for c in schema.columns(kind) if c.name == first_key)] == "VARCHAR"
    where = f"""WHERE {in_range(f'r."{first_raw_key}"', f'SELECT "{first_key}" FROM l')}""" if text_key else ""
    cte = f"""prev AS (
        SELECT {sel}, max(r.extracted_at) AS _prev_extracted_at FROM raw.{kind} r
        SEMI JOIN l ON {on}
        {where}
        GROUP BY {group})"""
    ext = _ts("l.extracted_at")
    expr = f"""CASE WHEN prev._prev_extracted_at IS NULL OR {ext} IS NULL THEN NULL
        WHEN {ext} >= prev._prev_extracted_at THEN 'Y' ELSE 'N' END AS _not_older_than_loaded"""
    return cte, expr


def in_range(column: str, keys: str) -> str:
    """`column` within the range of the keys `keys` selects (one column): a condition to add to a lookup of those
    keys in the history, which DuckDB checks far more cheaply than the keys themselves, skipping the row groups
    outside the range. Extract references carry their date (PS-YYYYMMDD-n) and raw is in load order, so a
    month's keys sit in the last few of hundreds of row groups (as dbt's macro in_keys, dbt/macros/key_lookup.sql).
    No keys: no row (the bounds are NULL), as the lookup gives."""
    return f"{column} BETWEEN (SELECT min(k) FROM ({keys}) AS keys(k)) AND (SELECT max(k) FROM ({keys}) AS keys(k))"


def _prev_join(kind: str) -> str:
    keys = schema.EXTRACT_KEYS[kind]
    return "LEFT JOIN prev ON " + " AND ".join(f'prev."{k}" = l."{k}"' for k in keys)


def _landing_cte(kind: str) -> str:
    return f"l AS (SELECT rowid AS _rid, * FROM landing.{kind} WHERE list_contains($files, _source_file))"


def days_open_sql(prefix: str = "") -> str:
    """`_days_open_at_extract` of an incidents row (columns qualified with `prefix`, e.g. "l.")."""
    return f"""CASE WHEN {prefix}closed_at IS NULL THEN
        (epoch({_ts(prefix + "extracted_at")}) - epoch({_ts(prefix + "created_at")})) / 86400.0
        END AS _days_open_at_extract"""


def helper_parts(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[list[str], list[str], list[str]]:
    """(CTEs, helper column expressions, joins) giving the helper columns that need a join, over the CTE `l`
    (landing rows of the files `$files`, with `_rid`). Crimes also need the parameter `$crime_related`."""
    ctes = [_landing_cte(kind)]
    helpers: list[str] = []
    joins: list[str] = []
    prev_cte, prev_expr = _not_older_sql(con, kind)
    if prev_cte:
        ctes.append(prev_cte)
        joins.append(_prev_join(kind))
    helpers.append(prev_expr)

    if kind == "crimes":
        sources = []
        if table_exists(con, "raw", "incidents"):
            sources.append(
                f"""SELECT incident_id, division_code, disposal_code, extracted_at AS x, 0 AS src
                   FROM raw.incidents WHERE incident_id IN (SELECT incident_id FROM l)
                   AND {in_range("incident_id", "SELECT incident_id FROM l")}"""
            )
        if table_exists(con, "landing", "incidents"):
            sources.append(
                f"""SELECT incident_id, division_code, disposal_code, {_ts("extracted_at")} AS x, 1 AS src
                    FROM landing.incidents WHERE incident_id IN (SELECT incident_id FROM l)"""
            )
        if sources:
            union = " UNION ALL ".join(sources)
            ctes.append(
                f"""inc AS (SELECT incident_id, division_code, disposal_code FROM ({union})
                    QUALIFY row_number() OVER (
                        PARTITION BY incident_id ORDER BY x DESC NULLS LAST, src DESC) = 1)"""
            )
            joins.append("LEFT JOIN inc ON inc.incident_id = l.incident_id")
            found = "inc.incident_id IS NOT NULL"
            inc_div, inc_disp = "inc.division_code", "inc.disposal_code"
        else:
            found, inc_div, inc_disp = "false", "NULL::VARCHAR", "NULL::VARCHAR"
        helpers += [
            f"""CASE WHEN l.incident_id IS NULL THEN NULL WHEN {found} THEN 'Y' ELSE 'N' END
                AS _incident_known""",
            f"""CASE WHEN l.incident_id IS NULL OR {inc_disp} IS NULL THEN NULL
                WHEN list_contains($crime_related, {inc_disp}) THEN 'Y' ELSE 'N' END
                AS _incident_crime_related""",
            f"""CASE WHEN l.incident_id IS NULL OR {inc_div} IS NULL OR l.division_code IS NULL THEN NULL
                WHEN {inc_div} = l.division_code THEN 'Y' ELSE 'N' END AS _division_matches_incident""",
        ]
    elif kind == "audit_outcomes":
        more_ctes, more_helpers, more_joins = outcome_helper_parts(con)
        ctes += more_ctes
        helpers += more_helpers
        joins += more_joins
    return ctes, helpers, joins


def frame_sql(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[str, str | None]:
    """(main, joined) SELECTs for files `$files` (a list parameter).

    `main` is a scan + filter + projection of landing, so DuckDB returns it in insertion order (file by file,
    line by line) without sorting 15 columns. `joined` gives the helper columns that need a join, narrow and
    ordered by the landing rowid `_rid`, to be put next to `main`'s rows.
    """
    cols = ", ".join(f'"{c}"' for c in schema.column_names(kind))
    projected = ["_source_file", "_source_line"]
    if kind == "incidents":
        projected.append(days_open_sql())
    main = (
        f"SELECT rowid AS _rid, {cols}, {', '.join(projected)} FROM landing.{kind} "
        "WHERE list_contains($files, _source_file)"
    )
    ctes, helpers, joins = helper_parts(con, kind)
    joined = f"""WITH {", ".join(ctes)}
        SELECT l._rid, {", ".join(helpers)} FROM l {" ".join(joins)} ORDER BY l._rid"""
    return main, joined


def _in_rowid_order(table: pa.Table) -> pa.Table:
    """Rows in landing (insertion) order.

    A filtered parallel scan in DuckDB 2.0 (to Arrow) can return row groups out of order, interleaving
    threads' outputs, although each block of consecutive rowids is intact. The blocks are put back in order
    by zero-copy slicing; a full sort is the fallback.
    """
    rid = table.column("_rid").to_numpy()
    if len(rid) < 2 or bool(np.all(rid[1:] > rid[:-1])):
        return table
    breaks = np.flatnonzero(rid[1:] != rid[:-1] + 1) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(rid)]))
    runs = sorted(zip(rid[starts], starts, ends, strict=True))
    table = pa.concat_tables([table.slice(int(a), int(b - a)) for _, a, b in runs])
    rid = table.column("_rid").to_numpy()
    if not bool(np.all(rid[1:] > rid[:-1])):
        table = table.take(pa.array(np.argsort(rid, kind="stable")))
    return table


def _grouped_by_file(table: pa.Table) -> pa.Table:
    """Rows of each file contiguous and in line order (as landing stores them); sorted if not."""
    if table.num_rows < 2:
        return table
    codes = table.column("_source_file").combine_chunks().indices.to_numpy(zero_copy_only=False)
    lines = table.column("_source_line").to_numpy()
    same = codes[1:] == codes[:-1]
    contiguous = len(np.unique(codes)) == int((~same).sum()) + 1
    if contiguous and bool(np.all(lines[1:][same] > lines[:-1][same])):
        return table
    return table.take(pa.array(np.lexsort((lines, codes))))


def build_frame(
    con: duckdb.DuckDBPyConnection, kind: str, file_names: Sequence[str], seeds_dir: Path | str = SEEDS_DIR
) -> pd.DataFrame:
    """Fetch the validation frame via Arrow; strings become pandas' Arrow-backed `str` dtype, which keeps
    GX's regex and set checks vectorised. Rows of a file are contiguous and in line order; RangeIndex."""
    main_sql, joined_sql = frame_sql(con, kind)
    files = list(file_names)
    # pandas' Arrow-backed strings use 64-bit offsets: let DuckDB produce them directly (no cast: ~10x faster
    # to_pandas). The connection's setting is restored afterwards.
    previous = con.sql("SELECT current_setting('arrow_large_buffer_size')").fetchall()[0][0]
    con.sql("SET arrow_large_buffer_size = true")
    try:
        table = _in_rowid_order(con.sql(main_sql, params={"files": files}).to_arrow_table())
        # The file name repeats on every row: a categorical makes per-file grouping and keys cheap.
        i = table.schema.get_field_index("_source_file")
        table = table.set_column(i, "_source_file", table.column(i).dictionary_encode())
        table = _grouped_by_file(table)
        df = table.to_pandas()
        rid = df["_rid"].to_numpy()
        if joined_sql:
            params: dict[str, object] = {"files": files}
            if kind == "crimes":
                params["crime_related"] = crime_related_disposals(seeds_dir)
            helpers = con.sql(joined_sql, params=params).to_arrow_table().to_pandas()
            if not np.array_equal(helpers["_rid"].to_numpy(), rid):
                raise RuntimeError(f"helper columns of {kind} do not line up with the landing rows")
            for c in helpers.columns:
                if c != "_rid":
                    df[c] = helpers[c].array
    finally:
        con.sql(f"SET arrow_large_buffer_size = {'true' if previous in (True, 'true') else 'false'}")
    return df.drop(columns="_rid")
