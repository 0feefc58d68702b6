"""Publication: the run's build replaces the served warehouse, only after every gate has passed."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.dbt import built_models, record_dbt_state
from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse
from dagster_project.reviews import reconciled_publication
from scrs.freshness import project_checksum
from scrs.ops import clear_failure
from scrs.publish import build_connection, prepare_build, publish_build
from scrs.quality.history import load_expectation_catalogue, load_history_into


@asset(
    key=["published_warehouse"],
    # Every dbt model, not the seeds: an incremental run does not reload the seeds (dagster_project.dbt), and
    # Dagster skips a step any of whose upstream outputs was not produced in the run.
    deps=built_models(),
    group_name="publish",
    description="The served warehouse file, atomically replaced by this run's build once ingest, every "
    "blocking quality check and every dbt test have passed; the review store is reconciled with it.",
)
def published_warehouse(context: AssetExecutionContext, warehouse: ScrsWarehouse) -> MaterializeResult:
    settings = warehouse.settings()
    from scrs.export import store_compliance_hidden  # pandas and the exports: only when a run publishes

    with build_connection(settings, context.run.run_id) as con:
        load_history_into(con, settings.quality_history_dir)
        load_expectation_catalogue(con)
        record_dbt_state(con, project_checksum(settings.dbt_vars()))
        store_compliance_hidden(con, settings.disclosure_min_records)
    build = prepare_build(settings, context.run.run_id)
    # The review store commits its reconciliation only once the build is published (docs/worklist.md).
    with reconciled_publication(context, settings, build):
        served = publish_build(settings, build)
    clear_failure(settings.warehouse_dir)
    report(context, f"published {served}")
    return MaterializeResult(metadata={"path": str(served), "run_id": context.run.run_id})
