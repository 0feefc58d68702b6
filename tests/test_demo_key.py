"""The public demo pseudonymisation key is refused outside demo mode, by `scrs run` and by the Dagster job."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scrs.keys import DemoKeyRefused, require_pseudonym_key
from scrs.settings import Settings
from tests import extract_factory as xf
from tests.conftest import run_scrs

NOT_DEMO = {"SCRS_DEMO_MODE": "0"}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    xf.write_incidents(folder / "incidents_2021_01.csv", [xf.incident()])
    return folder


def test_scrs_run_refuses_the_demo_key_unless_demo_mode_is_asked_for(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    proc = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet", env=NOT_DEMO)
    assert proc.returncode == 2
    assert "DEMO key" in proc.stderr and "SCRS_PSEUDONYM_KEY" in proc.stderr
    assert not (warehouse / "warehouse.duckdb").exists()
    assert (landing / "incidents_2021_01.csv").exists()  # nothing moved, nothing read


def test_the_refusal_is_not_just_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRS_DEMO_MODE", "0")
    monkeypatch.delenv("SCRS_PSEUDONYM_KEY", raising=False)
    with pytest.raises(DemoKeyRefused):
        require_pseudonym_key(Settings.from_env("l", "w"))
    monkeypatch.setenv("SCRS_PSEUDONYM_KEY", "a-real-secret-of-some-length")
    assert require_pseudonym_key(Settings.from_env("l", "w")) == "a-real-secret-of-some-length"
    monkeypatch.delenv("SCRS_PSEUDONYM_KEY")
    monkeypatch.setenv("SCRS_DEMO_MODE", "1")
    assert require_pseudonym_key(Settings.from_env("l", "w")) == Settings.from_env("l", "w").pseudonym_key


@pytest.mark.dbt  # parses the dbt project for the Dagster definitions (prepare_manifest)
def test_the_dagster_job_refuses_the_demo_key_outside_demo_mode(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job as the sensor, the schedule or `dagster dev` would launch it (not through `scrs run`)."""
    from dagster import DagsterInstance  # here, not at module level: the fast tests of this file need no Dagster

    from dagster_project.dbt_project import prepare_manifest
    from dagster_project.runner import failure_reason

    warehouse = tmp_path / "warehouse"
    monkeypatch.setenv("SCRS_LANDING_DIR", str(landing))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.delenv("SCRS_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("SCRS_DEMO_MODE", "0")
    prepare_manifest()
    from dagster_project.definitions import defs

    job = defs.resolve_job_def("scrs_pipeline")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    reason = failure_reason(result)  # the root cause of the first failed step
    assert reason.startswith("step landing__") and "DEMO key" in reason, reason
    assert not (warehouse / "warehouse.duckdb").exists()
    shutil.rmtree(warehouse, ignore_errors=True)
