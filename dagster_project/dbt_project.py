"""The dbt project's location and manifest preparation (kept apart from the assets, which need the manifest)."""

from __future__ import annotations

import os
import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from scrs.freshness import project_files
from scrs.settings import DBT_PROJECT_DIR

os.environ.setdefault("DO_NOT_TRACK", "1")
# dbt runs as a subprocess: find the `dbt` installed beside this interpreter even when .venv isn't activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
if str(Path(sys.executable).parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

scrs_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = scrs_dbt_project) -> bool:
    """True when manifest.json is missing or older than any file of the dbt project or its seeds."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in project_files())


def prepare_manifest(project: DbtProject = scrs_dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or stale (the CLI, tests and CI call this)."""
    if manifest_is_stale(project):
        project.preparer.prepare(project)
    return project.manifest_path


class ScrsDbtCliResource(DbtCliResource):
    """`DbtCliResource` without two fixed costs it adds to every run (about 2.5 s on two cores, measured by
    `make bench`): it runs `dbt --version` in a subprocess to learn the version of the dbt beside this
    interpreter (the installed dbt-core package says so), and starts a dbt adapter inside Dagster's process,
    used only to fetch row counts or column metadata, which this project does not ask for."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (private hook of DbtCliResource)
        return None


if __name__ == "__main__":  # `python -m dagster_project.dbt_project`: the service's ExecStartPre (deploy/systemd)
    print(prepare_manifest())
