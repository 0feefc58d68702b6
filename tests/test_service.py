"""The service (issue 15): a real `dagster-daemon run` with the shipped deploy/ configuration and the landing sensor
on picks up a delivery dropped into the landing folder and publishes it, then quarantines a bad one and leaves
the failure marker, with no command typed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from scrs.ops import last_failure
from tests import extract_factory as xf
from tests.conftest import REPO

DAEMON = str(Path(sys.executable).parent / "dagster-daemon")
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


@pytest.fixture
def service(fresh_pipeline: dict[str, Path], tmp_path: Path) -> Iterator[dict[str, Path]]:
    """The daemon with the deploy/ instance and workspace files, on a copy of a published warehouse."""
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()  # what the service's ExecStartPre does
    home = dagster_home(tmp_path)
    instance = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    instance["run_queue"]["dequeue_interval_seconds"] = 1  # the shipped file's 5 s, twice, is waiting only
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance))
    workspace = (REPO / "deploy" / "workspace.yaml").read_text().replace("/opt/scrs", str(REPO))
    (home / "workspace.yaml").write_text(workspace)
    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    log = tmp_path / "daemon.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCRS_LANDING_DIR": str(landing),
        "SCRS_WAREHOUSE_DIR": str(warehouse),
        "SCRS_LANDING_SENSOR": "on",
        "SCRS_SENSOR_INTERVAL_SECONDS": "1",
        "SCRS_LANDING_SETTLE_SECONDS": "2",
    }
    with open(log, "w") as out:
        daemon = subprocess.Popen(
            [DAEMON, "run", "-w", str(home / "workspace.yaml")],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its code server and run workers share its process group
        )
    try:
        yield {"landing": landing, "warehouse": warehouse, "log": log, "staging": tmp_path / "incoming"}
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            daemon.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is left (code server, run worker)
            os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()
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
    assert json.loads(report.read_text()), "the report names the failing checks"
    assert not (landing / "incidents_2099_02.csv").exists()
    assert publication(served) == published, "the failed run published nothing"
