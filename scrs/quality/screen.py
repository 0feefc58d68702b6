"""A DuckDB pre-screen of a landing batch: which files could fail a row-level or row-count expectation.

GX judges every expectation, but its pandas engine needs the rows in a DataFrame: at national volume that is
millions of rows copied out of DuckDB (ten years of incidents took 8 GB and a minute). Nearly every file
passes every expectation, so the suite is first translated to SQL and run where the rows are. The screen is
built to flag a SUPERSET of the rows GX would flag, so a file it does not flag is one GX would pass with
zero unexpected rows; only flagged files (and every file, when an expectation can't be translated or the
SQL fails) are handed to GX, which then decides and reports exactly as before.

Why each translation flags at least what GX flags (GX 1.x, pandas engine, rows as in landing):
- not_be_null / be_null: the same test on the same NULLs.
- be_in_set (string values): exact string equality, as `Series.isin`.
- match_regex / not_match_regex: RE2 (DuckDB) and Python `re` agree on ASCII text without a line break or
  vertical tab for the patterns RE2 accepts; any other value (non-ASCII: Python's `\\d`, `\\w`, `\\s` are Unicode;
  a line break: Python's `$` matches before a final one; a vertical tab: in Python's `\\s` only) is flagged
  outright, and a pattern RE2 rejects (look-arounds, ...) fails the SQL, which sends every file to GX.
- be_between on a numeric helper column: the same comparison on the same DOUBLE.
- compound_columns_to_be_unique (ignore_row_if any_value_is_missing): every row of a repeated combination.
- column_pair a > b / a == b (ignore_row_if either_value_is_missing): string comparison is by code point in
  both; non-ASCII values are flagged outright.
- row_condition: a row is in the population unless its condition is FALSE (a NULL counts as in), which can
  only flag more rows.
- table_row_count_to_be_between: the same bounds on the same count.
Anything else is not translated, and sends every file to GX.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from scrs.ingest import schema
from scrs.quality.frames import days_open_sql, helper_parts

log = logging.getLogger(__name__)

NUMERIC_HELPERS = frozenset({"_days_open_at_extract"})


class Untranslatable(Exception):
    pass


@dataclass
class Screen:
    complete: bool = True
    """False when some expectation could not be screened: GX must validate every file as a whole."""
    rows: dict[str, int] = field(default_factory=dict)
    """Landing rows of each file."""
    suspect_counts: dict[int, dict[str, int]] = field(default_factory=dict)
    """Row-level expectation index -> {file: suspect rows} (files with none left out)."""
    count_suspects: dict[int, set[str]] = field(default_factory=dict)
    """Row-count expectation index -> files whose row count may fail it."""
    nonnull: dict[tuple[str, str], int] = field(default_factory=dict)
    """(column, file) -> non-null values, for expectations with `mostly`."""
    frame: Any = None
    """pandas DataFrame of the suspect rows (see screen_landing), or None."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


def _resolve(value: Any, parameters: dict[str, list[str]]) -> Any:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        try:
            return parameters[value["$PARAMETER"]]
        except KeyError:
            raise Untranslatable(f"unknown parameter {value['$PARAMETER']}") from None
    return value


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Untranslatable("not a list of strings")
    return list(value)


_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _condition(rc: Any, p: _Params, parameters: dict[str, list[str]]) -> str:
    if hasattr(rc, "model_dump"):
        rc = rc.model_dump()
    if not isinstance(rc, dict):
        raise Untranslatable("row_condition is not structured")
    kind = rc.get("type")
    if kind in ("and", "or"):
        parts = [_condition(c, p, parameters) for c in rc.get("conditions") or []]
        if not parts:
            raise Untranslatable("empty condition")
        return "(" + f" {kind.upper()} ".join(parts) + ")"
    column = (rc.get("column") or {}).get("name")
    if not isinstance(column, str):
        raise Untranslatable("condition column")
    if kind == "nullity":
        return f"({_q(column)} IS {'' if rc.get('is_null') else 'NOT '}NULL)"
    if kind == "comparison":
        op = rc.get("operator")
        value = _resolve(rc.get("parameter"), parameters)
        if op in ("IN", "NOT IN"):
            test = f"list_contains({p.add(_str_list(value))}, {_q(column)})"
            return f"({test})" if op == "IN" else f"(NOT {test})"
        if op in _OPS and isinstance(value, str):
            return f"({_q(column)} {_OPS[op]} {p.add(value)})"
    raise Untranslatable(f"condition {kind} {rc.get('operator')}")


def _population(kwargs: dict[str, Any], p: _Params, parameters: dict[str, list[str]]) -> str:
    rc = kwargs.get("row_condition")
    if rc in (None, "", {}):
        return "TRUE"
    return f"(({_condition(rc, p, parameters)}) IS NOT FALSE)"


def _unsafe(column: str) -> str:
    """Text on which Python's `re` and RE2 may disagree: non-ASCII (Unicode \\d, \\w, \\s in Python), a line
    break (Python's `$` also matches before a final one) or a vertical tab (in Python's \\s, not RE2's)."""
    c = _q(column)
    return f"(strlen({c}) <> length({c}) OR contains({c}, chr(10)) OR contains({c}, chr(11)))"


def flag_sql(etype: str, kwargs: dict[str, Any], p: _Params, parameters: dict[str, list[str]]) -> str:
    """SQL boolean: the row may fail this row-level expectation. Raises Untranslatable."""
    pop = _population(kwargs, p, parameters)
    col = kwargs.get("column")
    if etype in ("expect_column_values_to_not_be_null", "expect_column_values_to_be_null"):
        if not isinstance(col, str):
            raise Untranslatable("column")
        null = "IS NULL" if etype == "expect_column_values_to_not_be_null" else "IS NOT NULL"
        return f"({pop} AND {_q(col)} {null})"
    if etype in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        regex = kwargs.get("regex")
        if not isinstance(col, str) or not isinstance(regex, str):
            raise Untranslatable("regex")
        match = f"regexp_matches({_q(col)}, {p.add(regex)})"
        bad = f"NOT {match}" if etype == "expect_column_values_to_match_regex" else match
        return f"({pop} AND {_q(col)} IS NOT NULL AND (({bad}) OR {_unsafe(col)}))"
    if etype == "expect_column_values_to_be_in_set":
        values = _str_list(_resolve(kwargs.get("value_set"), parameters))
        if not isinstance(col, str):
            raise Untranslatable("column")
        return f"({pop} AND {_q(col)} IS NOT NULL AND NOT list_contains({p.add(values)}, {_q(col)}))"
    if etype == "expect_column_values_to_be_between":
        if col not in NUMERIC_HELPERS:
            raise Untranslatable("between on a non-numeric column")
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        if kwargs.get("parse_strings_as_datetimes") or (lo is None and hi is None):
            raise Untranslatable("between options")
        checks = []
        if lo is not None:
            checks.append(f"{_q(col)} {'>' if kwargs.get('strict_min') else '>='} {float(lo)!r}")
        if hi is not None:
            checks.append(f"{_q(col)} {'<' if kwargs.get('strict_max') else '<='} {float(hi)!r}")
        return f"({pop} AND {_q(col)} IS NOT NULL AND NOT ({' AND '.join(checks)}))"
    if etype in ("expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal"):
        a, b = kwargs.get("column_A"), kwargs.get("column_B")
        if not (isinstance(a, str) and isinstance(b, str)) or kwargs.get("ignore_row_if") != "either_value_is_missing":
            raise Untranslatable("pair options")
        if etype.endswith("_to_be_equal"):
            ok = f"{_q(a)} = {_q(b)}"
        else:
            ok = f"{_q(a)} {'>=' if kwargs.get('or_equal') else '>'} {_q(b)}"
        return (
            f"({pop} AND {_q(a)} IS NOT NULL AND {_q(b)} IS NOT NULL AND (NOT ({ok}) OR {_unsafe(a)} OR {_unsafe(b)}))"
        )
    raise Untranslatable(etype)


def _columns_of(etype: str, kwargs: dict[str, Any]) -> list[str]:
    from scrs.quality.suites import expectation_columns

    return list(dict.fromkeys(expectation_columns(kwargs)))


MATERIALISE_BASE_ROWS = 500_000  # a national month is about 0.13 million incident rows; a year 1.6 million


def screen_landing(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    names: Sequence[str],
    expectations: Sequence[tuple[str, dict[str, Any]]],
    parameters: dict[str, list[str]],
    crime_related: list[str],
) -> Screen:
    """Screen the landing rows of `names` against (expectation type, kwargs) pairs: row-level expectations
    and table row counts (column-layout expectations are GX's alone, on no rows).

    Returns, per expectation (by index in `expectations`), the files with suspect rows and, as one small
    DataFrame, every suspect row (the columns those expectations read, `_source_file`, `_source_line` and a
    boolean `_suspect_<i>` per expectation), for GX to judge."""
    out = Screen()
    p = _Params()
    flags: dict[int, str] = {}
    uniques: dict[int, list[str]] = {}
    counts: dict[int, tuple[Any, Any, bool, bool]] = {}
    mostly_cols: set[str] = set()
    try:
        for i, (etype, kwargs) in enumerate(expectations):
            if kwargs.get("mostly") is not None and isinstance(kwargs.get("column"), str):
                mostly_cols.add(kwargs["column"])
            if etype == "expect_compound_columns_to_be_unique":
                if kwargs.get("ignore_row_if") != "any_value_is_missing" or kwargs.get("row_condition"):
                    raise Untranslatable("compound unique options")
                uniques[i] = _str_list(kwargs.get("column_list"))
            elif etype == "expect_table_row_count_to_be_between":
                counts[i] = (
                    kwargs.get("min_value"),
                    kwargs.get("max_value"),
                    bool(kwargs.get("strict_min")),
                    bool(kwargs.get("strict_max")),
                )
            else:
                flags[i] = flag_sql(etype, kwargs, p, parameters)
    except Untranslatable as exc:
        log.info("%s: an expectation is not screened in SQL (%s); GX validates every file", kind, exc)
        out.complete = False
        return out

    files = list(names)
    ctes, helpers, joins = helper_parts(con, kind)
    extra = [days_open_sql("l.")] if kind == "incidents" else []
    params: dict[str, Any] = {"files": files, **p.values}
    if kind == "crimes":
        params["crime_related"] = crime_related
    landing_cols = set(schema.column_names(kind)) | {"_source_file", "_source_line"}
    temp_tables: list[str] = []
    try:
        # Repeated keys first (GROUP BY, no window): usually none, and then the check flags nothing.
        for i, cols in uniques.items():
            if not set(cols) <= landing_cols:
                raise Untranslatable("compound unique on helper columns")
            keys = list(dict.fromkeys(["_source_file", *cols]))
            group = ", ".join(_q(c) for c in keys)
            not_null = " AND ".join(f"{_q(c)} IS NOT NULL" for c in cols)
            table = f"_scrs_dups_{i}"
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT {group} FROM landing.{kind}
                    WHERE list_contains($files, _source_file) AND {not_null} GROUP BY {group} HAVING count(*) > 1""",
                {"files": files},
            ).fetchall()
            temp_tables.append(table)
            if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                match = " AND ".join(f"d.{_q(c)} = base.{_q(c)}" for c in keys)
                flags[i] = f"EXISTS (SELECT 1 FROM {table} d WHERE {match})"

        base = f"base AS (SELECT l.*, {', '.join([*extra, *helpers])} FROM l {' '.join(joins)})"
        with_sql = f"WITH {', '.join([*ctes, base])}"
        # Both queries below read `base`, whose helper columns join the whole history in raw (a crime's
        # incident, each key's last extract): for a month's files it is made once, as a temporary table (at
        # ten years, national volume, the crimes' join took 0.4 s a time); a full load's rows are read twice
        # rather than copied.
        [(landed,)] = con.execute(
            f"SELECT count(*) FROM landing.{kind} WHERE list_contains($files, _source_file)", {"files": files}
        ).fetchall()
        if landed <= MATERIALISE_BASE_ROWS:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _scrs_base AS {with_sql} SELECT * FROM base", _used(with_sql, params)
            )
            temp_tables.append("_scrs_base")
            with_sql = "WITH base AS (SELECT * FROM _scrs_base)"
        agg = ["count(*) AS _n"]
        agg += [f"count_if({f}) AS f{i}" for i, f in flags.items()]
        agg += [f"count({_q(c)}) AS {_q('nonnull_' + c)}" for c in sorted(mostly_cols)]
        sql = f"{with_sql} SELECT _source_file, {', '.join(agg)} FROM base GROUP BY _source_file"
        cur = con.execute(sql, _used(sql, params))
        described = [d[0] for d in cur.description]
        for row in cur.fetchall():
            values = dict(zip(described, row, strict=True))
            name = values["_source_file"]
            out.rows[name] = int(values["_n"])
            for i in flags:
                if values[f"f{i}"]:
                    out.suspect_counts.setdefault(i, {})[name] = int(values[f"f{i}"])
            for c in mostly_cols:
                out.nonnull[(c, name)] = int(values["nonnull_" + c])

        flagged = sorted(out.suspect_counts)
        if flagged:
            cols = list(dict.fromkeys(c for i in flagged for c in _columns_of(*expectations[i]) if c != "_source_file"))
            select = ", ".join(
                [
                    *(_q(c) for c in cols),
                    "_source_file",
                    "_source_line",
                    *(f"({flags[i]}) AS _suspect_{i}" for i in flagged),
                ]
            )
            where = " OR ".join(f"({flags[i]})" for i in flagged)
            sql = f"{with_sql} SELECT {select} FROM base WHERE {where} ORDER BY _source_file, _source_line"
            out.frame = _to_pandas(con, sql, params)
    except (duckdb.Error, Untranslatable) as exc:
        log.warning("%s: SQL screen failed (%s); GX validates every file", kind, str(exc).splitlines()[0][:200])
        out.complete = False
        return out
    finally:
        for table in temp_tables:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}").fetchall()

    for name in files:
        n = out.rows.setdefault(name, 0)
        for i, (lo, hi, strict_lo, strict_hi) in counts.items():
            if (lo is not None and (n <= lo if strict_lo else n < lo)) or (
                hi is not None and (n >= hi if strict_hi else n > hi)
            ):
                out.count_suspects.setdefault(i, set()).add(name)
    return out


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a statement refers to (DuckDB rejects unused ones)."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def _to_pandas(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> Any:
    """As scrs.quality.frames.build_frame converts (Arrow large strings -> pandas `str`), so GX sees the
    same dtypes whichever path a row took."""
    params = _used(sql, params)
    previous = con.sql("SELECT current_setting('arrow_large_buffer_size')").fetchall()[0][0]
    con.sql("SET arrow_large_buffer_size = true")
    try:
        return con.sql(sql, params=params).to_arrow_table().to_pandas()
    finally:
        con.sql(f"SET arrow_large_buffer_size = {'true' if previous in (True, 'true') else 'false'}")
