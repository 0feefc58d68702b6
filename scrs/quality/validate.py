"""Run the GX suite of an extract over the landing rows of a batch of files; results per file.

How (for ~1.5M rows in a few seconds):
- one DataFrame for all files of the kind in the batch (frames.build_frame), fetched via Arrow;
- row-level (map) expectations run over that frame for all files at once, grouped by the columns they read,
  each group on a frame of just those columns (GX filters the whole frame it is given for each check), with
  result_format BASIC (counts only); only expectations that found failures are re-run with COMPLETE to get
  the failing row positions, which map back to (file, line) and give per-file counts and the first 100
  line numbers;
- table-level expectations see exactly the columns a file had (landing adds missing ones as NULL; here they
  are dropped again), so "column exists" fails for exactly that file; those that only look at the columns
  run once per column layout, the others (row count) on each file's own slice of the frame;
- key uniqueness is per file because the suite says so (`_source_file` is part of the compound key);
- a row-level result about a column a file lacks is not reported for that file (its "column_exists" failure
  says it all).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from scrs.ingest import schema
from scrs.ingest.landing import MAX_SAMPLE_LINES, LandingFile, landing_files
from scrs.quality.frames import build_frame
from scrs.quality.results import (  # noqa: F401 (re-exported: validate's public names)
    CheckResult,
    Failure,
    blocking_failures,
    failure_parts,
    one_line_reason,
)
from scrs.quality.screen import screen_landing
from scrs.quality.suites import (
    crime_related_disposals,
    expectation_columns,
    is_map_expectation,
    load_suite,
    load_suite_json,
    seed_parameters,
)
from scrs.settings import EXPECTATIONS_DIR, SEEDS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
import great_expectations.execution_engine.pandas_execution_engine as _gx_pandas_engine  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

# GX fingerprints every pandas batch under 1 GB by hashing all of it (~1.5 s per 1.5M rows) only to put the
# hash in batch markers, which we never use. Threshold 0 = never hash. (Module constant, read at call time.)
_gx_pandas_engine.HASH_THRESHOLD = 0

log = logging.getLogger(__name__)

# Table-level expectation types whose outcome depends only on which columns a file has.
COLUMN_LAYOUT_TYPES = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
    }
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_context() -> Any:
    """An ephemeral GX context with progress bars off."""
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


@cache
def _batch_definition(kind: str) -> Any:
    """A whole-DataFrame batch definition for an extract kind, in one GX context per process (a context and
    its data source cost a few hundred milliseconds to set up; validating keeps no state in them)."""
    ds = _context().data_sources.add_pandas(f"landing_{kind}")
    return ds.add_dataframe_asset(kind).add_batch_definition_whole_dataframe("batch")


@cache
def _context() -> Any:
    return new_context()


def _display_columns(kwargs: dict[str, Any], field: str | None) -> str | None:
    """Extract columns the expectation reads; a helper column (`_...`) is shown as the field it is about."""
    cols = list(dict.fromkeys(expectation_columns(kwargs)))
    real = [c for c in cols if not c.startswith("_")]
    if real:
        return ", ".join(real)
    return field if any(c != "_source_file" for c in cols) else None


def _file_name(f: LandingFile | str) -> str:
    return f.name if isinstance(f, LandingFile) else str(f)


@dataclass
class _Outcome:
    """Per-file outcome of one map expectation over the combined frame."""

    counts: dict[str, int] = field(default_factory=dict)
    lines: dict[str, list[int]] = field(default_factory=dict)
    error: str | None = None


def validate_landing(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    files: Iterable[LandingFile | str],
    run_id: str,
    expectations_dir: Path | str = EXPECTATIONS_DIR,
    seeds_dir: Path | str = SEEDS_DIR,
) -> list[CheckResult]:
    """Validate the landing rows of `files` (read by read_into_landing) against `expectations/<kind>.json`.

    Returns one CheckResult per expectation and file (a row-level result about a column the file lacks is
    left out: its column_exists failure reports it). Files that could not be read (see FileFault) are
    skipped.
    """
    names = list(dict.fromkeys(_file_name(f) for f in files))
    manifest = {m["file_name"]: m for m in landing_files(con, kind, read_ok=True) if m["file_name"] in names}
    skipped = [n for n in names if n not in manifest]
    if skipped:
        log.info("%s: not in landing (unreadable?), not validated: %s", kind, ", ".join(skipped))
    names = [n for n in names if n in manifest]
    if not names:
        return []

    loaded = load_suite(expectations_dir, kind, seeds_dir)
    params = seed_parameters(seeds_dir)
    checked_at = _now()
    expectations = list(loaded.suite.expectations)
    position = {id(e): i for i, e in enumerate(expectations)}
    # `Expectation.configuration` builds a new object on every access: read each one's kwargs once.
    kwargs_of = {id(e): e.configuration.kwargs for e in expectations}
    columns_read = {id(e): set(expectation_columns(kwargs_of[id(e)])) for e in expectations}
    map_exps = [e for e in expectations if is_map_expectation(e.expectation_type)]
    table_exps = [e for e in expectations if not is_map_expectation(e.expectation_type)]
    layout_exps = [e for e in table_exps if e.expectation_type in COLUMN_LAYOUT_TYPES]
    file_exps = [e for e in table_exps if e.expectation_type not in COLUMN_LAYOUT_TYPES]

    # DuckDB screens every file where its rows are, and only the rows it flags (a superset of those GX would
    # flag, see scrs/quality/screen.py) are copied into pandas for GX to judge: nearly all rows pass, so a
    # national batch is never copied out of DuckDB. A row the screen passes is one GX would pass.
    raw_kwargs = load_suite_json(expectations_dir, kind).get("expectations", [])
    screened_exps = [*map_exps, *file_exps]
    screened = screen_landing(
        con,
        kind,
        names,
        [(e.expectation_type, raw_kwargs[position[id(e)]].get("kwargs") or {}) for e in screened_exps],
        params,
        crime_related_disposals(seeds_dir) if kind == "crimes" else [],
    )

    batch_def = _batch_definition(kind)

    outcomes: dict[int, _Outcome] = {}
    if screened.complete:
        df = _empty_frame(kind)
        bounds: dict[str, tuple[int, int]] = {}
        suspects = screened.frame
        for i, e in enumerate(map_exps):
            if i not in screened.suspect_counts:
                outcomes[i] = _Outcome()
                continue
            cols = list(dict.fromkeys([*expectation_columns(e.configuration.kwargs), "_source_file"]))
            rows = suspects[suspects[f"_suspect_{i}"]].reset_index(drop=True)
            detail = batch_def.get_batch(batch_parameters={"dataframe": rows[cols]}).validate(
                gx.ExpectationSuite(name=f"{kind}__rows_detail", expectations=[e.configuration]),
                result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
                expectation_parameters=params,
            )
            r = detail.results[0]
            exc = r.exception_info if isinstance(r.exception_info, dict) else {}
            if exc.get("raised_exception"):
                outcomes[i] = _Outcome(error=str(exc.get("exception_message"))[:500])
                continue
            positions = np.asarray(r.result.get("unexpected_index_list") or [], dtype=np.int64)
            files_arr = rows["_source_file"].to_numpy(dtype=object)
            lines = rows["_source_line"].to_numpy(dtype=np.int64)
            outcomes[i] = _per_file_rows(positions, files_arr, lines)
    else:
        df = build_frame(con, kind, names, seeds_dir)
        bounds, outcomes = _gx_whole(df, names, map_exps, batch_def, kind, params)

    results: list[CheckResult] = []

    def add(exp: Any, file_name: str, success: bool, count: int | None, lines: list[int], msg: str | None) -> None:
        meta = exp.meta
        results.append(
            CheckResult(
                run_id=run_id,
                file_name=file_name,
                suite=loaded.suite.name,
                expectation_type=exp.expectation_type,
                check=meta["check"],
                column=_display_columns(kwargs_of[id(exp)], meta.get("field")),
                severity=meta["severity"],
                success=success,
                unexpected_count=count,
                sample_lines=lines,
                owner=meta["owner"],
                why=meta["why"],
                checked_at=checked_at,
                field=meta.get("field"),
                message=msg,
                position=position[id(exp)],
                rows_checked=rows_in_file,
            )
        )

    def run_table(exps: list[Any], frame: pd.DataFrame) -> list[tuple[Any, bool, int | None, str | None]]:
        res = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(
            gx.ExpectationSuite(name=f"{kind}__file", expectations=[e.configuration for e in exps]),
            result_format="BASIC",
            expectation_parameters=params,
        )
        out = []
        for exp, r in zip(exps, res.results, strict=True):
            exc = r.exception_info if isinstance(r.exception_info, dict) else {}
            msg = str(exc.get("exception_message"))[:500] if exc.get("raised_exception") else None
            out.append((exp, bool(r.success), None if r.success else _table_count(r), msg))
        return out

    extract_columns = schema.column_names(kind)
    layout_cache: dict[frozenset[str], list[tuple[Any, bool, int | None, str | None]]] = {}
    for name in names:
        missing = set(manifest[name]["missing_columns"] or [])
        a, b = bounds.get(name, (0, 0))
        rows_in_file = screened.rows.get(name, 0) if screened.complete else b - a
        present = [c for c in extract_columns if c not in missing]
        # Table-level expectations see exactly the file's (known) columns. Those that only look at the
        # columns run once per column layout (nearly every file has the same); the others (row count) on each
        # file: when screened, GX judges only a file whose count the screen flags, on a frame of that many rows.
        if layout_exps:
            key = frozenset(missing)
            if key not in layout_cache:
                layout_cache[key] = run_table(layout_exps, df.iloc[0:0][present])
            for exp, ok, count, msg in layout_cache[key]:
                add(exp, name, ok, count, [], msg)
        if file_exps:
            if not screened.complete:
                judged = run_table(file_exps, df.iloc[a:b][present])
            else:
                flagged = [
                    e for j, e in enumerate(file_exps, len(map_exps)) if name in screened.count_suspects.get(j, ())
                ]
                judged = run_table(flagged, _rows_frame(rows_in_file, present)) if flagged else []
                verdicts = {id(e): v for e, *v in judged}
                judged = [(e, *verdicts.get(id(e), (True, None, None))) for e in file_exps]
            for exp, ok, count, msg in judged:
                add(exp, name, ok, count, [], msg)
        for i, exp in enumerate(map_exps):
            if missing & columns_read[id(exp)]:
                continue  # the column_exists failure reports it
            if rows_in_file == 0:
                add(exp, name, True, 0, [], None)  # no rows: nothing to judge (file_has_rows reports it)
                continue
            o = outcomes.get(i, _Outcome())
            if o.error:
                add(exp, name, False, None, [], f"expectation could not be evaluated: {o.error}")
                continue
            count = o.counts.get(name, 0)
            if screened.complete:
                success = _success_counted(exp, count, screened.nonnull, name)
            else:
                success = _success(exp, count, df, a, b)
            add(exp, name, success, count, o.lines.get(name, []), None)
    order = {n: i for i, n in enumerate(names)}
    results.sort(key=lambda r: (order[r.file_name], r.position if r.position is not None else -1))
    return results


def _gx_whole(
    df: pd.DataFrame, names: list[str], map_exps: list[Any], batch_def: Any, kind: str, params: dict[str, Any]
) -> tuple[dict[str, tuple[int, int]], dict[int, _Outcome]]:
    """Every row-level expectation on a frame of whole files (when the SQL screen could not be used)."""
    # Row ranges of each file in the frame (rows of one file are contiguous and in line order).
    lines_arr = df["_source_line"].to_numpy(dtype=np.int64)
    bounds: dict[str, tuple[int, int]] = {n: (0, 0) for n in names}
    if len(df):
        source = df["_source_file"].astype("category")
        codes = source.cat.codes.to_numpy()
        categories = [str(c) for c in source.cat.categories]
        change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        seg_starts = np.concatenate(([0], change))
        seg_ends = np.concatenate((change, [len(df)]))
        seg_names = [categories[codes[a]] for a in seg_starts]
        for name, a, b in zip(seg_names, seg_starts, seg_ends, strict=True):
            bounds[name] = (int(a), int(b))
        seg_file_idx = np.repeat(np.arange(len(seg_starts)), seg_ends - seg_starts)
    else:
        seg_file_idx = np.zeros(0, dtype=np.int64)
        seg_names = []

    outcomes: dict[int, _Outcome] = {}
    if map_exps and len(df):
        # One GX run per set of columns read, on a frame of just those columns: GX filters the whole frame it
        # is given for every column check (null filter, row conditions), so a narrow frame keeps it fast.
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, e in enumerate(map_exps):
            groups.setdefault(tuple(dict.fromkeys(expectation_columns(e.configuration.kwargs))), []).append(i)
        for cols, idxs in groups.items():
            sub = df[list(cols)] if all(c in df.columns for c in cols) else df
            batch = batch_def.get_batch(batch_parameters={"dataframe": sub})
            basic = batch.validate(
                gx.ExpectationSuite(name=f"{kind}__rows", expectations=[map_exps[i].configuration for i in idxs]),
                result_format="BASIC",
                expectation_parameters=params,
            )
            failing: list[int] = []
            for i, r in zip(idxs, basic.results, strict=True):
                exc = r.exception_info if isinstance(r.exception_info, dict) else {}
                if exc.get("raised_exception"):
                    outcomes[i] = _Outcome(error=str(exc.get("exception_message"))[:500])
                elif r.result.get("unexpected_count"):
                    failing.append(i)
                else:
                    outcomes[i] = _Outcome()
            if not failing:
                continue
            detail = batch.validate(
                gx.ExpectationSuite(
                    name=f"{kind}__rows_detail", expectations=[map_exps[i].configuration for i in failing]
                ),
                result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
                expectation_parameters=params,
            )
            for i, r in zip(failing, detail.results, strict=True):
                positions = np.asarray(r.result.get("unexpected_index_list") or [], dtype=np.int64)
                outcomes[i] = _per_file(positions, seg_file_idx, seg_names, lines_arr)
    return bounds, outcomes


def _lines_by_file(
    hit_files: np.ndarray, hit_lines: np.ndarray, files: Iterable[Any], name: Callable[[Any], str]
) -> _Outcome:
    """Per-file counts and first line numbers of unexpected rows (`hit_files[i]` holds row i's file), for
    `files` in that order, each reported under `name(file)`."""
    o = _Outcome()
    for f in files:
        sel = np.sort(hit_lines[hit_files == f])
        o.counts[name(f)] = int(sel.size)
        o.lines[name(f)] = [int(x) for x in sel[:MAX_SAMPLE_LINES]]
    return o


def _per_file_rows(positions: np.ndarray, files: np.ndarray, lines: np.ndarray) -> _Outcome:
    """Per-file counts and first line numbers of the unexpected rows of a frame of suspect rows."""
    if positions.size == 0:
        return _Outcome()
    hit_files = files[positions]
    return _lines_by_file(hit_files, lines[positions], dict.fromkeys(hit_files), str)


def _rows_frame(n: int, columns: list[str]) -> pd.DataFrame:
    """A frame of `n` empty rows with these columns: all a row-count expectation looks at."""
    return pd.DataFrame({c: pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="str") for c in columns})


def _success_counted(exp: Any, count: int, nonnull: dict[tuple[str, str], int], file_name: str) -> bool:
    """As `_success`, with the file's non-null count from the SQL screen."""
    return _within_mostly(exp, count, lambda column: nonnull.get((column, file_name), 0))


def _empty_frame(kind: str) -> pd.DataFrame:
    """No rows, the frame's columns: what column-layout expectations look at."""
    cols = [*schema.column_names(kind), "_source_file", "_source_line"]
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in cols})
    return frame.astype({"_source_line": "int64"})


def _table_count(r: Any) -> int | None:
    observed = (r.result or {}).get("observed_value")
    return observed if isinstance(observed, int) else None


def _per_file(
    positions: np.ndarray, seg_file_idx: np.ndarray, seg_names: Sequence[str], lines_arr: np.ndarray
) -> _Outcome:
    if positions.size == 0:
        return _Outcome()
    fidx = seg_file_idx[positions]
    return _lines_by_file(fidx, lines_arr[positions], np.unique(fidx), lambda k: seg_names[int(k)])


def _success(exp: Any, count: int, df: pd.DataFrame, a: int, b: int) -> bool:
    """Per-file success of a map expectation: no failing row, or within `mostly` of the file's non-null
    values of the column."""
    return _within_mostly(exp, count, lambda column: int(df[column].iloc[a:b].notna().sum()))


def _within_mostly(exp: Any, count: int, nonnull_of: Callable[[str], int]) -> bool:
    """No failing row, or `count` failing rows within the expectation's `mostly` of the column's non-null
    values in the file (`nonnull_of(column)`)."""
    if count == 0:
        return True
    mostly = exp.configuration.kwargs.get("mostly")
    column = exp.configuration.kwargs.get("column")
    if mostly is None or not isinstance(column, str):
        return False
    nonnull = nonnull_of(column)
    return nonnull > 0 and (nonnull - count) / nonnull >= float(mostly)
