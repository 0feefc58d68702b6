"""The dbt project's location and manifest preparation (kept apart from the assets, which need the manifest)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from scrs.settings import DBT_PROJECT_DIR, SEEDS_DIR

os.environ.setdefault("DO_NOT_TRACK", "1")
# dbt runs as a subprocess: find the `dbt` installed beside this interpreter even when .venv isn't activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
if str(Path(sys.executable).parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

scrs_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def project_files() -> list[Path]:
    """Every file that makes up the dbt project and its seeds."""
    watched = [DBT_PROJECT_DIR / name for name in ("models", "macros", "data-tests")] + [SEEDS_DIR]
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [p for d in watched if d.exists() for p in d.rglob("*")]
    return sorted(p for p in files if p.is_file())


def project_checksum(dbt_vars: dict) -> str:
    """SHA-256 over the dbt project's files and the run's vars: what a build's tables were made from."""
    digest = hashlib.sha256(json.dumps(dbt_vars, sort_keys=True).encode())
    for path in project_files():
        digest.update(str(path.relative_to(DBT_PROJECT_DIR.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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
