"""Every figure of the committee pack, read from the served publication (DuckDB does the work) and the
figures-as-reported store, with disclosure control applied before anything leaves this module.

No record-level data is read: only the compliance, change, thematic, unit, training, improvement-plan and
quality marts, which are aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from scrs.db import Params
from scrs.db import rows as _rows
from scrs.disclosure import CATEGORY_MART, UNIT_MART, change_hidden, hidden_in_period, reported_hidden
from scrs.export import compliance_hidden
from scrs.report import as_reported
from scrs.report.model import Column, Pack, Publication, Table
from scrs.report.suppression import COMPLIANCE_RULES, QOQ_COLUMNS, RATE_COLUMNS, YOY_COLUMNS, Rule, suppress
from scrs.settings import Settings
from scrs.warehouse import read_only

FIGURE_COLUMNS = [
    Column("examined", "Examined", "count"),
    Column("compliant", "Compliant", "count"),
    Column("compliance_pct", "Rate %", "pct"),
    Column("ci_lower_pct", "95% CI lower", "pct"),
    Column("ci_upper_pct", "95% CI upper", "pct"),
    Column("status", "Against target", "words"),
]
# tables/headline.csv, exactly as contract section 7.
HEADLINE_COLUMNS = [
    Column("test_code", "Test"),
    Column("measure", "Measure"),
    *FIGURE_COLUMNS,
    Column("previous_year_pct", "A year earlier %", "pct"),
    Column("change_pp", "Change (points)", "pp"),
    Column("change_ci_lower_pp", "Change CI lower", "pp"),
    Column("change_ci_upper_pp", "Change CI upper", "pp"),
    Column("change", "Year on year", "words"),
    Column("previous_quarter_pct", "A quarter earlier %", "pct"),
    Column("qoq_change_pp", "Change (points)", "pp"),
    Column("qoq_ci_lower_pp", "Change CI lower", "pp"),
    Column("qoq_ci_upper_pp", "Change CI upper", "pp"),
    Column("qoq_change", "Quarter on quarter", "words"),
]
CHANGE_COLUMNS = [
    Column("change_pp", "Change on a year (points)", "pp"),
    Column("change_ci_lower_pp", "CI lower", "pp"),
    Column("change_ci_upper_pp", "CI upper", "pp"),
    Column("change", "Year on year", "words"),
]

WORDS = {
    "meets": "meets the target",
    "below": "below the target",
    "not_distinguishable": "cannot be told apart from the target",
    "improved": "improved",
    "worsened": "worsened",
    "no_clear_change": "no clear change",
}


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decimals to floats and dates to ISO text, so every renderer and the CSV see the same values."""
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            if hasattr(value, "is_finite") and not isinstance(value, float):  # Decimal
                value = float(value)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            clean[key] = value
        out.append(clean)
    return out


def publication(con: duckdb.DuckDBPyConnection) -> Publication:
    row = _rows(con, "select run_id, cast(published_at as varchar) as published_at from meta.publication")[0]
    return Publication(row["run_id"], row["published_at"][:19])


def quarter_exists(con: duckdb.DuckDBPyConnection, fiscal_year: str, fiscal_quarter: int) -> bool:
    found = _rows(
        con,
        "select count(*) as n from marts.compliance_national_test where fiscal_year = ? and fiscal_quarter = ?",
        [fiscal_year, fiscal_quarter],
    )
    return found[0]["n"] > 0


def current_figures(con: duckdb.DuckDBPyConnection, fiscal_year: str, fiscal_quarter: int) -> list[dict[str, Any]]:
    """The quarter's national, command-area and division figures in the as-reported store's shape."""
    figures = "test_code, examined, compliant, compliance_pct, ci_lower_pct, ci_upper_pct, status"
    return _query(
        con,
        f"""
        select 'national' as level, 'Scotland' as unit_code, {figures}
        from marts.compliance_national_test where fiscal_year = $1 and fiscal_quarter = $2
        union all
        select 'command_area', command_area, {figures}
        from marts.compliance_by_command_area_test where fiscal_year = $1 and fiscal_quarter = $2
        union all
        select 'division', division_code, {figures}
        from marts.compliance_by_division_test where fiscal_year = $1 and fiscal_quarter = $2
        """,
        [fiscal_year, fiscal_quarter],
    )


def restatements(
    settings: Settings, con: duckdb.DuckDBPyConnection, up_to: tuple[str, int] | None = None
) -> list[dict[str, Any]]:
    """As reported beside current for every quarter finalised (up to `up_to`, inclusive), each row with
    `fiscal_year`, `fiscal_quarter`, `report_id`, `finalised_at` and `restated`. For the dashboard and packs;
    unsuppressed (callers publish through `suppress`)."""
    out: list[dict[str, Any]] = []
    for report in as_reported.reports(settings.as_reported_db):
        if report.superseded_by is not None:
            continue
        if up_to is not None and (report.fiscal_year, report.fiscal_quarter) > up_to:
            continue
        current = current_figures(con, report.fiscal_year, report.fiscal_quarter)
        reported = as_reported.reported_figures(settings.as_reported_db, report.report_id)
        for row in as_reported.compare(reported, current):
            out.append(
                {
                    "fiscal_year": report.fiscal_year,
                    "fiscal_quarter": report.fiscal_quarter,
                    "report_id": report.report_id,
                    "finalised_at": report.finalised_at,
                    **row,
                }
            )
    return out


class Patterns:
    """The committee's suppression pattern of every committee-facing mart (`scrs.export.compliance_hidden`:
    `scrs.disclosure.committee_pattern`, the one the dashboard and `scrs export` use), as Rules for the
    paper's tables. Which cell a row's figures belong to, in which period, is `scrs.disclosure`'s
    (`change_hidden`, `reported_hidden`), shared with the dashboard."""

    def __init__(self, con: duckdb.DuckDBPyConnection, min_records: int) -> None:
        self.hidden = compliance_hidden(con, min_records)

    def rules(self, mart: str, rows: list[dict[str, Any]]) -> list[Rule]:
        """The row's own cell blanks its figures and changes; the earlier cells blank the earlier rate and
        the change built on it: each when small or in the pattern (in its own period)."""
        masks = change_hidden(pd.DataFrame(rows), self.hidden[mart], mart)
        return [
            Rule("examined", COMPLIANCE_RULES[0].columns, masks["current"].tolist()),
            Rule("previous_year_examined", ("previous_year_pct", *YOY_COLUMNS), masks["previous_year"].tolist()),
            Rule(
                "previous_quarter_examined", ("previous_quarter_pct", *QOQ_COLUMNS), masks["previous_quarter"].tolist()
            ),
        ]

    def cells(self, mart: str, rows: list[dict[str, Any]]) -> list[Rule]:
        """A table of the quarter's cells (no earlier figures): blanked where small or in the pattern."""
        return [Rule("examined", RATE_COLUMNS, hidden_in_period(pd.DataFrame(rows), self.hidden[mart], mart).tolist())]

    def reported(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Figures as reported beside current: hidden where the pattern hides the same cell today."""
        frame = pd.DataFrame(rows)
        return reported_hidden(frame, self.hidden).tolist() if len(frame) else []


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: Params = ()) -> list[dict[str, Any]]:
    """The rows of `sql`, plain (_plain) for every renderer and the CSV."""
    return _plain(_rows(con, sql, params))


def _quarter_rows(con: duckdb.DuckDBPyConnection, mart: str, period: list[Any], order: str) -> list[dict[str, Any]]:
    """One quarter's rows of a thematic mart (alias m), ordered by test then `order`."""
    return _query(
        con,
        f"""
        select m.* from marts.{mart} m
        left join reference.audit_tests t on m.test_code = t.test_code
        where m.fiscal_year = ? and m.fiscal_quarter = ?
        order by t.display_order, {order}
        """,
        period,
    )


def _add(
    pack: Pack,
    key: str,
    title: str,
    columns: list[Column],
    rows: list[dict[str, Any]],
    pub: Publication,
    mart: str,
    note: str = "",
) -> None:
    """Put the table `key` in the pack, citing the publication's `mart`."""
    pack.tables[key] = Table(key, title, columns, rows, pub.citation(mart), note)


def build_pack(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    fiscal_year: str,
    fiscal_quarter: int,
    final: bool = False,
) -> Pack:
    """Every table of the pack for one quarter, suppressed per contract 5.1 (charts and findings are added
    by scrs.report.charts and scrs.report.findings from these tables)."""
    pub = publication(con)
    n = settings.disclosure_min_records
    patterns = Patterns(con, n)
    period = [fiscal_year, fiscal_quarter]
    pack = Pack(
        fiscal_year=fiscal_year,
        fiscal_quarter=fiscal_quarter,
        publication=pub,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        final=final,
        target_pct=settings.compliance_target_pct,
        min_records=n,
    )

    headline = _query(
        con,
        """
        select c.*, t.test_name as measure
        from marts.compliance_change_national_test c
        left join reference.audit_tests t on c.test_code = t.test_code
        where c.fiscal_year = ? and c.fiscal_quarter = ?
        order by t.display_order
        """,
        period,
    )
    _add(
        pack,
        "headline",
        f"Headline: Scotland, {pack.period}",
        HEADLINE_COLUMNS,
        suppress(headline, n, rules=patterns.rules("compliance_national_test", headline)),
        pub,
        "compliance_change_national_test",
        "Each rate with its count and Wilson 95% interval; each change with Newcombe's 95% interval.",
    )

    areas = _rows(
        con,
        "select 'command_area' as level, * from marts.compliance_change_by_command_area_test "
        "where fiscal_year = ? and fiscal_quarter = ?",
        period,
    )
    divisions = _rows(
        con,
        "select 'division' as level, * from marts.compliance_change_by_division_test "
        "where fiscal_year = ? and fiscal_quarter = ?",
        period,
    )
    # The committee's pattern over the whole hierarchy (divisions in their area, areas in Scotland).
    areas, divisions = _plain(areas), _plain(divisions)
    hierarchy = suppress(areas, n, rules=patterns.rules("compliance_by_command_area_test", areas)) + suppress(
        divisions, n, rules=patterns.rules("compliance_by_division_test", divisions)
    )
    test_order = {row["test_code"]: i for i, row in enumerate(headline)}
    by_test = sorted(
        (r for r in hierarchy if r["level"] == "division"),
        key=lambda r: (test_order.get(r["test_code"], 99), r["command_area"], r["division_code"]),
    )
    _add(
        pack,
        "divisions",
        f"Divisions by test, {pack.period}",
        [
            Column("test_code", "Test"),
            Column("command_area", "Command area"),
            Column("division_code", "Division"),
            Column("division_name", "Division name"),
            *FIGURE_COLUMNS,
            *CHANGE_COLUMNS,
        ],
        by_test,
        pub,
        "compliance_change_by_division_test",
    )
    _add(
        pack,
        "command_areas",
        f"Command areas by test, {pack.period}",
        [Column("test_code", "Test"), Column("command_area", "Command area"), *FIGURE_COLUMNS, *CHANGE_COLUMNS],
        sorted(
            (r for r in hierarchy if r["level"] == "command_area"),
            key=lambda r: (test_order.get(r["test_code"], 99), r["command_area"]),
        ),
        pub,
        "compliance_change_by_command_area_test",
    )

    categories = _quarter_rows(con, "compliance_national_category_test", period, "m.scheme, m.category_code")
    _add(
        pack,
        "categories",
        f"Compliance by crime type, {pack.period}",
        [
            Column("test_code", "Test"),
            Column("scheme", "Scheme"),
            Column("category_code", "Code"),
            Column("category_name", "Crime type"),
            Column("hmics_theme", "HMICS audit theme"),
            *FIGURE_COLUMNS,
        ],
        suppress(categories, n, rules=patterns.cells(CATEGORY_MART, categories)),
        pub,
        "compliance_national_category_test",
        "Schemes: category_2021 (2021-22 categories), legacy_group (groups to 2020-21), hmics_theme (HMICS "
        "audit themes; they overlap and are not a partition).",
    )

    units = _quarter_rows(con, "compliance_by_unit_test", period, "m.recording_unit")
    _add(
        pack,
        "units",
        f"Recording within 72 hours and classification by recording unit, {pack.period}",
        [Column("test_code", "Test"), Column("recording_unit", "Recording unit"), *FIGURE_COLUMNS],
        suppress(units, n, rules=patterns.cells(UNIT_MART, units)),
        pub,
        "compliance_by_unit_test",
    )

    trend = _query(
        con,
        """
        select n.fiscal_year, n.fiscal_quarter, n.test_code, n.examined, n.compliant, n.compliance_pct,
               n.ci_lower_pct, n.ci_upper_pct, n.status
        from marts.compliance_national_test n
        left join reference.audit_tests t on n.test_code = t.test_code
        where (n.fiscal_year, n.fiscal_quarter) <= (?, ?)
        order by t.display_order, n.fiscal_year, n.fiscal_quarter
        """,
        period,
    )
    _add(
        pack,
        "trend",
        f"National trend by quarter, to {pack.period}",
        [
            Column("test_code", "Test"),
            Column("fiscal_year", "Financial year"),
            Column("fiscal_quarter", "Quarter"),
            *FIGURE_COLUMNS,
        ],
        suppress(trend, n, rules=patterns.rules("compliance_national_test", trend)[:1]),
        pub,
        "compliance_national_test",
    )

    _add_improvement(pack, con, pub)
    _add_training(pack, con, pub, n)
    _add_quality(pack, con, pub)
    _add_restatements(pack, settings, con, n, patterns)
    return pack


def _add_improvement(pack: Pack, con: duckdb.DuckDBPyConnection, pub: Publication) -> None:
    as_at = _rows(con, "select cast(max(last_update_date) as varchar) as d from marts.improvement_action_status")
    pack.improvement_as_at = as_at[0]["d"] if as_at else None
    counts = _rows(
        con,
        """
        select s.status, count(*) as actions
        from marts.improvement_action_status s
        group by s.status
        order by case s.status when 'COMPLETE' then 1 when 'TRANSFERRED' then 2 when 'ON_TRACK' then 3
                 when 'DELAYED' then 4 else 5 end
        """,
    )
    _add(
        pack,
        "improvement_status",
        f"Improvement plan: actions by status (as at {pack.improvement_as_at or 'no update yet'})",
        [Column("status", "Status", "words"), Column("actions", "Actions", "count")],
        suppress(counts, 0, rules=[Rule("actions", ())]),
        pub,
        "improvement_action_status",
        "Counts of plan actions, not of records: no disclosure risk, shown in full.",
    )
    actions = _query(
        con,
        """
        select s.action_id, s.action_title as action, a.lead_group_name as owner,
               s.current_target_date as due, s.status,
               s.days_slipped, s.times_revised, s.latest_revision_reason as slippage_reason
        from marts.improvement_slippage s
        left join marts.improvement_action_status a on s.action_id = a.action_id
        order by try_cast(split_part(s.action_id, '.', 1) as integer),
                 try_cast(split_part(s.action_id, '.', 2) as integer), s.action_id
        """,
    )
    _add(
        pack,
        "actions",
        "Improvement plan: actions (in the style of the paper's Appendix B)",
        [
            Column("action_id", "Action"),
            Column("action", "Action to be taken"),
            Column("owner", "Owner"),
            Column("due", "Due"),
            Column("status", "Status", "words"),
            Column("days_slipped", "Days slipped", "count"),
            Column("times_revised", "Times revised", "count"),
            Column("slippage_reason", "Why it slipped"),
        ],
        suppress(actions, 0, rules=[Rule("times_revised", ())]),
        pub,
        "improvement_slippage",
    )


def _add_training(pack: Pack, con: duckdb.DuckDBPyConnection, pub: Publication, n: int) -> None:
    rows = _query(
        con,
        """
        select course_code, sum(people) as people, sum(completed) as completed,
               round(100.0 * sum(completed) / nullif(sum(people), 0), 2) as completion_pct
        from marts.training_coverage
        group by course_code
        order by course_code
        """,
    )
    _add(
        pack,
        "training",
        "Training coverage (current state, all units)",
        [
            Column("course_code", "Course"),
            Column("people", "People assigned", "count"),
            Column("completed", "Completed", "count"),
            Column("completion_pct", "Completed %", "pct"),
        ],
        suppress(rows, n, rules=[Rule("people", ("completed", "completion_pct"))]),
        pub,
        "training_coverage",
    )


def _add_quality(pack: Pack, con: duckdb.DuckDBPyConnection, pub: Publication) -> None:
    rows = _rows(
        con,
        """
        select suite,
               count(distinct run_id) as runs,
               count(distinct file_name) as files_checked,
               count(*) as checks,
               count(*) filter (where not success and severity = 'blocking') as blocking_failures,
               count(distinct file_name) filter (where not success and severity = 'blocking') as files_rejected,
               count(*) filter (where not success and severity <> 'blocking') as warnings
        from quality.check_results
        group by suite
        order by suite
        """,
    )
    _add(
        pack,
        "data_quality",
        "Data quality: checks on every extract delivered (all runs recorded)",
        [
            Column("suite", "Extract"),
            Column("runs", "Runs", "count"),
            Column("files_checked", "Files checked", "count"),
            Column("checks", "Checks run", "count"),
            Column("blocking_failures", "Blocking failures", "count"),
            Column("files_rejected", "Files rejected", "count"),
            Column("warnings", "Warnings", "count"),
        ],
        suppress(rows, 0, rules=[Rule("checks", ())]),
        pub,
        "quality.check_results",
        "Counts of files and checks, not of crime records: shown in full. A rejected file is quarantined "
        "and nothing from its run is published.",
    )


def _add_restatements(
    pack: Pack, settings: Settings, con: duckdb.DuckDBPyConnection, n: int, patterns: Patterns
) -> None:
    rows = restatements(settings, con, up_to=(pack.fiscal_year, pack.fiscal_quarter))
    # National rows always; area and division rows where a count changed.
    shown = [r for r in rows if r["level"] == "national" or r["restated"]]
    # The figure as reported is blanked where today's is too (it is the same cell, often the same value).
    hidden_now = patterns.reported(shown)
    reported_rule = Rule("reported_examined", tuple(f"reported_{c}" for c in RATE_COLUMNS), hidden_now)
    current_rule = Rule("current_examined", tuple(f"current_{c}" for c in RATE_COLUMNS), hidden_now)
    for row in shown:
        row["restated"] = "restated" if row["restated"] else "unchanged"
    published = suppress(shown, n, rules=[reported_rule, current_rule])
    pack.as_reported_note = (
        "No quarter up to this one has been finalised yet: there are no figures as reported to compare."
        if not rows
        else f"{sum(1 for r in rows if r['restated'] == 'restated')} figure(s) restated since reported."
    )
    pack.tables["as_reported"] = Table(
        "as_reported",
        "Figures as reported beside current figures (restatements flagged)",
        [
            Column("fiscal_year", "Financial year"),
            Column("fiscal_quarter", "Quarter"),
            Column("level", "Level"),
            Column("unit_code", "Area / division"),
            Column("test_code", "Test"),
            Column("reported_examined", "Examined as reported", "count"),
            Column("reported_compliant", "Compliant as reported", "count"),
            Column("reported_compliance_pct", "Rate as reported %", "pct"),
            Column("current_examined", "Examined now", "count"),
            Column("current_compliant", "Compliant now", "count"),
            Column("current_compliance_pct", "Rate now %", "pct"),
            Column("restated", "Restated?", "words"),
            Column("finalised_at", "Reported (finalised at)"),
        ],
        published,
        f"Source: figures as reported ({Path(settings.as_reported_db).name}, kept outside the warehouse) "
        f"and publication {pack.publication.run_id} of {pack.publication.published_at}.",
        "A figure is restated when either count changed since it was reported (records corrected later).",
    )


def figures_for_final(con: duckdb.DuckDBPyConnection, fiscal_year: str, fiscal_quarter: int) -> list[Mapping]:
    """What `--final` records: the quarter's national, area and division figures."""
    return current_figures(con, fiscal_year, fiscal_quarter)


def open_pack_data(settings: Settings, fiscal_year: str, fiscal_quarter: int, final: bool = False) -> Pack:
    """Read the pack's tables from the served publication (a short-lived read-only connection)."""
    with read_only(settings.served_db) as con:
        if not quarter_exists(con, fiscal_year, fiscal_quarter):
            raise ValueError(f"the publication has no figures for {fiscal_year} Q{fiscal_quarter}")
        return build_pack(settings, con, fiscal_year, fiscal_quarter, final=final)


__all__ = ["COMPLIANCE_RULES", "WORDS", "build_pack", "current_figures", "open_pack_data", "restatements"]
