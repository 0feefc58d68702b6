"""Dagster definitions: thin; each concern lives in its own module."""

from dagster import Definitions, in_process_executor

from dagster_project.dbt import scrs_dbt_models
from dagster_project.dbt_project import DBT_EXECUTABLE, ScrsDbtCliResource, scrs_dbt_project
from dagster_project.ingest import ingest_assets
from dagster_project.jobs import scrs_pipeline
from dagster_project.publish import published_warehouse
from dagster_project.quality import quality_checks
from dagster_project.resources import ScrsWarehouse
from dagster_project.reviews import review_snapshot
from dagster_project.schedules import monthly_committee_run, weekly_full_rebuild
from dagster_project.sensors import landing_folder_sensor, run_failure_alert

defs = Definitions(
    assets=[*ingest_assets, review_snapshot, scrs_dbt_models, published_warehouse],
    asset_checks=quality_checks,
    jobs=[scrs_pipeline],
    schedules=[monthly_committee_run, weekly_full_rebuild],
    sensors=[landing_folder_sensor, run_failure_alert],
    resources={
        "dbt": ScrsDbtCliResource(project_dir=scrs_dbt_project, dbt_executable=DBT_EXECUTABLE),
        "warehouse": ScrsWarehouse(),
    },
    executor=in_process_executor,
)
