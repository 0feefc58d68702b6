"""Bad registrar verdicts end to end through `scrs run` (contract section 6, issue 12's acceptance): every
structural fault of `audit_outcomes` quarantines its file with a report naming the check and line, the run
is not published, and the published warehouse stays byte for byte as it was. One run for all the faults,
on a copy of the session's published landing folder and warehouse (the harness of test_publication.py).
"""

from __future__ import annotations

import csv
import shutil

import pytest

from scrs.audit.sampling import OUTCOME_COLUMNS
from tests.conftest import run_scrs
from tests.test_publication import failing, report, sha256

SAMPLE_ID = "2020-21-Q4-generated"


def _rows(landing, prefix: str) -> list[dict[str, str]]:
    (path,) = [p for p in landing.glob(f"{prefix}*.csv") if "resent" not in p.name][:1]
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def bad_files(landing) -> dict[str, tuple[list[dict[str, str]], str, list[int]]]:
    """name -> (rows, failing check, lines): a valid verdict on line 2, then the fault."""
    sample = _rows(landing, f"audit_sample_{SAMPLE_ID}")
    t1 = [r for r in sample if r["test_code"] == "TEST1"]
    t2 = [r for r in sample if r["test_code"] == "TEST2"]

    def verdict(rec, verdict="COMPLIANT", reasons="", **kw):
        row = {
            "sample_id": SAMPLE_ID,
            "test_code": rec["test_code"],
            "record_id": rec["record_id"],
            "verdict": verdict,
            "failure_reasons": reasons,
            "audited_by": "SN000001",
            "audited_at": "2021-07-01 10:00:00",
            "extracted_at": "2021-07-31 18:00:00",
        }
        return row | kw

    good = verdict(t1[0])
    nc, cnr = "NON_COMPLIANT", "CRIME_NOT_RECORDED"
    cases = {
        "unknown_sample": ([verdict(t1[1], sample_id="2020-21-Q4-nosuch")], "sample_known"),
        "record_not_in_sample": ([verdict(t1[1], record_id="PS-20210101-99999")], "record_in_sample"),
        "verdict": ([verdict(t1[1], verdict="PASSED")], "verdict_in_list"),
        "reason_code": ([verdict(t1[1], nc, "NOT_RECORDED")], "reason_code_in_list"),
        "reason_of_other_test": ([verdict(t2[0], nc, cnr)], "reason_belongs_to_test"),
        "reasons_on_compliant": ([verdict(t1[1], "COMPLIANT", cnr)], "no_reasons_on_compliant"),
        "no_reasons": ([verdict(t1[1], nc, "")], "reasons_on_non_compliant"),
        "duplicate": ([verdict(t1[0], nc, cnr)], "key_unique_in_file"),
    }
    return {
        f"audit_outcomes_bad_{case}.csv": ([good, *rows], check, [2, 3] if case == "duplicate" else [3])
        for case, (rows, check) in cases.items()
    }


@pytest.fixture(scope="module")
def rejected(pipeline_run, tmp_path_factory):
    base = tmp_path_factory.mktemp("audit_rejected")
    landing, warehouse = base / "landing", base / "warehouse"
    shutil.copytree(pipeline_run["landing"], landing)
    shutil.copytree(pipeline_run["warehouse"], warehouse)
    served = warehouse / "warehouse.duckdb"
    before = sha256(served)
    cases = bad_files(landing)
    for name, (rows, _, _) in cases.items():
        with (landing / name).open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, OUTCOME_COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    proc = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet")
    return {"proc": proc, "landing": landing, "before": before, "after": sha256(served), "cases": cases}


def test_the_run_is_not_published_and_the_warehouse_is_unchanged(rejected):
    assert rejected["proc"].returncode == 1
    last = rejected["proc"].stderr.strip().splitlines()[-1]
    assert last.startswith("scrs run: not published: ") and "audit_outcomes_bad_" in last, last
    assert rejected["after"] == rejected["before"]


@pytest.mark.parametrize(
    "name",
    [
        "audit_outcomes_bad_unknown_sample.csv",
        "audit_outcomes_bad_record_not_in_sample.csv",
        "audit_outcomes_bad_verdict.csv",
        "audit_outcomes_bad_reason_code.csv",
        "audit_outcomes_bad_reason_of_other_test.csv",
        "audit_outcomes_bad_reasons_on_compliant.csv",
        "audit_outcomes_bad_no_reasons.csv",
        "audit_outcomes_bad_duplicate.csv",
    ],
)
def test_each_fault_is_quarantined_with_its_check_and_line(rejected, name):
    landing = rejected["landing"]
    _, check, lines = rejected["cases"][name]
    assert (landing / "quarantine" / name).exists() and not (landing / name).exists()
    got = failing(report(landing, name), check)
    assert got["first_lines"][:5] == lines, got
    checks = {c["check"] for c in report(landing, name)["checks"]}
    assert checks == {check}, f"only the planted fault blocks: {checks}"
