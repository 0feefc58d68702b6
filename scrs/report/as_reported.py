"""Figures as reported to the committee: what `scrs report --final` published for a quarter, kept for good.

The warehouse file is rebuilt from the extracts at every run, so a figure already quoted to the committee
would silently change when records are corrected later. The quarter's figures as reported therefore live
outside it, in a small SQLite file (`Settings.as_reported_db`, by default
`<warehouse>/state/as_reported.sqlite`): transactional, append-only and backed up after every write.

- `reports`: one row per `--final` (quarter, when, from which publication). A second `--final` for the same
  quarter is refused unless forced; forcing adds a new report and marks the earlier one `superseded_by` it,
  so the history is kept. Triggers refuse any other update and every delete.
- `reported_figures`: the counts and figures of every national, command-area and division row of the
  quarter as they stood (unsuppressed counts; publication suppresses them again when shown). Insert only.

A restatement is any change in a count (`examined` or `compliant`) between the figure as reported and the
current one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIGURE_COLUMNS = (
    "level",
    "unit_code",
    "test_code",
    "examined",
    "compliant",
    "compliance_pct",
    "ci_lower_pct",
    "ci_upper_pct",
    "status",
)

SCHEMA = """
create table if not exists reports (
    report_id integer primary key autoincrement,
    fiscal_year text not null,
    fiscal_quarter integer not null,
    finalised_at text not null,
    run_id text not null,
    published_at text not null,
    forced integer not null default 0,
    superseded_by integer references reports(report_id)
);
create table if not exists reported_figures (
    report_id integer not null references reports(report_id),
    level text not null check (level in ('national', 'command_area', 'division')),
    unit_code text not null,
    test_code text not null,
    examined integer not null,
    compliant integer not null,
    compliance_pct real,
    ci_lower_pct real,
    ci_upper_pct real,
    status text,
    primary key (report_id, level, unit_code, test_code)
);
create trigger if not exists reports_no_delete before delete on reports
begin select raise(abort, 'figures as reported are never deleted'); end;
create trigger if not exists reports_only_superseded before update on reports
when old.superseded_by is not null
    or new.report_id is not old.report_id or new.fiscal_year is not old.fiscal_year
    or new.fiscal_quarter is not old.fiscal_quarter or new.finalised_at is not old.finalised_at
    or new.run_id is not old.run_id or new.published_at is not old.published_at
    or new.forced is not old.forced
begin select raise(abort, 'figures as reported are never overwritten'); end;
create trigger if not exists figures_no_update before update on reported_figures
begin select raise(abort, 'figures as reported are never overwritten'); end;
create trigger if not exists figures_no_delete before delete on reported_figures
begin select raise(abort, 'figures as reported are never deleted'); end;
"""


class AlreadyFinalisedError(RuntimeError):
    """The quarter already has figures as reported; pass force=True (`--force`) to add a newer report."""


@dataclass(frozen=True)
class Report:
    report_id: int
    fiscal_year: str
    fiscal_quarter: int
    finalised_at: str
    run_id: str
    published_at: str
    forced: bool
    superseded_by: int | None


@contextmanager
def _connect(path: Path, create: bool = False) -> Iterator[sqlite3.Connection]:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as con:
        con.row_factory = sqlite3.Row
        con.execute("pragma foreign_keys = on")
        if create:
            con.executescript(SCHEMA)
        yield con


def backup_dir(path: Path) -> Path:
    return path.parent / "backups"


def _backup(path: Path) -> Path:
    """A consistent copy of the store (SQLite's online backup) beside it, one per write, never pruned."""
    target = backup_dir(path) / f"{path.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return target


def _report(row: sqlite3.Row) -> Report:
    return Report(
        report_id=row["report_id"],
        fiscal_year=row["fiscal_year"],
        fiscal_quarter=row["fiscal_quarter"],
        finalised_at=row["finalised_at"],
        run_id=row["run_id"],
        published_at=row["published_at"],
        forced=bool(row["forced"]),
        superseded_by=row["superseded_by"],
    )


def finalise(
    path: Path,
    fiscal_year: str,
    fiscal_quarter: int,
    figures: Iterable[Mapping[str, Any]],
    run_id: str,
    published_at: str,
    force: bool = False,
) -> Report:
    """Record the quarter's figures as reported, in one transaction; refuse a second unless `force`."""
    rows = [tuple(figure[c] for c in FIGURE_COLUMNS) for figure in figures]
    if not rows:
        raise ValueError(f"no figures to record for {fiscal_year} Q{fiscal_quarter}")
    with _connect(path, create=True) as con:
        con.execute("begin immediate")
        try:
            current = con.execute(
                "select report_id from reports where fiscal_year = ? and fiscal_quarter = ? and superseded_by is null",
                (fiscal_year, fiscal_quarter),
            ).fetchone()
            if current is not None and not force:
                raise AlreadyFinalisedError(
                    f"{fiscal_year} Q{fiscal_quarter} was already reported as final (report "
                    f"{current['report_id']}); its figures are kept as reported. Use --force to record a "
                    "newer report (the earlier one is kept as history)."
                )
            cursor = con.execute(
                "insert into reports (fiscal_year, fiscal_quarter, finalised_at, run_id, published_at, forced) "
                "values (?, ?, ?, ?, ?, ?)",
                (
                    fiscal_year,
                    fiscal_quarter,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    run_id,
                    published_at,
                    int(current is not None),
                ),
            )
            report_id = cursor.lastrowid
            con.executemany(
                f"insert into reported_figures (report_id, {', '.join(FIGURE_COLUMNS)}) "
                f"values (?, {', '.join('?' for _ in FIGURE_COLUMNS)})",
                [(report_id, *row) for row in rows],
            )
            if current is not None:
                con.execute(
                    "update reports set superseded_by = ? where report_id = ?", (report_id, current["report_id"])
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        report = _report(con.execute("select * from reports where report_id = ?", (report_id,)).fetchone())
    _backup(path)
    return report


def reports(path: Path) -> list[Report]:
    """Every report recorded, oldest first (superseded ones included)."""
    if not path.exists():
        return []
    with _connect(path) as con:
        return [_report(row) for row in con.execute("select * from reports order by report_id")]


def current_report(path: Path, fiscal_year: str, fiscal_quarter: int) -> Report | None:
    """The report in force for a quarter (the latest, not superseded), or None if never finalised."""
    for report in reports(path):
        if (report.fiscal_year, report.fiscal_quarter) == (fiscal_year, fiscal_quarter) and not report.superseded_by:
            return report
    return None


def reported_figures(path: Path, report_id: int) -> list[dict[str, Any]]:
    """The figures of one report, as recorded."""
    with _connect(path) as con:
        return [
            dict(row)
            for row in con.execute(
                "select * from reported_figures where report_id = ? order by level, unit_code, test_code",
                (report_id,),
            )
        ]


def compare(reported: Iterable[Mapping[str, Any]], current: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """As reported beside current for every (level, unit_code, test_code) in either.

    Each row: the key, `reported_*` and `current_*` counts and figures, and `restated` (True when a count
    differs, or the row exists on one side only).
    """
    key = ("level", "unit_code", "test_code")
    by_key: dict[tuple, dict[str, Any]] = {}
    for side, rows in (("reported", reported), ("current", current)):
        for row in rows:
            entry = by_key.setdefault(tuple(row[k] for k in key), dict(zip(key, (row[k] for k in key), strict=True)))
            for column in FIGURE_COLUMNS[3:]:
                entry[f"{side}_{column}"] = row[column]
    out = []
    for entry in by_key.values():
        for side in ("reported", "current"):
            for column in FIGURE_COLUMNS[3:]:
                entry.setdefault(f"{side}_{column}", None)
        entry["restated"] = (entry["reported_examined"], entry["reported_compliant"]) != (
            entry["current_examined"],
            entry["current_compliant"],
        )
        out.append(entry)
    level_order = {"national": 0, "command_area": 1, "division": 2}
    return sorted(out, key=lambda e: (level_order.get(e["level"], 9), e["unit_code"], e["test_code"]))
