"""The quality gate and atomic publication, end to end through `scrs run` (issue 3's acceptance).

Each bad extract is dropped into a copy of a landing folder that has already been published; the run must
fail with a one-line reason naming the file and check, quarantine the file with a report of the right lines,
and leave the published warehouse (and what is exported from it) byte-for-byte as it was. One rejected run
carries every bad file: the extracts', the improvement tracker's and the registrar verdicts' (contract
section 6, issue 12's acceptance; formerly tests/test_audit_publication.py, a second rejected run).
The runs are built once per session (tests/publication_sequence.py), and test_incremental.py continues from
their end: its full rebuild is the one the good run's incremental build is compared with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_scrs
from tests.publication_sequence import AUDIT_BAD_FILES, BAD_FILES, BAD_IMPROVEMENT_CASES, load


def report(landing: Path, name: str) -> dict:
    return json.loads((landing / "quarantine" / f"{name}.report.json").read_text())


def failing(report_: dict, check: str, column: str | None = None) -> dict:
    matches = [c for c in report_["checks"] if c["check"] == check and (column is None or c["column"] == column)]
    assert matches, f"{check} [{column}] not in {[(c['check'], c['column']) for c in report_['checks']]}"
    return matches[0]


def quality_reasons(stderr: str) -> dict[str, str]:
    """Each extract kind's one-line gate reason, from the run's progress lines on stderr."""
    return dict(re.findall(r"^scrs run: \S+ quality (\w+): (.*); \d+ warning\(s\)$", stderr, re.M))


@pytest.fixture(scope="module")
def sequence(publication_sequence: Path) -> dict:
    return load(publication_sequence)


@pytest.fixture(scope="module")
def rejected_run(sequence, publication_sequence: Path) -> dict:
    """One `scrs run` with every bad file at once, on a copy of an already-published landing and warehouse
    (tests/publication_sequence.py): its folders as it left them."""
    return {
        "proc": sequence["rejected"],
        "landing": publication_sequence / "rejected" / "landing",
        "warehouse": publication_sequence / "rejected" / "warehouse",
        **{key: sequence[key] for key in ("before", "after", "improvement", "audit")},
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
def next_publication(sequence, publication_sequence: Path) -> dict:
    """After the rejection: a reader holds the publication open, a run is SIGKILLed mid-build, then a good run
    publishes the files left in landing plus a new incident, a re-delivered file and a warning case
    (tests/publication_sequence.py)."""
    keys = ("opened_run", "reader_sees", "reader_marts", "kill", "good")
    return {
        "landing": publication_sequence / "landing",
        "warehouse": publication_sequence / "warehouse",
        **{key: sequence[key] for key in keys},
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


def test_the_next_good_run_built_incrementally(next_publication):
    """The next good run built staging incrementally. That it equals a full rebuild of the same landing folder
    is checked in tests/test_incremental.py, whose deliveries continue from this run's landing and warehouse:
    every mart and verdict model of its incremental warehouse against its full rebuild (formerly a rebuild of
    its own here, comparing the four compliance marts)."""
    progress = next_publication["good"].stderr
    assert "dbt build:" in progress and "full refresh" not in progress, "the next run should be incremental"
