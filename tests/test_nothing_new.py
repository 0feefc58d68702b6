"""A run with nothing new (issue 15): `scrs run` says so, publishes nothing and exits 0, decided before Dagster,
dbt, GX or pandas are imported; the landing sensor starts no run either. Plus the failure marker of scrs.ops.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from scrs.freshness import why_run
from scrs.ops import clear_failure, last_failure, record_failure
from scrs.settings import Settings
from tests import extract_factory as xf
from tests.conftest import REPO, run_scrs


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def settings_for(pipeline: dict[str, Path]) -> Settings:
    return Settings.from_env(pipeline["landing"], pipeline["warehouse"])


def test_a_run_with_nothing_new_says_so_and_publishes_nothing(fresh_pipeline):
    warehouse = fresh_pipeline["warehouse"]
    served = warehouse / "warehouse.duckdb"
    before = (sha256(served), served.stat().st_mtime_ns, sorted(os.listdir(warehouse / "quality" / "history")))
    proc = run_scrs("run", "--landing", str(fresh_pipeline["landing"]), "--warehouse", str(warehouse))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("nothing new:"), proc.stdout
    assert "nothing published" in proc.stdout
    after = (sha256(served), served.stat().st_mtime_ns, sorted(os.listdir(warehouse / "quality" / "history")))
    assert after == before, "the served file and the quality history are untouched"
    assert not any((warehouse / ".build").glob("*")), "no private build was started"


def test_nothing_new_is_decided_without_importing_dagster_dbt_gx_or_pandas(fresh_pipeline):
    """The decision must not pay the pipeline's start-up: none of those modules may even be imported."""
    code = (
        "import sys\n"
        "from scrs.cli import main\n"
        f"rc = main(['run', '--landing', {str(fresh_pipeline['landing'])!r}, "
        f"'--warehouse', {str(fresh_pipeline['warehouse'])!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'dagster', 'dagster_dbt', 'dbt', 'great_expectations', 'pandas', 'streamlit'})\n"
        "print('RESULT', rc, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "RESULT 0 []" in proc.stdout, proc.stdout + proc.stderr


def test_a_redelivered_or_touched_file_is_not_new_but_new_content_is(fresh_pipeline):
    landing = fresh_pipeline["landing"]
    settings = settings_for(fresh_pipeline)
    assert why_run(settings) is None
    first = sorted(landing.glob("incidents_*.csv"))[0]
    shutil.copyfile(first, landing / "incidents_2099_01_redelivered.csv")  # same content, another name
    os.utime(sorted(landing.glob("crimes_*.csv"))[0])  # touched: new mtime, same content (cache re-hashes)
    assert why_run(settings) is None
    # The same file name with changed content (the checksum cache must not hide it).
    target = sorted(landing.glob("training_*.csv"))[-1]
    target.write_bytes(target.read_bytes() + target.read_bytes().splitlines(keepends=True)[-1])
    reason = why_run(settings)
    assert reason is not None and target.name in reason
    target.unlink()
    xf.write_incidents(landing / "incidents_2099_02.csv", [xf.incident(incident_id="PS-NEW-1")])
    reason = why_run(settings)
    assert reason is not None and "incidents_2099_02.csv" in reason


def test_changed_figures_settings_or_no_publication_need_a_run(fresh_pipeline, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRS_COMPLIANCE_TARGET_PCT", "90")
    changed = Settings.from_env(fresh_pipeline["landing"], fresh_pipeline["warehouse"])
    assert why_run(changed) == "the dbt project or its vars changed since the last publication"
    monkeypatch.delenv("SCRS_COMPLIANCE_TARGET_PCT")
    empty = Settings.from_env(fresh_pipeline["landing"], tmp_path / "no-warehouse")
    assert why_run(empty) == "nothing is published yet"


@pytest.fixture(scope="module")
def sensor():
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()
    from dagster_project.definitions import defs

    return defs.resolve_sensor_def("landing_folder_sensor")


def test_the_landing_sensor_starts_no_run_when_nothing_is_new(sensor, fresh_pipeline, monkeypatch):
    from dagster import build_sensor_context  # here, not at module level: the fast tests need no Dagster

    landing = fresh_pipeline["landing"]
    monkeypatch.setenv("SCRS_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(fresh_pipeline["warehouse"]))
    first = sensor.evaluate_tick(build_sensor_context(cursor=None))
    assert not first.run_requests and "nothing new" in first.skip_message
    shutil.copyfile(sorted(landing.glob("crimes_*.csv"))[0], landing / "crimes_2099_01_again.csv")
    second = sensor.evaluate_tick(build_sensor_context(cursor=first.cursor))
    assert not second.run_requests, "a re-delivered file changes the folder but adds nothing"
    xf.write_crimes(landing / "crimes_2099_02.csv", [xf.crime(crime_id="CR/W/9", incident_id="PS-NEW-9")])
    third = sensor.evaluate_tick(build_sensor_context(cursor=second.cursor))
    assert len(third.run_requests) == 1


def test_the_failure_marker_round_trip(tmp_path):
    assert last_failure(tmp_path) is None
    path = record_failure(tmp_path, "run-1", "incidents_2021_01.csv: missing column grade\nsecond line")
    assert path == tmp_path / "status" / "last_run_failed.json"
    marker = last_failure(tmp_path)
    assert marker["run_id"] == "run-1" and marker["reason"] == "incidents_2021_01.csv: missing column grade"
    record_failure(tmp_path, "run-2", "later failure", source="scrs run")
    assert last_failure(tmp_path)["run_id"] == "run-2"
    clear_failure(tmp_path)
    assert last_failure(tmp_path) is None


def test_a_build_starts_as_a_private_copy_of_the_served_file(tmp_path):
    """A clone on XFS/Btrfs, a copy elsewhere (this machine's ext4 exercises the copy): the same bytes, and
    writing the build leaves the original untouched."""
    from scrs.publish import clone_or_copy

    src, dst = tmp_path / "served.bin", tmp_path / "build.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024))
    how = clone_or_copy(src, dst)
    assert how in {"clone", "copy"}
    assert sha256(dst) == sha256(src)
    original = sha256(src)
    with open(dst, "r+b") as build:
        build.write(b"changed")
    assert sha256(src) == original


def test_the_sensor_waits_while_a_run_holds_the_lock(sensor, fresh_pipeline, monkeypatch):
    import fcntl

    from dagster import build_sensor_context

    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    monkeypatch.setenv("SCRS_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    xf.write_crimes(landing / "crimes_2099_03.csv", [xf.crime(crime_id="CR/W/10", incident_id="PS-NEW-10")])
    with open(warehouse / ".run.lock", "a+") as lock:  # as `scrs run` typed by hand holds it
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = sensor.evaluate_tick(build_sensor_context(cursor=None))
    assert not busy.run_requests and "in progress" in busy.skip_message
    free = sensor.evaluate_tick(build_sensor_context(cursor=busy.cursor))
    assert len(free.run_requests) == 1


def test_a_run_the_daemon_launches_takes_the_run_lock(sensor, fresh_pipeline, monkeypatch):
    """Not only `scrs run`: a run started by the service refuses to build while another run holds the lock."""
    import fcntl

    from dagster import DagsterInstance

    from dagster_project.definitions import defs
    from dagster_project.runner import failure_reason

    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    monkeypatch.setenv("SCRS_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    xf.write_crimes(landing / "crimes_2099_04.csv", [xf.crime(crime_id="CR/W/11", incident_id="PS-NEW-11")])
    served = sha256(warehouse / "warehouse.duckdb")
    with open(warehouse / ".run.lock", "a+") as lock, DagsterInstance.ephemeral() as instance:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = defs.resolve_job_def("scrs_pipeline").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    assert failure_reason(result).startswith("another pipeline run is in progress"), failure_reason(result)
    assert not any((warehouse / ".build").glob("*.duckdb")), "nothing was built"
    assert sha256(warehouse / "warehouse.duckdb") == served


def test_a_scheduled_run_waits_for_the_run_in_progress_then_publishes(sensor, fresh_pipeline, monkeypatch, caplog):
    """The weekly rebuild at 03:00 on a Sunday may meet a delivery's run in the resident runner: a run a schedule
    started waits for the lock rather than fail (nobody is there to start it again), then builds and publishes."""
    import fcntl
    import threading

    from dagster import DagsterInstance

    from dagster_project.definitions import defs
    from dagster_project.resources import SCHEDULE_NAME_TAG
    from dagster_project.runner import failure_reason, step_times

    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    monkeypatch.setenv("SCRS_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    xf.write_crimes(landing / "crimes_2099_05.csv", [xf.crime(crime_id="CR/W/12", incident_id="PS-NEW-12")])
    served = sha256(warehouse / "warehouse.duckdb")
    held = threading.Event()
    released_at: list[float] = []

    def another_run() -> None:
        with open(warehouse / ".run.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            held.set()
            time.sleep(3)
            released_at.append(time.time())
            fcntl.flock(lock, fcntl.LOCK_UN)

    holder = threading.Thread(target=another_run)
    holder.start()
    held.wait(10)
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("scrs_pipeline").execute_in_process(
            instance=instance, raise_on_error=False, tags={SCHEDULE_NAME_TAG: "monthly_committee_run"}
        )
        ingest_started = min(
            start for step, start, _ in step_times(instance, result.run_id) if step.startswith("landing")
        )
    holder.join()
    assert result.success, failure_reason(result)
    assert any("waiting for it to end" in r.getMessage() for r in caplog.records), "it found the lock held"
    assert ingest_started >= released_at[0], "it waited for the other run to end"
    assert sha256(warehouse / "warehouse.duckdb") != served, "then published"


def test_a_scheduled_run_gives_up_waiting_with_a_plain_reason(sensor, fresh_pipeline, monkeypatch, caplog):
    import fcntl

    from dagster import DagsterInstance

    from dagster_project.definitions import defs
    from dagster_project.resources import SCHEDULE_NAME_TAG
    from dagster_project.runner import failure_reason

    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    monkeypatch.setenv("SCRS_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("SCRS_SCHEDULED_RUN_WAIT_SECONDS", "1.5")
    served = sha256(warehouse / "warehouse.duckdb")
    with open(warehouse / ".run.lock", "a+") as lock, DagsterInstance.ephemeral() as instance:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        result = defs.resolve_job_def("scrs_pipeline").execute_in_process(
            instance=instance, raise_on_error=False, tags={SCHEDULE_NAME_TAG: "weekly_full_rebuild"}
        )
        waited = time.monotonic() - started
    assert not result.success and waited >= 1.5
    reason = failure_reason(result)
    assert reason.startswith("another pipeline run is in progress") and "waited" in reason, reason
    waiting = [r for r in caplog.records if r.name == "scrs.publish" and "waiting for it to end" in r.getMessage()]
    assert waiting and waiting[0].levelname == "WARNING", "the wait is in the journal"
    assert sha256(warehouse / "warehouse.duckdb") == served


class _DyingRunner:
    """A listener on the runner's socket that takes each request and closes without running it: what the sensor
    sees of a resident runner killed (OOM, a restart) with a delivery handed to it."""

    def __init__(self, path: Path) -> None:
        import socket
        import threading

        self.path, self.taken = path, 0
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                self.taken += 1

    def has_taken(self, n: int) -> bool:
        """Whether exactly `n` requests have been taken (waiting briefly: the count is kept by another thread)."""
        import time

        deadline = time.monotonic() + 10
        while self.taken < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.taken == n

    def stop(self) -> None:
        import socket

        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(timeout=5)
        self.path.unlink()


def test_a_delivery_handed_to_a_runner_that_died_is_started_again(sensor, fresh_pipeline, monkeypatch, tmp_path):
    """The hand-over is in the sensor's cursor; once the grace period has passed with no publication, no failure
    recorded and no run holding the warehouse, the next tick hands it over again, or launches it when no runner
    listens any more. A failure recorded or a publication after the hand-over means the run ended: no retry."""
    from dagster import build_sensor_context

    import dagster_project.sensors as sensors

    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    sock = Path(tempfile.mkdtemp(prefix="scrs-dr-", dir="/tmp")) / "r.sock"  # socket paths are short
    settings = {"SCRS_LANDING_DIR": landing, "SCRS_WAREHOUSE_DIR": warehouse, "SCRS_RUNNER_SOCKET": sock}
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))
    xf.write_crimes(landing / "crimes_2099_04.csv", [xf.crime(crime_id="CR/W/11", incident_id="PS-NEW-11")])
    runner = _DyingRunner(sock)
    try:
        handed = sensor.evaluate_tick(build_sensor_context(cursor=None))
        assert not handed.run_requests and "handed to the resident runner" in handed.skip_message
        assert runner.has_taken(1) and " handed at " in handed.cursor
        soon = sensor.evaluate_tick(build_sensor_context(cursor=handed.cursor))
        assert not soon.run_requests and runner.has_taken(1), "within the grace period the runner may be busy"

        monkeypatch.setattr(sensors, "HAND_OVER_GRACE_SECONDS", 0.0)
        again = sensor.evaluate_tick(build_sensor_context(cursor=handed.cursor))
        assert "handed to the resident runner" in again.skip_message and runner.has_taken(2)
    finally:
        runner.stop()
    launched = sensor.evaluate_tick(build_sensor_context(cursor=again.cursor))
    assert len(launched.run_requests) == 1, launched.skip_message

    handed_at = float(again.cursor.split(" handed at ")[1])
    record_failure(warehouse, "run-after", "the run failed")  # the run ended, badly: an engineer acts
    failed = sensor.evaluate_tick(build_sensor_context(cursor=again.cursor))
    assert not failed.run_requests and "no new extract files" in failed.skip_message
    clear_failure(warehouse)
    os.utime(warehouse / "warehouse.duckdb", (handed_at + 1, handed_at + 1))  # published after the hand-over
    published = sensor.evaluate_tick(build_sensor_context(cursor=again.cursor))
    assert not published.run_requests and "no new extract files" in published.skip_message
