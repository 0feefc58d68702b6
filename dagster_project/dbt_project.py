"""The dbt project's location and manifest preparation (kept apart from the assets, which need the manifest)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from scrs.settings import DBT_PROJECT_DIR, SEEDS_DIR

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
    watched = [DBT_PROJECT_DIR / name for name in ("models", "macros", "data-tests")] + [SEEDS_DIR]
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [p for d in watched if d.exists() for p in d.rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in files)


def prepare_manifest(project: DbtProject = scrs_dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or stale (the CLI, tests and CI call this)."""
    if manifest_is_stale(project):
        project.preparer.prepare(project)
    return project.manifest_path
