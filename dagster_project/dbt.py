"""The dbt project as Dagster assets: one `dbt build` (seeds, models, tests) per run, into the run's build."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from dagster_project.resources import ScrsWarehouse
from scrs.publish import prepare_build
from scrs.settings import DBT_PROJECT_DIR, SEEDS_DIR

os.environ.setdefault("DO_NOT_TRACK", "1")

scrs_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = scrs_dbt_project) -> bool:
    """True when manifest.json is missing or older than any file of the dbt project or its seeds."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / name for name in ("models", "macros", "data-tests")] + [SEEDS_DIR]
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [p for d in watched if d.exists() for p in d.rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in files)


def prepare_manifest(project: DbtProject = scrs_dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or stale (the CLI, tests and CI call this)."""
    if manifest_is_stale(project):
        project.preparer.prepare(project)
    return project.manifest_path


scrs_dbt_project.prepare_if_dev()


@dbt_assets(manifest=scrs_dbt_project.manifest_path, project=scrs_dbt_project)
def scrs_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: ScrsWarehouse) -> Iterator:
    """Seeds, staging, rules and marts, built and tested in the run's private build file."""
    settings = warehouse.settings()
    build = prepare_build(settings, context.run_id)
    os.environ["SCRS_DUCKDB_PATH"] = str(build.path)
    args = ["build", "--vars", json.dumps(settings.dbt_vars())]
    yield from dbt.cli(args, context=context).stream()
