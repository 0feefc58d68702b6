"""The service (issue 15): a real `dagster-daemon run` with the shipped deploy/ configuration, and the code server
started as scrs-dagster-code.service starts it, with the landing sensor on: picks up a delivery dropped into the
landing folder and publishes it, then quarantines a bad one and leaves the failure marker, with no command typed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import psutil
import pytest
import yaml

from scrs.ops import last_failure
from tests import extract_factory as xf
from tests.conftest import REPO

DAEMON = str(Path(sys.executable).parent / "dagster-daemon")
CODE_UNIT = REPO / "deploy" / "systemd" / "scrs-dagster-code.service"
KEY = "fiscal_year, fiscal_quarter::int as fiscal_quarter, division_code, test_code"
JOIN_KEY = "fiscal_year, fiscal_quarter, division_code, test_code"


def wait_for(what: str, done: Callable[[], bool], log: Path, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if done():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


def deliver(files: list[Path], landing: Path, staging: Path) -> None:
    """Drop files in as an operator's transfer would: written beside the folder, then moved in."""
    staging.mkdir(exist_ok=True)
    for path in files:
        shutil.copyfile(path, staging / path.name)
        os.replace(staging / path.name, landing / path.name)


def dagster_home(tmp_path: Path) -> Path:
    """The instance's folder: in memory (/dev/shm) where there is one, else under tmp_path.

    Creating a run makes Dagster write one SQLite transaction per planned asset and asset check (about 330
    here, each committed to disk); on a busy disk those commits took 26-32 s per run. The service keeps its
    history on disk (deploy/dagster.yaml); the test needs none of it after the test."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        home = Path(tempfile.mkdtemp(prefix="scrs-dagster-home-", dir=shm))
        (tmp_path / "dagster_home").symlink_to(home)  # findable beside the daemon log
        return home
    home = tmp_path / "dagster_home"
    home.mkdir()
    return home


def unit_command(unit: Path, directive: str, socket_dir: Path) -> list[str]:
    """A systemd unit's command line as this checkout runs it: /opt/scrs is the repository, its virtualenv this
    interpreter's, and the unit's runtime directory (the code server's socket) `socket_dir`."""
    [line] = [line for line in unit.read_text().splitlines() if line.startswith(f"{directive}=")]
    command = line.split("=", 1)[1]
    return shlex.split(
        command.replace("/opt/scrs/.venv/bin/", f"{Path(sys.executable).parent}/")
        .replace("/opt/scrs", str(REPO))
        .replace("/run/scrs-dagster", str(socket_dir))
    )


def stop_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):  # whatever of the group is left (a run worker)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def default_signals() -> None:
    """As systemd starts a unit: SIGTERM and SIGINT at their defaults (a shell may have left them ignored)."""
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


@pytest.fixture
def service(fresh_pipeline: dict[str, Path], tmp_path: Path) -> Iterator[dict[str, Path]]:
    """The code server and the daemon with the deploy/ units, instance and workspace files, on a copy of a
    published warehouse."""
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()  # what the code server's ExecStartPre does
    home = dagster_home(tmp_path)
    instance = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    instance["run_queue"]["dequeue_interval_seconds"] = 1  # the shipped file's 5 s, twice, is waiting only
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance))
    socket_dir = Path(tempfile.mkdtemp(prefix="scrs-code-", dir="/tmp"))  # short: a socket path is 107 bytes at most
    workspace = (REPO / "deploy" / "workspace.yaml").read_text().replace("/run/scrs-dagster", str(socket_dir))
    (home / "workspace.yaml").write_text(workspace)
    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    log, code_log = tmp_path / "daemon.log", tmp_path / "code_server.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCRS_LANDING_DIR": str(landing),
        "SCRS_WAREHOUSE_DIR": str(warehouse),
        "SCRS_LANDING_SENSOR": "on",
        "SCRS_SENSOR_INTERVAL_SECONDS": "1",
        "SCRS_LANDING_SETTLE_SECONDS": "2",
    }
    started: list[subprocess.Popen] = []
    try:
        with open(code_log, "w") as out:
            started.append(
                subprocess.Popen(
                    unit_command(CODE_UNIT, "ExecStart", socket_dir),
                    cwd=REPO,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its code and the run workers it launches share its process group
                    preexec_fn=default_signals,
                )
            )
        # The unit's own readiness check: the daemon starts once the code server answers.
        ready = subprocess.run(unit_command(CODE_UNIT, "ExecStartPost", socket_dir), env=env, timeout=150)
        assert ready.returncode == 0, f"the code server did not answer; its log:\n{code_log.read_text()[-4000:]}"
        with open(log, "w") as out:
            started.append(
                subprocess.Popen(
                    [DAEMON, "run", "-w", str(home / "workspace.yaml")],
                    cwd=tmp_path,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=default_signals,
                )
            )
        yield {
            "landing": landing,
            "warehouse": warehouse,
            "log": log,
            "code_log": code_log,
            "daemon_pid": started[-1].pid,
            "staging": tmp_path / "incoming",
        }
    finally:
        for process in reversed(started):
            stop_group(process)
        shutil.rmtree(socket_dir, ignore_errors=True)
        if not home.is_relative_to(tmp_path):  # the in-memory instance folder
            shutil.rmtree(home, ignore_errors=True)


def publication(served: Path) -> str | None:
    if not served.exists():
        return None
    with duckdb.connect(str(served), read_only=True) as con:
        return con.execute("select run_id from meta.publication").fetchone()[0]


def test_the_daemon_publishes_a_delivery_and_quarantines_a_bad_one(service):
    landing, warehouse, log, staging = service["landing"], service["warehouse"], service["log"], service["staging"]
    served = warehouse / "warehouse.duckdb"
    before = publication(served)
    incidents = [
        xf.incident(incident_id="PS-SVC-1", division_code="E"),
        xf.incident(incident_id="PS-SVC-2", division_code="E"),
    ]
    crimes = [xf.crime(crime_id="CR/SVC/1", incident_id="PS-SVC-1", division_code="E")]
    delivery = [
        xf.write_incidents(staging / "month" / "incidents_2099_01.csv", incidents),
        xf.write_crimes(staging / "month" / "crimes_2099_01.csv", crimes),
    ]
    deliver(delivery, landing, staging)

    wait_for("the delivery to be published", lambda: publication(served) != before, log)
    # The daemon loads no code of its own (a daemon that does replaces its code server every 60 s): its only
    # code server is the unit's, which evaluated the sensor and ran the run.
    daemon_children = [" ".join(c.cmdline()) for c in psutil.Process(service["daemon_pid"]).children(recursive=True)]
    assert not [c for c in daemon_children if "dagster" in c], daemon_children
    with duckdb.connect(str(served), read_only=True) as con:
        loaded = {
            r[0]
            for r in con.execute(
                "select file_name from raw.load_registry where run_id = (select run_id from meta.publication)"
            ).fetchall()
        }
        crime = con.execute(
            "select incident_id from staging.stg_crime_system__crimes where crime_id = 'CR/SVC/1'"
        ).fetchall()
    assert loaded == {"incidents_2099_01.csv", "crimes_2099_01.csv"}, "the whole delivery, in one run"
    assert crime == [("PS-SVC-1",)], "the new crime is in the published build"
    assert last_failure(warehouse) is None
    published = publication(served)

    bad = xf.write_incidents(
        staging / "bad" / "incidents_2099_02.csv",
        [xf.incident(incident_id="PS-BAD-1")],
        column_order=[c for c in xf.INCIDENT_COLUMNS if c != "grade"],
    )
    deliver([bad], landing, staging)
    report = landing / "quarantine" / "incidents_2099_02.csv.report.json"
    wait_for("the bad file to be quarantined", report.exists, log)
    wait_for("the failure marker", lambda: last_failure(warehouse) is not None, log, timeout=90)
    marker = last_failure(warehouse)
    assert "incidents_2099_02.csv" in marker["reason"] and "grade" in marker["reason"], marker
    # The failure alert's ERROR line is in the code server's log (what `journalctl -u scrs-dagster-code` shows).
    wait_for(
        "the failure alert's line in the code server's log",
        lambda: f"scrs: pipeline run {marker['run_id']} failed" in service["code_log"].read_text(),
        log,
        timeout=30,
    )
    assert json.loads(report.read_text()), "the report names the failing checks"
    assert not (landing / "incidents_2099_02.csv").exists()
    assert publication(served) == published, "the failed run published nothing"
