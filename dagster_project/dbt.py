"""The dbt project as Dagster assets: one `dbt build` (seeds, models, tests) per run, into the run's build."""

import json
import os
from collections.abc import Iterator

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import scrs_dbt_project
from dagster_project.resources import ScrsWarehouse
from scrs.publish import prepare_build

scrs_dbt_project.prepare_if_dev()


@dbt_assets(manifest=scrs_dbt_project.manifest_path, project=scrs_dbt_project)
def scrs_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: ScrsWarehouse
) -> Iterator:
    """Seeds, staging, rules and marts, built and tested in the run's private build file."""
    settings = warehouse.settings()
    build = prepare_build(settings, context.run_id)
    os.environ["SCRS_DUCKDB_PATH"] = str(build.path)
    # Unit tests check the SQL's logic, not the data: they run in the test suite (`make test`), not per run.
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(settings.dbt_vars())]
    yield from dbt.cli(args, context=context).stream()
