"""The quality gate and atomic publication, end to end through `scrs run` (issue 3's acceptance).

Each bad extract is dropped into a copy of a landing folder that has already been published; the run must
fail with a one-line reason naming the file and check, quarantine the file with a report of the right lines,
and leave the published warehouse (and what is exported from it) byte-for-byte as it was. One rejected run
carries every bad file: the extracts', the improvement tracker's and the registrar verdicts' (contract
section 6, issue 12's acceptance; formerly tests/test_audit_publication.py, a second rejected run).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

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


def report(landing: Path, name: str) -> dict:
    return json.loads((landing / "quarantine" / f"{name}.report.json").read_text())


def failing(report_: dict, check: str, column: str | None = None) -> dict:
    matches = [c for c in report_["checks"] if c["check"] == check and (column is None or c["column"] == column)]
    assert matches, f"{check} [{column}] not in {[(c['check'], c['column']) for c in report_['checks']]}"
    return matches[0]


G1 = "PS-20990101-{:05d}"

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


def quality_reasons(stderr: str) -> dict[str, str]:
    """Each extract kind's one-line gate reason, from the run's progress lines on stderr."""
    return dict(re.findall(r"^scrs run: \S+ quality (\w+): (.*); \d+ warning\(s\)$", stderr, re.M))


@pytest.fixture(scope="module")
def rejected_run(pipeline_run, tmp_path_factory):
    """One `scrs run` with every bad file at once, on a copy of an already-published landing and warehouse."""
    base = tmp_path_factory.mktemp("rejected")
    landing, warehouse = base / "landing", base / "warehouse"
    shutil.copytree(pipeline_run["landing"], landing)
    shutil.copytree(pipeline_run["warehouse"], warehouse)
    served = warehouse / "warehouse.duckdb"
    before = {"served": sha256(served), "exports": export_digests(warehouse, base / "export_before")}
    for name, (write, _) in BAD_FILES.items():
        write(landing / name)
    improvement_lines = {case: write_bad_improvement_file(landing, case) for case in BAD_IMPROVEMENT_CASES}
    audit = bad_audit_files(landing)
    for name, (rows, _, _) in audit.items():
        with (landing / name).open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, OUTCOME_COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    proc = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse))
    after = {"served": sha256(served), "exports": export_digests(warehouse, base / "export_after")}
    return {
        "proc": proc,
        "landing": landing,
        "warehouse": warehouse,
        "before": before,
        "after": after,
        "improvement": improvement_lines,
        "audit": audit,
    }


def test_a_bad_extract_stops_publication_with_a_one_line_reason(rejected_run):
    proc = rejected_run["proc"]
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("scrs run: not published: ")
    assert "_bad_" in last and ".csv" in last, last
    assert "quarantined" in last


def test_the_published_warehouse_and_its_exports_are_unchanged(rejected_run):
    assert rejected_run["after"]["served"] == rejected_run["before"]["served"]
    assert rejected_run["after"]["exports"] == rejected_run["before"]["exports"]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_is_quarantined_with_a_report_of_the_failing_lines(rejected_run, name):
    landing = rejected_run["landing"]
    assert not (landing / name).exists(), "a rejected file must leave the landing folder"
    assert (landing / "quarantine" / name).exists()
    check, column, lines = BAD_FILES[name][1]
    found = failing(report(landing, name), check, column)
    assert found["severity"] == "blocking"
    assert found["first_lines"][: len(lines)] == lines
    text = (landing / "quarantine" / f"{name}.report.txt").read_text()
    assert name in text and check in text


@pytest.mark.parametrize("case", sorted(BAD_IMPROVEMENT_CASES))
def test_bad_improvement_plan_updates_are_quarantined_like_the_others(rejected_run, case):
    path, lines = rejected_run["improvement"][case]
    landing = rejected_run["landing"]
    assert not path.exists() and (landing / "quarantine" / path.name).exists()
    check, column = BAD_IMPROVEMENT_CASES[case]
    found = failing(report(landing, path.name), check, column)
    assert found["severity"] == "blocking"
    assert found["first_lines"] == lines


def test_each_kind_names_its_bad_files_checks_and_lines_and_the_last_line_is_one_of_them(rejected_run):
    """Formerly a run of its own with one bad file: each kind's reason names every bad file of that kind with
    its check and lines, and the run's last line is the first failing kind's reason."""
    stderr = rejected_run["proc"].stderr
    reasons = quality_reasons(stderr)
    bad = {name: (check, lines) for name, (_, (check, _, lines)) in BAD_FILES.items()}
    bad |= {name: (check, lines) for name, (_, check, lines) in rejected_run["audit"].items()}
    for name, (check, lines) in bad.items():
        reason = reasons[name.split("_bad_")[0]]
        assert f"{name}: " in reason, (name, reason)
        mine = reason.split(f"{name}: ", 1)[1].split(" | ")[0]
        found = re.search(rf"{check}(?: \[[^\]]*\])? failed(?: on \d+ rows)?(?: \(lines ([^)]*)\))?", mine)
        assert found, (name, check, mine)
        shown = [int(x) for x in (found.group(1) or "").replace(", ...", "").split(", ") if x]
        assert shown[: len(lines)] == lines, (name, mine)
    last = stderr.strip().splitlines()[-1]
    assert last.removeprefix("scrs run: not published: ") in reasons.values(), last


def test_the_rejected_run_shows_no_stack_trace_only_progress_and_the_reason(rejected_run):
    """Dagster's failed-step logs (stack traces, source paths) go to the run's log file, not the terminal."""
    stderr = rejected_run["proc"].stderr
    assert all(line.startswith("scrs run: ") for line in stderr.strip().splitlines()), stderr[-3000:]
    for internal in ("Traceback", "Stack Trace", "site-packages", "dagster - ERROR"):
        assert internal not in stderr
    log = (rejected_run["warehouse"] / "logs" / "last_run_stdout.log").read_text()
    assert "DagsterAssetCheckFailedError" in log, "the detail is kept in the run's log"


def test_the_rejected_runs_results_are_kept_in_history(rejected_run):
    warehouse = rejected_run["warehouse"]
    history = list((warehouse / "quality" / "history").glob("*.parquet"))
    rows = duckdb.sql(
        f"select check_name, success from read_parquet({[str(h) for h in history]}) "
        "where file_name = 'crimes_bad_recorded_before_reported.csv'"
    ).fetchall()
    assert ("recorded_at_not_before_reported_at", False) in rows, "the failed run's results are kept in history"


@pytest.mark.parametrize("name", AUDIT_BAD_FILES)
def test_each_bad_registrar_verdict_is_quarantined_with_its_check_and_line(rejected_run, name):
    landing = rejected_run["landing"]
    _, check, lines = rejected_run["audit"][name]
    assert (landing / "quarantine" / name).exists() and not (landing / name).exists()
    got = failing(report(landing, name), check)
    assert got["first_lines"][:5] == lines, got
    checks = {c["check"] for c in report(landing, name)["checks"]}
    assert checks == {check}, f"only the planted fault blocks: {checks}"


@pytest.fixture(scope="module")
def next_publication(rejected_run):
    """After the rejection: a reader holds the publication open, a run is SIGKILLed mid-build, then a good run
    publishes the files left in landing plus a new incident, a re-delivered file and a warning case."""
    landing, warehouse = rejected_run["landing"], rejected_run["warehouse"]
    served = warehouse / "warehouse.duckdb"
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
    return {
        "landing": landing,
        "warehouse": warehouse,
        "opened_run": opened_run,
        "reader_sees": reader_sees,
        "reader_marts": reader_marts,
        "kill": (before_kill, after_kill),
        "good": good,
    }


def test_a_run_killed_mid_build_leaves_the_publication_unchanged(next_publication):
    before, after = next_publication["kill"]
    assert before == after


def test_the_next_good_run_publishes_what_was_left_in_landing(next_publication):
    good = next_publication["good"]
    assert good.returncode == 0, good.stderr[-2000:]
    assert len(list(next_publication["landing"].glob("incidents_*.csv"))) > 10, "good files stayed in landing"
    warehouse = next_publication["warehouse"]
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.incidents where incident_id = 'PS-NEXT-1'").fetchone()[0] == 1
        names = [r[0] for r in con.execute("select file_name from raw.load_registry").fetchall()]
    assert "incidents_2019_04_redelivered.csv" not in names, "the same content under another name adds nothing"
    assert not list((warehouse / ".build").glob("*.duckdb")), "no build file is left behind"


def test_a_reader_keeps_its_publication_while_a_run_publishes(next_publication):
    assert next_publication["reader_sees"] == next_publication["opened_run"]
    assert next_publication["reader_marts"] > 0
    with duckdb.connect(str(next_publication["warehouse"] / "warehouse.duckdb"), read_only=True) as fresh:
        assert fresh.execute("select run_id from meta.publication").fetchone()[0] != next_publication["opened_run"]


def test_warnings_are_recorded_but_do_not_block(next_publication):
    with duckdb.connect(str(next_publication["warehouse"] / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select severity, success from quality.check_results "
            "where file_name = 'crimes_2099_02.csv' and check_name = 'division_matches_linked_incident' "
            "and run_id = (select run_id from meta.publication)"  # the killed run's results are kept too
        ).fetchall()
    assert rows == [("warning", False)]


def test_another_run_in_progress_is_refused(fresh_pipeline):
    import fcntl

    warehouse = fresh_pipeline["warehouse"]
    with open(warehouse / ".run.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = run_scrs("run", "--landing", str(fresh_pipeline["landing"]), "--warehouse", str(warehouse))
    assert proc.returncode == 3
    assert "another pipeline run is in progress" in proc.stderr.strip().splitlines()[-1]


def test_an_incremental_build_equals_a_full_rebuild(next_publication, tmp_path):
    """The next good run built staging incrementally; a fresh warehouse from the same landing folder must agree."""
    progress = next_publication["good"].stderr
    assert "dbt build:" in progress and "full refresh" not in progress, "the next run should be incremental"
    full = tmp_path / "full"
    proc = run_scrs("run", "--landing", str(next_publication["landing"]), "--warehouse", str(full), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    marts = ["compliance_by_division_test", "compliance_by_command_area_test", "compliance_national_test"]
    queries = {m: f"select * from marts.{m} order by all" for m in marts}
    queries["record_failures"] = (
        "select test_code, record_id, division_code, fiscal_year, fiscal_quarter, failure_reasons "
        "from marts.record_failures order by all"
    )
    results = []
    for warehouse in (next_publication["warehouse"], full):
        with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
            results.append({name: con.execute(sql).fetchall() for name, sql in queries.items()})
    incremental, rebuilt = results
    for name in queries:
        assert incremental[name] == rebuilt[name], name
