"""Publication: the run's build replaces the served warehouse, only after every gate has passed."""

import duckdb
from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.dbt import record_dbt_state, scrs_dbt_models
from dagster_project.dbt_project import project_checksum
from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse, duckdb_config
from dagster_project.reviews import reconciled_publication
from scrs.publish import prepare_build, publish_build
from scrs.quality.history import load_expectation_catalogue, load_history_into


@asset(
    key=["published_warehouse"],
    deps=[scrs_dbt_models],
    group_name="publish",
    description="The served warehouse file, atomically replaced by this run's build once ingest, every "
    "blocking quality check and every dbt test have passed.",
)
def published_warehouse(context: AssetExecutionContext, warehouse: ScrsWarehouse) -> MaterializeResult:
    settings = warehouse.settings()
    build = prepare_build(settings, context.run_id)
    con = duckdb.connect(str(build.path), config=duckdb_config())
    try:
        load_history_into(con, settings.quality_history_dir)
        load_expectation_catalogue(con)
        record_dbt_state(con, project_checksum(settings.dbt_vars()))
    finally:
        con.close()
    with reconciled_publication(context, settings, build):
        served = publish_build(settings, build)
    report(context, f"published {served}")
    return MaterializeResult(metadata={"path": str(served), "run_id": context.run_id})
