"""Smoke test of the benchmark harness (`make bench`): a `--quick` run writes a complete report.

No time is asserted: benchmarks are measured and reported, CI never fails on a time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scrs.bench.report import NOTES_MARKER

pytestmark = pytest.mark.pipeline  # the quick benchmark runs the whole pipeline in a child process

REPO = Path(__file__).resolve().parent.parent


def test_quick_bench_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text(f"old numbers\n{NOTES_MARKER}\nhand-written notes survive a rerun\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrs.bench",
            "--quick",
            "--runs",  # one cold run per dashboard page (--quick's default is 3): every row is still written
            "1",
            "--cache",
            str(tmp_path / "cache"),
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = out.read_text()
    for row in (
        "floor, one year",
        "scrs run, one year",
        "), resident runner |",  # the full year submitted to the runner too
        "scrs run, incremental: +1 month onto one year",
        "export --national (one year)",
        "export --division G (one year)",
        "pandas recomputation, one year",
        "scrs run, nothing new",
        "a run with nothing new",
        "said nothing new, published nothing",
        "| ten years | skipped",
        "| Overview |",
        "| Divisions |",
        "| Division detail (latest year) |",
        "| Trends |",
        "| Training |",
        "| Data quality |",
        "| About |",
        "one national year, full run",
        "incremental month onto a year",
        "load average",
        "python -m scrs.bench --quick",
    ):
        assert row in text, f"report lacks {row!r}"
    assert "| error |" not in text
    assert "old numbers" not in text
    assert "hand-written notes survive a rerun" in text
    # the full year's target shows the bound its CPU time puts on its wall time (tests/test_bench_measure.py)
    target = next(line for line in text.splitlines() if line.startswith("| one national year, full run"))
    assert "the run's CPU" in target and "however overlapped" in target, target
    # the stage columns of the full run are filled from the Dagster event log
    full = next(line for line in text.splitlines() if line.startswith("| scrs run, one year"))
    cells = [c.strip() for c in full.strip("|").split("|")]
    assert all(cells[i] for i in range(1, 9)), full
    # the monthly run went to the resident runner (`scrs serve`), whose answer carries the run's step times
    month = next(line for line in text.splitlines() if line.startswith("| scrs run, incremental: +1 month onto one"))
    cells = [c.strip() for c in month.strip("|").split("|")]
    assert cells[0].endswith("resident runner") and "runner start-up" in cells[-1], month
    assert all(cells[i] for i in range(1, 6)), month
