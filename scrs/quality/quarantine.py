"""Quarantine: move a rejected extract out of the landing folder, with a report saying why.

`LANDING/quarantine/<file>` + `<file>.report.json` + `<file>.report.txt`. An earlier quarantined file of
the same name is never overwritten: the newcomer gets a UTC timestamp suffix (`crimes_2021_03.csv` ->
`crimes_2021_03.20211104T101500Z.csv`), and its reports follow its new name.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrs.ingest.landing import FileFault
from scrs.quality.results import CheckResult, Failure
from scrs.quality.suites import extract_owner


def _is_failure(f: Failure) -> bool:
    return True if isinstance(f, FileFault) else not f.success


def failure_record(f: Failure) -> dict[str, Any]:
    if isinstance(f, FileFault):
        return {
            "check": f.check,
            "severity": f.severity,
            "column": f.column,
            "expectation_type": "file_read",
            "failing_rows": f.count,
            "first_lines": list(f.line_numbers),
            "message": f.message,
            "owner": extract_owner(f.kind) if f.kind else None,
            "why": f.why or None,
        }
    assert isinstance(f, CheckResult)
    return {
        "check": f.check,
        "severity": f.severity,
        "column": f.column,
        "expectation_type": f.expectation_type,
        "failing_rows": f.unexpected_count,
        "first_lines": list(f.sample_lines),
        "message": f.message,
        "owner": f.owner,
        "why": f.why,
    }


def _target(quarantine_dir: Path, name: str) -> Path:
    target = quarantine_dir / name
    if not target.exists() and not Path(f"{target}.report.json").exists():
        return target
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    p = Path(name)
    return quarantine_dir / f"{p.stem}.{stamp}{p.suffix}"


def render_report_text(report: dict[str, Any]) -> str:
    lines = [
        f"QUARANTINED EXTRACT: {report['file']}",
        f"Moved to:            {report['quarantined_path']}",
        f"When (UTC):          {report['quarantined_at']}",
        f"Run:                 {report.get('run_id') or '-'}",
        "",
        f"{report['blocking_failures']} blocking check(s) failed, {report['warnings']} warning(s).",
        "Nothing from this file was loaded. Fix the extract at source and deliver it again.",
        "",
    ]
    for i, c in enumerate(report["checks"], 1):
        col = f" (column {c['column']})" if c.get("column") else ""
        lines.append(f"{i}. [{c['severity'].upper()}] {c['check']}{col}")
        rows = c.get("failing_rows")
        if rows is not None:
            lines.append(f"   failing rows: {rows}")
        if c.get("first_lines"):
            n = len(c["first_lines"])
            lines.append(f"   first {n} line number(s) (header = line 1): {', '.join(map(str, c['first_lines']))}")
        if c.get("message"):
            lines.append(f"   detail: {c['message']}")
        if c.get("why"):
            lines.append(f"   why it matters: {c['why']}")
        if c.get("owner"):
            lines.append(f"   owner: {c['owner']}")
        lines.append("")
    return "\n".join(lines)


def quarantine(
    file_path: Path | str,
    failures: Iterable[Failure],
    quarantine_dir: Path | str,
    *,
    run_id: str | None = None,
) -> Path:
    """Move `file_path` into `quarantine_dir` and write `<file>.report.json` / `.report.txt` next to it.

    `failures` are the file's failing CheckResults and FileFaults (passing results are ignored); blocking
    ones are listed first. Returns the quarantined file's new path.
    """
    src = Path(file_path)
    qdir = Path(quarantine_dir)
    qdir.mkdir(parents=True, exist_ok=True)
    target = _target(qdir, src.name)
    shutil.move(str(src), target)

    items = [f for f in failures if _is_failure(f)]
    items.sort(key=lambda f: (f.severity != "blocking",))
    checks = [failure_record(f) for f in items]
    if run_id is None:
        run_id = next((f.run_id for f in items if isinstance(f, CheckResult)), None)
    report = {
        "file": src.name,
        "original_path": str(src),
        "quarantined_path": str(target),
        "quarantined_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "run_id": run_id,
        "blocking_failures": sum(1 for c in checks if c["severity"] == "blocking"),
        "warnings": sum(1 for c in checks if c["severity"] != "blocking"),
        "checks": checks,
    }
    Path(f"{target}.report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    Path(f"{target}.report.txt").write_text(render_report_text(report), encoding="utf-8")
    return target
