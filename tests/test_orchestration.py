"""The Dagster definitions: the whole pipeline visible as one job, the quality gate blocking, the sensor."""

from __future__ import annotations

import pytest

from tests import extract_factory as xf

# Dagster is imported inside the tests: every test here is `dbt` (the `defs` fixture), and importing it at
# module level would cost every `make test-fast` worker seconds at collection.


@pytest.fixture(scope="module")
def defs():
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()
    from dagster_project.definitions import defs

    return defs


def test_the_job_holds_ingest_quality_dbt_and_publish(defs):
    job = defs.resolve_job_def("scrs_pipeline")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    for kind in ("incidents", "crimes", "training", "improvement_updates"):
        assert f"landing/{kind}" in keys and f"raw/{kind}" in keys
    for mart in ("compliance_by_division_test", "compliance_national_test", "record_failures", "training_coverage"):
        assert any(key.endswith(mart) for key in keys), mart
    assert "published_warehouse" in keys


def test_dbt_sources_hang_off_the_raw_assets(defs):
    from dagster import AssetKey

    graph = defs.resolve_asset_graph()
    stg = next(k for k in graph.get_all_asset_keys() if k.path[-1] == "stg_crime_system__crimes")
    assert AssetKey(["raw", "crimes"]) in graph.get(stg).parent_keys


def test_quality_checks_are_blocking(defs):
    from dagster import AssetKey

    graph = defs.resolve_asset_graph()
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    for kind in ("incidents", "crimes", "training", "improvement_updates"):
        spec = checks[f"{kind}_expectations"]
        assert spec.blocking, kind
        assert spec.asset_key == AssetKey(["landing", kind])


def test_sensor_requests_a_run_when_files_land_and_not_again(defs, tmp_path, monkeypatch):
    from dagster import RunRequest, build_sensor_context

    monkeypatch.setenv("SCRS_LANDING_DIR", str(tmp_path))
    sensor = defs.resolve_sensor_def("landing_folder_sensor")
    first = sensor.evaluate_tick(build_sensor_context(cursor=None))
    assert not first.run_requests, "an empty landing folder starts nothing"
    xf.write_incidents(tmp_path / "incidents_2021_01.csv", [xf.incident()])
    second = sensor.evaluate_tick(build_sensor_context(cursor=None))
    assert len(second.run_requests) == 1 and isinstance(second.run_requests[0], RunRequest)
    third = sensor.evaluate_tick(build_sensor_context(cursor=second.cursor))
    assert not third.run_requests and third.skip_message


def test_monthly_schedule_runs_the_pipeline(defs):
    schedule = defs.resolve_schedule_def("monthly_committee_run")
    assert schedule.job_name == "scrs_pipeline"
    assert schedule.cron_schedule == "0 6 2 * *"
    assert schedule.execution_timezone == "Europe/London"


def test_weekly_schedule_asks_for_a_full_rebuild(defs, monkeypatch):
    from dagster_project.dbt import asked_full_refresh

    schedule = defs.resolve_schedule_def("weekly_full_rebuild")
    assert schedule.job_name == "scrs_pipeline"
    monkeypatch.delenv("SCRS_DBT_FULL_REFRESH", raising=False)
    assert asked_full_refresh(schedule.tags) == "asked for (the scheduled full rebuild)"
    assert asked_full_refresh({}) is None  # an ordinary run (the sensor's, the monthly one) may be incremental
    monkeypatch.setenv("SCRS_DBT_FULL_REFRESH", "1")  # what `scrs run --full-refresh` sets
    assert asked_full_refresh({}) == "asked for (scrs run --full-refresh)"


def test_the_service_switches_on_the_weekly_rebuild_and_the_landing_sensor(defs, monkeypatch):
    """Both start stopped where nothing switches them on (a development machine, this suite), and start with
    the daemon where the environment says on, as the service's environment file does."""
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    from dagster_project.schedules import weekly_rebuild_status
    from scrs.settings import REPO_ROOT

    assert defs.resolve_schedule_def("weekly_full_rebuild").default_status == DefaultScheduleStatus.STOPPED
    assert defs.resolve_sensor_def("landing_folder_sensor").default_status == DefaultSensorStatus.STOPPED
    for value, status in (("on", "RUNNING"), ("Yes", "RUNNING"), ("1", "RUNNING"), ("off", "STOPPED"), ("", "STOPPED")):
        monkeypatch.setenv("SCRS_WEEKLY_REBUILD", value)
        assert weekly_rebuild_status() == DefaultScheduleStatus[status], value
    service_env = (REPO_ROOT / "deploy" / "scrs.env.example").read_text().splitlines()
    assert {"SCRS_WEEKLY_REBUILD=on", "SCRS_LANDING_SENSOR=on"} <= set(service_env)


def test_dbt_builds_one_model_at_a_time_on_a_full_refresh_and_two_on_an_incremental_run(monkeypatch):
    from dagster_project.dbt import dbt_threads

    monkeypatch.delenv("SCRS_DBT_THREADS", raising=False)
    assert (dbt_threads(full_refresh=True), dbt_threads(full_refresh=False)) == ("1", "2")
    monkeypatch.setenv("SCRS_DBT_THREADS", "4")  # the operator's number applies to both
    assert (dbt_threads(full_refresh=True), dbt_threads(full_refresh=False)) == ("4", "4")


def test_the_warning_for_a_check_left_out_on_purpose_is_dropped_and_no_other(defs, monkeypatch):
    """Dagster warns when a blocking check gives no result. An incremental run leaves out the seeds' checks,
    those of the models it keeps as published, and the tests tagged full_refresh_only: those warnings are
    dropped (they are the design, not a fault); a missing result of any other check still warns."""
    import logging

    from dagster_project.dbt import _checks_left_out, full_refresh_only_tests, scrs_dbt_project

    tagged = full_refresh_only_tests(scrs_dbt_project.manifest_path)
    assert set(tagged) == {"review_open_failures_rules", "review_outcomes_rules"}
    monkeypatch.setattr(_checks_left_out, "left_out", frozenset({"marts/training_coverage"}))
    monkeypatch.setattr(_checks_left_out, "checks_left_out", frozenset(k.to_user_string() for k in tagged.values()))

    def kept(check: str) -> bool:
        message = f"Blocking asset check '{check}' emitted no result in step 'scrs_dbt_models'; downstream ..."
        return _checks_left_out.filter(logging.LogRecord("dagster", logging.WARNING, "", 0, message, None, None))

    assert not kept("marts/review_outcomes:review_outcomes_rules")
    assert not kept("marts/review_open_failures:review_open_failures_rules")
    assert not kept("reference/divisions:divisions_rules")
    assert not kept("marts/training_coverage:training_coverage_rules")
    assert kept("marts/worklist:worklist_rules")
    assert kept("marts/record_failures:record_failures_rules")


def test_a_run_leaves_out_the_ingest_steps_of_kinds_with_nothing_new(defs):
    """The landing and raw assets (and so the quality checks) of a kind with nothing new are left out of the run;
    the samples stay while new registrars' verdicts are checked against them (LANDING_AFTER)."""
    from dagster import AssetKey

    from dagster_project.runner import steps_needed

    keys = defs.resolve_all_asset_keys()
    assert steps_needed(keys, frozenset()) is None
    quiet = frozenset({"training", "improvement_updates", "audit_sample", "audit_outcomes"})
    kept = set(steps_needed(keys, quiet))
    assert set(keys) - kept == {AssetKey([layer, kind]) for kind in quiet for layer in ("landing", "raw")}
    kept = set(steps_needed(keys, quiet - {"audit_outcomes"}))
    assert {AssetKey(["landing", "audit_sample"]), AssetKey(["landing", "audit_outcomes"])} <= kept
    assert AssetKey(["landing", "training"]) not in kept


def test_the_kinds_with_nothing_new_are_those_loaded_with_no_new_file(pipeline_run, tmp_path, monkeypatch):
    import shutil

    from scrs.freshness import kinds_with_nothing_new
    from scrs.settings import EXTRACT_KINDS, Settings

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(pipeline_run["landing"], landing)
    warehouse.mkdir()
    shutil.copyfile(pipeline_run["warehouse"] / "warehouse.duckdb", warehouse / "warehouse.duckdb")
    monkeypatch.setenv("SCRS_DEMO_MODE", "1")
    settings = Settings.from_env(landing, warehouse)
    assert kinds_with_nothing_new(settings) == frozenset(EXTRACT_KINDS), "every kind loaded, nothing new"
    xf.write_crimes(landing / "crimes_2099_01.csv", [xf.crime()])
    assert kinds_with_nothing_new(settings) == frozenset(EXTRACT_KINDS) - {"crimes"}
    assert kinds_with_nothing_new(Settings.from_env(landing, tmp_path / "unpublished")) == frozenset()


def test_a_dbt_error_that_is_not_a_failed_test_is_one_plain_line(defs, tmp_path):
    """A model that fails (here as when its SQL reads a missing table) is reported by name with DuckDB's own
    words: no exception class path and no source file, which the failure marker would show on a page."""
    import json

    from dagster_project.dbt import failed_nodes_reason

    message = (
        "Runtime Error in model int_cyber_verdicts (models/intermediate/int_cyber_verdicts.sql)\n"
        "  Catalog Error: Table with name rejudged_records does not exist!\n  LINE 3: ...\n"
    )
    results = tmp_path / "run_results.json"
    results.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.scrs.int_cyber_verdicts", "status": "error", "message": message},
                    {"unique_id": "model.scrs.record_failures", "status": "skipped", "message": None},
                ]
            }
        )
    )
    assert failed_nodes_reason(results) == (
        "the dbt build failed on 1 node: int_cyber_verdicts: Catalog Error: Table with name rejudged_records "
        "does not exist!"
    )
    assert "dbt's own output is in the run's log" in failed_nodes_reason(tmp_path / "missing.json")
