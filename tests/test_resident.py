"""The resident runner (`scrs serve`, issue 15): `scrs run` submits to it when it listens and the run is the same
pipeline's, with none of the start-up; one run's settings never reach the next; a busy warehouse is refused as
in-process; nobody else can submit; without a runner `scrs run` runs in its own process."""

from __future__ import annotations

import filecmp
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scrs.publish import run_in_progress, run_lock, served_signature
from scrs.resident import MAX_SOCKET_PATH, connect, forwarded_environment, submit
from scrs.settings import Settings
from tests import extract_factory as xf
from tests.conftest import SCRS, run_scrs

pytestmark = pytest.mark.pipeline
MARTS = "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"


@pytest.fixture(scope="module")
def runner() -> Iterator[dict]:
    """A real `scrs serve` on a short socket path (Unix socket paths are limited to 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="scrs-rr-", dir="/tmp"))
    sock = folder / "runner.sock"
    log = folder / "serve.log"
    env = {**os.environ, "SCRS_DEMO_MODE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen([SCRS, "serve", "--socket", str(sock)], stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    while "ready on" not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "scrs serve did not become ready: " + log.read_text()
        time.sleep(0.2)
    yield {"socket": sock, "log": log, "proc": proc}
    proc.terminate()
    assert proc.wait(timeout=60) == 0, log.read_text()
    assert not sock.exists(), "the runner removes its socket when it stops"


def submitted(runner: dict, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run_scrs(*args, env={"SCRS_RUNNER_SOCKET": str(runner["socket"]), **env})


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        names = [r[0] for r in con.execute(MARTS).fetchall()]
        return {n: sorted(con.execute(f"select * from marts.{n}").fetchall(), key=repr) for n in names}


def test_a_submitted_run_is_the_pipeline_run_in_the_runner(runner, fresh_pipeline, published_warehouse):
    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    served_before = (warehouse / "warehouse.duckdb").stat().st_ino
    # every model rebuilt from the landing folder in the runner, not left as published
    proc = submitted(runner, "run", "--full-refresh", "--landing", str(landing), "--warehouse", str(warehouse))
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_id = proc.stdout.strip().rsplit("(run ", 1)[1].rstrip(")")
    # the run happened in the runner (its log names it), not in the command's process, and the command showed
    # the run's progress lines as they came
    assert f"run {run_id} on {warehouse.resolve()}: published" in runner["log"].read_text()
    assert "(full refresh: asked for" in proc.stderr and "dbt build: done, every data test passed" in proc.stderr
    # a new publication (atomic swap), with the same marts as the session's in-process run of the same files
    assert (warehouse / "warehouse.duckdb").stat().st_ino != served_before
    assert marts(warehouse) == marts(published_warehouse)
    # dbt ran in the runner's process too (no dbt subprocess), and let go of the file it built: the runner
    # holds no lock on the published file
    assert "dbt build in the runner's own process" in runner["log"].read_text()
    duckdb.connect(str(warehouse / "warehouse.duckdb")).close()
    # once the command had its answer, the runner copied the new publication for the next run to start from
    ready = f"a copy of the publication on {warehouse.resolve()} is ready for the next run"
    deadline = time.monotonic() + 60
    while ready not in runner["log"].read_text():
        assert time.monotonic() < deadline, runner["log"].read_text()[-2000:]
        time.sleep(0.2)
    standby = warehouse / ".standby"
    assert (standby / "publication.base").read_text() == served_signature(Settings.from_env(landing, warehouse))
    assert filecmp.cmp(standby / "publication.duckdb", warehouse / "warehouse.duckdb", shallow=False)


def test_the_landing_sensor_hands_a_delivery_to_the_runner(runner, fresh_pipeline, monkeypatch):
    """The service's path: the sensor finds a delivery, hands it to the runner and returns at once; the runner
    runs it. The delivery has a bad division code, so the run stops at the quality gate (no dbt build needed
    to show where it ran): the file is quarantined and the failure is recorded, as for any run."""
    from dagster import SkipReason, build_sensor_context

    from dagster_project.sensors import landing_folder_sensor
    from scrs.ops import failure_marker

    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    xf.write_incidents(landing / "incidents_bad_division.csv", [xf.incident(incident_id="PS-R-1", division_code="Z")])
    for name, value in {
        "SCRS_LANDING_DIR": str(landing),
        "SCRS_WAREHOUSE_DIR": str(warehouse),
        "SCRS_RUNNER_SOCKET": str(runner["socket"]),
        "SCRS_DEMO_MODE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    served_before = (warehouse / "warehouse.duckdb").read_bytes()
    result = landing_folder_sensor(build_sensor_context())
    assert isinstance(result, SkipReason), result
    assert "handed to the resident runner" in result.skip_message
    marker = failure_marker(warehouse)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert time.monotonic() < deadline, runner["log"].read_text()[-3000:]
        time.sleep(0.5)
    assert "incidents_bad_division.csv" in json.loads(marker.read_text())["reason"]
    assert (landing / "quarantine" / "incidents_bad_division.csv").exists()
    assert (warehouse / "warehouse.duckdb").read_bytes() == served_before
    run_id = json.loads(marker.read_text())["run_id"]
    deadline = time.monotonic() + 30  # the runner logs the failure just after recording it
    while f"scrs: pipeline run {run_id} failed" not in runner["log"].read_text():
        assert time.monotonic() < deadline, runner["log"].read_text()[-3000:]
        time.sleep(0.2)


def test_a_busy_warehouse_is_refused_by_the_runner_as_in_process(runner, fresh_pipeline):
    settings = Settings.from_env(fresh_pipeline["landing"], fresh_pipeline["warehouse"])
    deadline = time.monotonic() + 60
    while run_in_progress(settings):  # the runner may still be copying the publication after the last run
        assert time.monotonic() < deadline, runner["log"].read_text()[-2000:]
        time.sleep(0.1)
    with run_lock(settings):
        proc = submitted(
            runner, "run", "--force", "--landing", str(settings.landing_dir), "--warehouse", str(settings.warehouse_dir)
        )
    assert proc.returncode == 3, proc.stderr
    assert "another pipeline run is in progress" in proc.stderr
    assert runner["proc"].poll() is None, "the runner goes on serving"


def test_only_the_runners_user_may_connect(runner):
    assert stat.S_IMODE(runner["socket"].stat().st_mode) == 0o600


def test_a_run_sees_the_submitting_commands_settings_only_for_that_run(monkeypatch):
    from dagster_project.resident import run_environment

    monkeypatch.setenv("SCRS_SERVER_ONLY", "runner")
    monkeypatch.setenv("SCRS_BOTH", "runner")
    monkeypatch.setenv("OTHER_VARIABLE", "kept")
    before = dict(os.environ)
    with run_environment({"SCRS_BOTH": "client", "SCRS_CLIENT_ONLY": "client"}):
        assert os.environ["SCRS_BOTH"] == "client"
        assert os.environ["SCRS_CLIENT_ONLY"] == "client"
        assert "SCRS_SERVER_ONLY" not in os.environ  # as in the command's own process, where it was not set
        assert os.environ["OTHER_VARIABLE"] == "kept"
        os.environ["SCRS_LANDING_DIR"] = "/set/by/the/run"  # run_pipeline sets its folders
    assert dict(os.environ) == before


def test_a_request_forwards_the_products_settings_and_nothing_else():
    env = {"SCRS_PSEUDONYM_KEY": "k", "SCRS_DEMO_MODE": "1", "DO_NOT_TRACK": "1", "HOME": "/root", "PATH": "/bin"}
    assert forwarded_environment(env) == {"SCRS_PSEUDONYM_KEY": "k", "SCRS_DEMO_MODE": "1", "DO_NOT_TRACK": "1"}


def test_without_a_listening_runner_the_command_runs_the_pipeline_itself(tmp_path, monkeypatch):
    stale = tmp_path / "stale.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))
    dead.close()  # a socket file nobody listens on: a runner that was killed
    for path in (tmp_path / "absent.sock", stale):
        monkeypatch.setenv("SCRS_RUNNER_SOCKET", str(path))
        assert connect(path) is None
        assert submit(tmp_path / "landing", tmp_path / "warehouse") is None


def test_the_runner_will_not_start_where_it_cannot_or_where_one_listens(runner, tmp_path):
    from dagster_project.resident import RunnerStartError, listen

    with pytest.raises(RunnerStartError, match="already listening"):
        listen(runner["socket"])
    too_long = Path("/tmp") / ("x" * MAX_SOCKET_PATH) / "runner.sock"
    with pytest.raises(RunnerStartError, match="SCRS_RUNNER_SOCKET"):
        listen(too_long)
    stale = tmp_path / "stale.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))
    dead.close()
    server = listen(stale)  # a stale socket file is replaced
    try:
        assert connect(stale) is not None
    finally:
        server.close()


def test_dbt_in_the_runner_fails_as_a_dbt_process_would(tmp_path, monkeypatch):
    """dagster-dbt judges dbt by its exit status and its error lines: the in-process stand-in gives both."""
    from dagster_project.dbt_in_process import InProcessDbt
    from scrs.settings import DBT_PROJECT_DIR

    monkeypatch.setenv("SCRS_DUCKDB_PATH", str(tmp_path / "dbt.duckdb"))
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    dbt_env = {
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "target"),
        "DBT_LOG_FORMAT": "json",
    }
    dbt = InProcessDbt(
        ["dbt", "run-operation", "no_such_macro_here"], env={**os.environ, **dbt_env}, cwd=DBT_PROJECT_DIR
    )
    lines = [json.loads(line) for line in dbt.stdout]
    assert dbt.wait() in (1, 2)
    errors = [line["info"]["msg"] for line in lines if line["info"]["level"] == "error"]
    assert any("no_such_macro_here" in message for message in errors), errors
    assert "DBT_TARGET_PATH" not in os.environ  # the command's settings were put back


def test_a_changed_dbt_project_is_run_in_process_not_with_stale_definitions(monkeypatch):
    from dagster_project import resident
    from dagster_project.dbt_project import prepare_manifest

    monkeypatch.setattr(resident, "_loaded_manifest", resident.manifest_version(prepare_manifest()))
    assert not resident.definitions_are_stale()
    monkeypatch.setattr(resident, "_loaded_manifest", (0, 0))  # as if the manifest were remade since
    assert resident.definitions_are_stale()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
