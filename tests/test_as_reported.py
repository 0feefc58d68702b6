"""The figures-as-reported store (scrs.report.as_reported): append-only, refused twice unless forced,
history kept, backed up, and restatement = any change in a count."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scrs.report import as_reported
from scrs.report.suppression import Rule, suppress


def figures(examined: int = 100, compliant: int = 90) -> list[dict]:
    return [
        {"level": "national", "unit_code": "Scotland", "test_code": "TEST1", "examined": examined,
         "compliant": compliant, "compliance_pct": 90.0, "ci_lower_pct": 82.6, "ci_upper_pct": 94.5,
         "status": "below"},
        {"level": "division", "unit_code": "G", "test_code": "TEST1", "examined": 5, "compliant": 5,
         "compliance_pct": 100.0, "ci_lower_pct": 56.55, "ci_upper_pct": 100.0, "status": "not_distinguishable"},
    ]  # fmt: skip


def test_second_final_refused_force_keeps_history_and_backs_up(tmp_path: Path) -> None:
    store = tmp_path / "state" / "as_reported.sqlite"
    first = as_reported.finalise(store, "2020/21", 4, figures(), run_id="r1", published_at="2021-05-01")
    with pytest.raises(as_reported.AlreadyFinalisedError):
        as_reported.finalise(store, "2020/21", 4, figures(100, 80), run_id="r2", published_at="2021-06-01")
    assert [r.report_id for r in as_reported.reports(store)] == [first.report_id]

    second = as_reported.finalise(
        store, "2020/21", 4, figures(100, 80), run_id="r2", published_at="2021-06-01", force=True
    )
    history = as_reported.reports(store)
    assert [(r.report_id, r.superseded_by, r.forced) for r in history] == [
        (first.report_id, second.report_id, False),
        (second.report_id, None, True),
    ]
    assert as_reported.current_report(store, "2020/21", 4) == history[1]
    # The earlier figures are kept exactly.
    kept = as_reported.reported_figures(store, first.report_id)
    assert [(f["unit_code"], f["examined"], f["compliant"]) for f in kept] == [("G", 5, 5), ("Scotland", 100, 90)]
    # One backup per write, each a full consistent copy.
    backups = sorted(as_reported.backup_dir(store).glob("*.sqlite"))
    assert len(backups) == 2
    with sqlite3.connect(backups[-1]) as con:
        assert con.execute("select count(*) from reports").fetchone()[0] == 2


def test_store_refuses_updates_and_deletes(tmp_path: Path) -> None:
    store = tmp_path / "as_reported.sqlite"
    report = as_reported.finalise(store, "2020/21", 4, figures(), run_id="r1", published_at="2021-05-01")
    con = sqlite3.connect(store)
    try:
        for statement in (
            "update reported_figures set compliant = 1",
            "delete from reported_figures",
            "delete from reports",
            f"update reports set run_id = 'x' where report_id = {report.report_id}",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="never"):
                con.execute(statement)
    finally:
        con.close()
    assert as_reported.reported_figures(store, report.report_id)[1]["compliant"] == 90


def test_restatement_is_any_change_in_a_count() -> None:
    reported = figures()
    current = figures(100, 90)
    current[1] = {**current[1], "examined": 6}  # a record of G added later: restated
    compared = {(r["unit_code"]): r for r in as_reported.compare(reported, current)}
    assert compared["Scotland"]["restated"] is False
    assert compared["G"]["restated"] is True
    assert (compared["G"]["reported_examined"], compared["G"]["current_examined"]) == (5, 6)
    # A row on one side only is a restatement too.
    only_now = as_reported.compare(reported[:1], current)
    assert {r["unit_code"]: r["restated"] for r in only_now} == {"Scotland": False, "G": True}


def test_suppression_primary_and_the_committees_pattern() -> None:
    rows = [
        {"area": "North", "division": "A", "examined": 5, "compliant": 5, "compliance_pct": 100.0},
        {"area": "North", "division": "D", "examined": 40, "compliant": 30, "compliance_pct": 75.0},
        {"area": "North", "division": "N", "examined": 80, "compliant": 70, "compliance_pct": 87.5},
        {"area": "East", "division": "E", "examined": 50, "compliant": 45, "compliance_pct": 90.0},
    ]
    # D is in the committee's pattern (a complementary cell, scrs.disclosure.committee_pattern); A is small.
    rule = Rule("examined", ("compliant", "compliance_pct"), hidden=[False, True, False, False])
    out = {r["division"]: r for r in suppress(rows, 10, rules=[rule])}
    assert out["A"]["compliant"] is None and out["A"]["examined"] == 5  # primary: count only
    assert out["D"]["compliant"] is None and out["D"]["examined"] == 40  # in the pattern: blanked too
    assert out["N"]["compliant"] == 70 and out["E"]["compliant"] == 45
    assert out["D"]["suppressed_columns"] == ("compliance_pct", "compliant")
    assert [r["suppressed"] for r in out.values()] == [True, True, False, False]
    with pytest.raises(ValueError, match="4 rows"):
        suppress(rows, 10, rules=[Rule("examined", ("compliant",), hidden=[True])])
