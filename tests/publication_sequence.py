"""The quality gate's sequence of runs on a copy of the session publication, built once per test session for
tests/test_publication.py and tests/test_incremental.py (`publication_sequence` in tests/conftest.py).

One rejected run with every bad file at once (the extracts', the improvement tracker's and the registrar
verdicts'); then, with a reader holding the publication open, a run SIGKILLed mid-build and a good run that
publishes the files left in landing plus a new incident, a re-delivered file and a warning case.
test_incremental.py continues from the end (its deliveries, then a full rebuild compared with every mart), so
the good run's incremental build is compared with a full rebuild there, not by a rebuild of its own.

The folder `build` fills (read-only for the tests: a test that writes takes a copy):
- `rejected/landing/`, `rejected/warehouse/`: just after the rejected run;
- `landing/`, `warehouse/`: after the good run;
- `results.json`: the runs' exit codes and output, the digests and what the reader saw (`load`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb

from scrs.audit.sampling import OUTCOME_COLUMNS
from scrs.generator.improvement import write_bad_improvement_file
from tests import extract_factory as xf
from tests.conftest import REPO, SCRS, run_scrs


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_digests(warehouse: Path, out: Path) -> dict[str, str]:
    """Digests of the committee's CSV and Parquet pack (Excel files carry a creation time, so not compared)."""
    run_scrs("export", "--warehouse", str(warehouse), "--out", str(out), "--national", check=True)
    return {p.name: sha256(p) for p in sorted(out.iterdir()) if p.suffix in (".csv", ".parquet")}


# name -> (file content writer, expected (check, column, first lines))
BAD_FILES = {
    "crimes_bad_missing_column.csv": (
        lambda p: xf.write_crimes(p, [xf.crime()], column_order=[c for c in xf.CRIME_COLUMNS if c != "crime_code"]),
        ("column_exists", "crime_code", []),
    ),
    "incidents_bad_timestamp.csv": (
        lambda p: xf.write_incidents(
            p, [xf.incident(incident_id="PS-X-1"), xf.incident(incident_id="PS-X-2", created_at="2021-02-30 10:00:00")]
        ),
        ("timestamp_valid", "created_at", [3]),
    ),
    "incidents_bad_division.csv": (
        lambda p: xf.write_incidents(p, [xf.incident(incident_id="PS-X-3", division_code="Z")]),
        ("code_in_reference_set", "division_code", [2]),
    ),
    "crimes_bad_crime_code.csv": (
        lambda p: xf.write_crimes(p, [xf.crime(crime_id="CR/X/1"), xf.crime(crime_id="CR/X/2", crime_code="9999")]),
        ("code_in_reference_set", "crime_code", [3]),
    ),
    "crimes_bad_duplicate_key.csv": (
        lambda p: xf.write_crimes(
            p, [xf.crime(crime_id="CR/X/3"), xf.crime(crime_id="CR/X/4"), xf.crime(crime_id="CR/X/3")]
        ),
        ("key_unique_in_file", None, [2, 4]),
    ),
    "crimes_bad_recorded_before_reported.csv": (
        lambda p: xf.write_crimes(p, [xf.crime(crime_id="CR/X/5", recorded_at="2021-01-14 09:59:59")]),
        ("recorded_at_not_before_reported_at", None, [2]),
    ),
    "crimes_bad_no_crime_before_recorded.csv": (
        lambda p: xf.write_crimes(p, [xf.no_crime(crime_id="CR/X/6", no_crime_at="2021-01-14 14:00:00")]),
        ("no_crime_at_not_before_recorded_at", None, [2]),
    ),
    "crimes_bad_no_crime_without_date.csv": (
        lambda p: xf.write_crimes(p, [xf.crime(crime_id="CR/X/7"), xf.no_crime(crime_id="CR/X/8", no_crime_at=None)]),
        ("no_crime_has_no_crime_at", None, [3]),
    ),
    "training_bad_empty.csv": (lambda p: p.write_bytes(b""), ("file_not_empty", None, [])),
    "incidents_bad_header_only.csv": (lambda p: xf.write_incidents(p, []), ("file_has_rows", None, [])),
    "incidents_bad_not_utf8.csv": (
        lambda p: xf.write_incidents(
            p, [xf.incident(incident_id="PS-X-9"), xf.incident(incident_id="PS-Ü-10")], encoding="latin-1"
        ),
        ("file_is_utf8", None, [3]),
    ),
    "crimes_bad_truncated.csv": (
        lambda p: p.write_bytes(
            xf.csv_bytes([xf.crime(crime_id="CR/X/11"), xf.crime(crime_id="CR/X/12")], xf.CRIME_COLUMNS)[:-60]
        ),
        ("row_field_count_matches_header", None, [3]),
    ),
}


# The improvement-plan tracker's bad cases, planted by its generator: case -> (check, column)
BAD_IMPROVEMENT_CASES = {
    "unknown_action_id": ("code_in_reference_set", "action_id"),
    "revised_without_reason": ("revised_target_has_reason", None),
    "update_before_plan": ("update_not_before_plan_start", None),
}


# Bad registrar verdicts (audit_outcomes), made from the session's generated audit sample.
SAMPLE_ID = "2020-21-Q4-generated"
AUDIT_BAD_FILES = [
    "audit_outcomes_bad_unknown_sample.csv",
    "audit_outcomes_bad_record_not_in_sample.csv",
    "audit_outcomes_bad_verdict.csv",
    "audit_outcomes_bad_reason_code.csv",
    "audit_outcomes_bad_reason_of_other_test.csv",
    "audit_outcomes_bad_reasons_on_compliant.csv",
    "audit_outcomes_bad_no_reasons.csv",
    "audit_outcomes_bad_duplicate.csv",
]


def _rows(landing, prefix: str) -> list[dict[str, str]]:
    (path,) = [p for p in landing.glob(f"{prefix}*.csv") if "resent" not in p.name][:1]
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def bad_audit_files(landing) -> dict[str, tuple[list[dict[str, str]], str, list[int]]]:
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


def _proc(proc: subprocess.CompletedProcess) -> dict:
    return {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def build(base: Path, published: dict[str, Path]) -> None:
    """The rejected run, the killed run and the good run, on a copy of `published` (the session pipeline's)."""
    landing, warehouse = base / "landing", base / "warehouse"
    shutil.copytree(published["landing"], landing)
    shutil.copytree(published["warehouse"], warehouse)
    served = warehouse / "warehouse.duckdb"

    # ---- the rejected run: every bad file at once ----
    before = {"served": sha256(served), "exports": export_digests(warehouse, base / "export_before")}
    for name, (write, _) in BAD_FILES.items():
        write(landing / name)
    improvement = {case: write_bad_improvement_file(landing, case) for case in BAD_IMPROVEMENT_CASES}
    audit = bad_audit_files(landing)
    for name, (rows, _, _) in audit.items():
        with (landing / name).open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, OUTCOME_COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    rejected = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse))
    after = {"served": sha256(served), "exports": export_digests(warehouse, base / "export_after")}
    for part in ("landing", "warehouse"):
        shutil.copytree(base / part, base / "rejected" / part)

    # ---- a reader holds the publication open; a run is SIGKILLed mid-build; a good run publishes ----
    reader = duckdb.connect(str(served), read_only=True)
    opened_run = reader.execute("select run_id from meta.publication").fetchone()[0]
    shutil.copy(landing / "incidents_2019_04.csv", landing / "incidents_2019_04_redelivered.csv")  # same content
    xf.write_incidents(landing / "incidents_2099_02.csv", [xf.incident(incident_id="PS-NEXT-1", division_code="G")])
    # a crime whose division differs from its incident's: a warning, not a structural fault
    xf.write_crimes(
        landing / "crimes_2099_02.csv", [xf.crime(crime_id="CR/W/1", incident_id="PS-NEXT-1", division_code="E")]
    )
    before_kill = sha256(served)
    proc = subprocess.Popen(  # in its own process, which the kill ends (a resident runner's run would go on)
        [SCRS, "run", "--in-process", "--landing", str(landing), "--warehouse", str(warehouse)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    build_dir = warehouse / ".build"
    deadline = time.time() + 120
    while time.time() < deadline and not any(build_dir.glob("*.duckdb")):  # wait until it is building
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after_kill = sha256(served)
    good = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse))
    # What the reader that was open all along sees now. It is closed before anything else opens the served
    # path: DuckDB shares one open database per path within a process, so a second connection made while
    # this one is open would see the old file too (the dashboard's connections are short-lived for this).
    reader_sees = reader.execute("select run_id from meta.publication").fetchone()[0]
    reader_marts = reader.execute("select count(*) from marts.compliance_national_test").fetchone()[0]
    reader.close()

    results = {
        "rejected": _proc(rejected),
        "before": before,
        "after": after,
        "improvement": {case: [path.name, lines] for case, (path, lines) in improvement.items()},
        "audit": audit,
        "opened_run": opened_run,
        "reader_sees": reader_sees,
        "reader_marts": reader_marts,
        "kill": [before_kill, after_kill],
        "good": _proc(good),
    }
    (base / "results.json").write_text(json.dumps(results))


def load(base: Path) -> dict:
    """results.json with the runs as objects with `returncode`, `stdout` and `stderr`, and paths as paths."""
    results = json.loads((base / "results.json").read_text())
    for run in ("rejected", "good"):
        results[run] = SimpleNamespace(**results[run])
    rejected_landing = base / "rejected" / "landing"
    results["improvement"] = {
        case: (rejected_landing / name, lines) for case, (name, lines) in results["improvement"].items()
    }
    results["audit"] = {name: (rows, check, lines) for name, (rows, check, lines) in results["audit"].items()}
    results["kill"] = tuple(results["kill"])
    return results
