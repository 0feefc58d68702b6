"""Figures as reported, end to end: finalise a quarter, deliver a later extract that corrects records of
that quarter, rebuild the warehouse from scratch, and the next pack shows both figures and flags the
restatement, while the stored figures are unchanged. One extra pipeline run (a full rebuild)."""

from __future__ import annotations

import csv
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from tests.conftest import run_scrs
from tests.extract_factory import write_crimes

YEAR, QUARTER = "2020/21", 4
CORRECTED = 3  # crimes of G, recorded in time, re-extracted later as recorded after 100 hours
FMT = "%Y-%m-%d %H:%M:%S"


def _report(warehouse: Path, out: Path, *extra: str):
    return run_scrs(
        "report", "--warehouse", str(warehouse), "--fiscal-year", YEAR, "--quarter", str(QUARTER),
        "--out", str(out), *extra,
    )  # fmt: skip


def _stored(store: Path) -> list[tuple]:
    with sqlite3.connect(store) as con:
        return con.execute("select * from reported_figures order by report_id, level, unit_code, test_code").fetchall()


def _corrections(landing: Path) -> list[dict]:
    """CORRECTED January 2021 crimes of G, RECORDED well within 72 hours, appearing in one file only."""
    seen: dict[str, int] = {}
    rows: dict[str, dict] = {}
    for path in sorted(landing.glob("crimes_*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                seen[row["crime_id"]] = seen.get(row["crime_id"], 0) + 1
                rows[row["crime_id"]] = row
    picked = []
    for crime_id, row in sorted(rows.items()):
        reported = datetime.strptime(row["reported_at"], FMT)
        recorded = datetime.strptime(row["recorded_at"], FMT)
        if (
            seen[crime_id] == 1
            and row["division_code"] == "G"
            and row["status"] == "RECORDED"
            and reported.year == 2021
            and reported.month == 1
            and recorded - reported < timedelta(hours=48)
        ):
            picked.append(
                {
                    **row,
                    "recorded_at": (reported + timedelta(hours=100)).strftime(FMT),
                    "extracted_at": "2021-07-01 02:00:00",
                }
            )
        if len(picked) == CORRECTED:
            break
    assert len(picked) == CORRECTED
    return picked


def _truth(truth_dir: Path, test: str) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = {}
    with (truth_dir / "compliance_truth.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if (row["fiscal_year"], int(row["fiscal_quarter"]), row["test_code"]) == (YEAR, QUARTER, test):
                for key in ("Scotland", row["division_code"]):
                    total = out.setdefault(key, [0, 0])
                    total[0] += int(row["examined"])
                    total[1] += int(row["compliant"])
    return {key: (e, c) for key, (e, c) in out.items()}


def test_restated_figures_shown_beside_as_reported_and_store_survives_rebuild(fresh_pipeline, tmp_path) -> None:
    warehouse, landing = fresh_pipeline["warehouse"], fresh_pipeline["landing"]
    store = warehouse / "state" / "as_reported.sqlite"

    final = _report(warehouse, tmp_path / "final", "--final")
    assert final.returncode == 0, final.stderr
    assert store.exists()
    stored_before = _stored(store)
    again = _report(warehouse, tmp_path / "again", "--final")
    assert again.returncode == 1 and "already reported" in again.stderr
    assert not (tmp_path / "again").exists(), "a refused --final writes nothing"

    write_crimes(landing / "crimes_2021_07_correction.csv", _corrections(landing))
    (warehouse / "warehouse.duckdb").unlink()  # a full rebuild: the warehouse file is gone
    rebuilt = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _stored(store) == stored_before, "figures as reported are never changed by a rebuild"

    later = _report(warehouse, tmp_path / "later")
    assert later.returncode == 0, later.stderr
    with (tmp_path / "later" / "tables" / "as_reported.csv").open(newline="") as handle:
        rows = {(r["level"], r["unit_code"], r["test_code"]): r for r in csv.DictReader(handle)}
    truth = _truth(fresh_pipeline["truth"], "TIMELY72")
    for key in (("national", "Scotland", "TIMELY72"), ("division", "G", "TIMELY72")):
        row = rows[key]
        examined, compliant = truth[key[1]]
        assert row["restated"] == "restated", key
        assert (int(row["reported_examined"]), int(row["reported_compliant"])) == (examined, compliant), key
        assert (int(row["current_examined"]), int(row["current_compliant"])) == (examined, compliant - CORRECTED)
    assert rows[("national", "Scotland", "TEST1")]["restated"] == "unchanged"
    html = (tmp_path / "later" / "committee_pack.html").read_text(encoding="utf-8")
    assert "have been restated since" in html

    forced = _report(warehouse, tmp_path / "forced", "--final", "--force")
    assert forced.returncode == 0, forced.stderr
    with sqlite3.connect(store) as con:
        history = con.execute("select report_id, superseded_by, forced from reports order by report_id").fetchall()
    assert history == [(1, 2, 0), (2, None, 1)]
    assert [r for r in _stored(store) if r[0] == 1] == stored_before
