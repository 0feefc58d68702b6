"""A quality check's outcome on one file, and the gate's reading of a run's outcomes (which files have blocking
failures, and the one line that says why). No Great Expectations or pandas here: the pipeline imports this
before it knows whether any file needs validating."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from scrs.ingest.landing import FileFault


@dataclass
class CheckResult:
    """Outcome of one expectation on one file."""

    run_id: str
    file_name: str
    suite: str
    expectation_type: str
    check: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    sample_lines: list[int]
    owner: str
    why: str
    checked_at: datetime
    field: str | None = None
    message: str | None = None
    position: int | None = None
    """Index of the expectation in its suite file (joins quality.expectation_catalogue.position)."""
    rows_checked: int | None = None
    """Data rows in the file."""

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Failure = CheckResult | FileFault


def blocking_failures(
    results: Iterable[CheckResult], file_faults: Iterable[FileFault] = ()
) -> dict[str, list[Failure]]:
    """Blocking failures grouped by file name (files absent from the dict passed every blocking check)."""
    out: dict[str, list[Failure]] = {}
    for f in file_faults:
        if f.blocking:
            out.setdefault(f.file, []).append(f)
    for r in results:
        if r.blocking and not r.success:
            out.setdefault(r.file_name, []).append(r)
    return out


def failure_parts(f: Failure) -> tuple[str, str, str | None, int | None, list[int]]:
    """(file, check, column, count, lines) of a CheckResult or FileFault."""
    if isinstance(f, FileFault):
        return f.file, f.check, f.column, f.count, list(f.line_numbers)
    return f.file_name, f.check, f.column, f.unexpected_count, list(f.sample_lines)


def one_line_reason(failures: Iterable[Failure] | dict[str, list[Failure]], *, quarantined: bool = True) -> str:
    """e.g. "crimes_2021_03.csv: blocking check recorded_at_not_before_reported_at failed on 3 rows
    (lines 5, 9, 12); file quarantined". Several checks or files are joined with "; "."""
    items: list[Failure] = [x for v in failures.values() for x in v] if isinstance(failures, dict) else list(failures)
    items = [f for f in items if (f.blocking if isinstance(f, FileFault) else (f.blocking and not f.success))]
    if not items:
        return "no blocking failures"
    by_file: dict[str, list[Failure]] = {}
    for f in items:
        by_file.setdefault(failure_parts(f)[0], []).append(f)
    parts = []
    for file_name, fs in by_file.items():
        descs = []
        for f in fs:
            _, check, column, count, lines = failure_parts(f)
            shown = ", ".join(str(x) for x in lines[:5]) + (", ..." if len(lines) > 5 else "")
            where = f" (lines {shown})" if lines else ""
            on = f" on {count} rows" if count else ""
            named = column and all(c.strip() in check for c in column.split(","))
            col = f" [{column}]" if column and not named else ""
            descs.append(f"{check}{col} failed{on}{where}")
        head = "blocking check" if len(descs) == 1 else f"{len(descs)} blocking checks"
        tail = "; file quarantined" if quarantined else ""
        parts.append(f"{file_name}: {head} {'; '.join(descs)}{tail}")
    return " | ".join(parts)
