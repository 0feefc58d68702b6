"""`scrs export`: what a division receives, and what the committee receives (contract section 5).

A division gets its own rows of every mart, `record_failures` included, unsuppressed, and its command area's
and Scotland's rows as the committee gets them. The committee gets the three compliance marts for all
divisions, areas and the nation, no record-level data, every rate built on fewer than
`disclosure_min_records` examined records suppressed, and the complementary cells that stop a suppressed one
being worked out by subtraction (contract 5.1; `scrs.disclosure`, the same implementation the dashboard
uses). Each mart is written as CSV (named after the mart), plus Excel and Parquet copies. A division's pack
also carries its worklist (`worklist.csv`: every failing record with its reasons in words, age, priority and
review state as the review store holds it at export time; docs/worklist.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from scrs.db import table_exists
from scrs.disclosure import (
    CATEGORY_MART,
    COMPLIANCE_HIERARCHY,
    RATE_COLUMNS,
    UNIT_MART,
    committee_pattern,
    hidden_rows,
    suppress_small_cells,
)
from scrs.reviews import ReviewStore
from scrs.settings import Settings
from scrs.warehouse import read_only
from scrs.worklist import filtered_worklist_query, has_worklist, load_live_states
from scrs.xlsx import write_xlsx

COMPLIANCE_MARTS = (
    "compliance_by_division_test",
    "compliance_by_command_area_test",
    "compliance_national_test",
)


@dataclass(frozen=True)
class MartQuery:
    """What one file of a pack holds: a parameterised query, and for committee-facing files the threshold
    below which a cell is suppressed (`scrs.disclosure`, contract 5.1)."""

    sql: str
    params: tuple[object, ...] = ()
    suppress_below: int | None = None
    hierarchy: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportedMart:
    mart: str
    rows: int
    files: tuple[Path, ...]


def division_queries(division_code: str, min_records: int | None = None) -> dict[str, MartQuery]:
    """The division's own rows of every mart (parameterised: the code never enters the SQL text).

    Its own rows are unsuppressed; its command area's and Scotland's rows follow the committee's disclosure
    rules (contract 5.1) when `min_records` is given, as `scrs export` and the dashboard do.
    """
    return {
        "compliance_by_division_test": MartQuery(
            "select * from marts.compliance_by_division_test where division_code = ? "
            "order by fiscal_year, fiscal_quarter, test_code",
            (division_code,),
        ),
        "compliance_by_command_area_test": MartQuery(
            "select a.* from marts.compliance_by_command_area_test a "
            "where a.command_area = (select command_area from reference.divisions where division_code = ?) "
            "order by fiscal_year, fiscal_quarter, test_code",
            (division_code,),
            suppress_below=min_records,
            hierarchy=COMPLIANCE_HIERARCHY["compliance_by_command_area_test"],
        ),
        "compliance_national_test": MartQuery(
            "select * from marts.compliance_national_test order by fiscal_year, fiscal_quarter, test_code",
            suppress_below=min_records,
            hierarchy=COMPLIANCE_HIERARCHY["compliance_national_test"],
        ),
        "record_failures": MartQuery(
            "select * from marts.record_failures where division_code = ? "
            "order by fiscal_year, fiscal_quarter, test_code, record_id",
            (division_code,),
        ),
        "training_coverage": MartQuery(
            "select * from marts.training_coverage where unit_code = ? order by role_cluster, course_code",
            (division_code,),
        ),
        # The registrars' audit (contract section 6): the division's own strata and disagreements.
        **{
            mart: MartQuery(
                f"select * from marts.{mart} where division_code = ? order by sample_id, test_code{extra}",
                (division_code,),
            )
            for mart, extra in (
                ("audit_results_by_division_test", ""),
                ("audit_agreement_by_division_test", ""),
                ("audit_disagreements", ", record_id"),
            )
        },
    }


def national_queries(min_records: int) -> dict[str, MartQuery]:
    """The committee's pack: the three compliance marts, every cell on fewer than `min_records` suppressed."""
    order = {
        "compliance_by_division_test": "fiscal_year, fiscal_quarter, division_code, test_code",
        "compliance_by_command_area_test": "fiscal_year, fiscal_quarter, command_area, test_code",
        "compliance_national_test": "fiscal_year, fiscal_quarter, test_code",
    }
    return {
        mart: MartQuery(
            f"select * from marts.{mart} order by {order[mart]}",
            suppress_below=min_records,
            hierarchy=COMPLIANCE_HIERARCHY[mart],
        )
        for mart in COMPLIANCE_MARTS
    }


# The committee-facing marts whose cells share one suppression pattern: the three compliance marts and, when
# the publication has them, the thematic views (crime types and recording units, on the dashboard and paper).
PATTERN_MARTS = (*COMPLIANCE_MARTS, CATEGORY_MART, UNIT_MART)


# The committee's pattern as computed at publication (store_compliance_hidden): one table per mart in this
# schema, and the threshold it was computed with.
PATTERN_SCHEMA = "disclosure"


def compliance_hidden(con: duckdb.DuckDBPyConnection, min_records: int) -> dict[str, pd.DataFrame]:
    """Per committee-facing mart (`PATTERN_MARTS` the publication has), its key columns and `_hidden`: the
    cells suppressed for the committee (primary and complementary, `scrs.disclosure.committee_pattern` over
    the whole of those marts, every sum between them included).

    Read from the publication when it was computed there with this threshold (store_compliance_hidden: it
    costs most of a second at ten years, on every reader's first view), else computed now."""
    stored = stored_compliance_hidden(con, min_records)
    return stored if stored is not None else computed_compliance_hidden(con, min_records)


def store_compliance_hidden(con: duckdb.DuckDBPyConnection, min_records: int) -> None:
    """At publication, into the build: the committee's pattern, computed once for every reader (the
    dashboard, `scrs export`, the paper), in the file whose marts it was computed from."""
    hidden = computed_compliance_hidden(con, min_records)
    con.execute(f"create schema if not exists {PATTERN_SCHEMA}")
    for mart, frame in hidden.items():
        con.register("_scrs_pattern", frame.assign(_row=range(len(frame))))
        try:
            con.execute(f"create or replace table {PATTERN_SCHEMA}.{mart} as select * from _scrs_pattern")
        finally:
            con.unregister("_scrs_pattern")
    con.execute(
        f"create or replace table {PATTERN_SCHEMA}.pattern_settings as "
        "select ?::bigint as min_records, ?::varchar[] as marts",
        [min_records, list(hidden)],
    )


def stored_compliance_hidden(
    con: duckdb.DuckDBPyConnection, min_records: int, only: tuple[str, ...] | None = None
) -> dict[str, pd.DataFrame] | None:
    """The pattern as the publication stores it (None when it stores none for this threshold); `only`: just
    these marts' (a dashboard page needs one or two of the five)."""
    if not table_exists(con, PATTERN_SCHEMA, "pattern_settings"):
        return None
    [(stored_min, marts)] = con.execute(f"select min_records, marts from {PATTERN_SCHEMA}.pattern_settings").fetchall()
    if stored_min != min_records:
        return None
    return {
        mart: con.sql(f"select * exclude (_row) from {PATTERN_SCHEMA}.{mart} order by _row").df()
        for mart in marts
        if only is None or mart in only
    }


def computed_compliance_hidden(con: duckdb.DuckDBPyConnection, min_records: int) -> dict[str, pd.DataFrame]:
    """compliance_hidden, computed from the marts (scrs.disclosure.committee_pattern)."""
    frames = {
        mart: con.sql(f"select * from marts.{mart}").df()
        for mart in PATTERN_MARTS
        if mart in COMPLIANCE_MARTS or table_exists(con, "marts", mart)
    }
    masks = committee_pattern(frames, min_records)
    return {mart: frames[mart][list(COMPLIANCE_HIERARCHY[mart])].assign(_hidden=masks[mart]) for mart in frames}


def _export_rows(
    con: duckdb.DuckDBPyConnection, mart: str, query: MartQuery, hidden: dict[str, pd.DataFrame] | None
) -> None:
    """The rows of one file as the temporary table `export_rows`, suppressed when the query says so.

    Suppression runs in pandas on the (aggregate, small) compliance marts; the rows go back into a table of
    the mart's own column types, so a blanked count is an empty BIGINT, not a float.
    """
    con.execute(f"create or replace temp table export_rows as {query.sql}", list(query.params))
    if query.suppress_below is None:
        return
    frame = con.table("export_rows").df()
    mask = hidden_rows(frame, hidden[mart], COMPLIANCE_HIERARCHY[mart]) if hidden and mart in hidden else None
    frame = suppress_small_cells(
        frame, query.suppress_below, blank=RATE_COLUMNS, hierarchy=query.hierarchy, hidden=mask
    )
    con.execute("delete from export_rows")
    con.register("_scrs_export_frame", frame)
    try:
        con.execute("insert into export_rows select * from _scrs_export_frame")
    finally:
        con.unregister("_scrs_export_frame")


def write_marts(con: duckdb.DuckDBPyConnection, queries: dict[str, MartQuery], out_dir: Path) -> list[ExportedMart]:
    """Write each query's result as `<mart>.csv`, `<mart>.xlsx` and `<mart>.parquet`.

    The Excel copy is written from the rows' Arrow buffers (`scrs.xlsx`; continued on further sheets past a
    sheet's 1,048,575 rows, so it holds every row the CSV does), in this thread: jetxl, the writer, crashed
    the process (a segmentation fault, `make test` of 29 Nov) when it wrote in a second thread while this one
    went on with DuckDB."""
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = []
    thresholds = {q.suppress_below for q in queries.values() if q.suppress_below is not None}
    hidden = compliance_hidden(con, min(thresholds)) if thresholds else None
    for mart, query in queries.items():
        _export_rows(con, mart, query, hidden)
        csv_path, xlsx_path, parquet_path = (out_dir / f"{mart}.{ext}" for ext in ("csv", "xlsx", "parquet"))
        # Paths are bound as parameters, never pasted into the SQL: a quote in `--out` stays part of the path.
        con.execute(
            "copy export_rows to $path (header, delimiter ',', timestampformat '%Y-%m-%d %H:%M:%S')",
            {"path": str(csv_path)},
        )
        con.execute("copy export_rows to $path (format parquet)", {"path": str(parquet_path)})
        write_xlsx(con.table("export_rows").to_arrow_table(), xlsx_path, mart)
        rows = con.execute("select count(*) from export_rows").fetchone()[0]
        exported.append(ExportedMart(mart, rows, (csv_path, xlsx_path, parquet_path)))
    return exported


def export(
    settings: Settings, out_dir: Path, division: str | None = None, national: bool = False
) -> list[ExportedMart]:
    """Write a division's pack (`division`) or the committee's national pack (`national=True`)."""
    if (division is None) == (not national):
        raise ValueError("choose exactly one of --division CODE or --national")
    with read_only(settings.served_db) as con:
        if division is not None:
            known = [row[0] for row in con.sql("select division_code from reference.divisions order by 1").fetchall()]
            if division not in known:
                raise ValueError(f"unknown division code {division!r}; expected one of {', '.join(known)}")
            queries = division_queries(division, settings.disclosure_min_records)
            if has_worklist(con):  # reasons in words, age, priority and the review state as it is now
                load_live_states(con, ReviewStore.for_settings(settings), division)
                queries["worklist"] = MartQuery(*filtered_worklist_query(division))
        else:
            queries = national_queries(settings.disclosure_min_records)
        return write_marts(con, queries, out_dir)
