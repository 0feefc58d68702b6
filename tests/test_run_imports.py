"""What loading the pipeline imports: Great Expectations, pandas and scipy (about 3 s of CPU together) only
when a quality check has files to validate, not when the Dagster definitions are loaded (every `scrs run`,
the service's code server, a run with nothing to check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("great_expectations", "pandas", "scipy")


def imported_by(statement: str) -> dict[str, bool]:
    """Which HEAVY packages a fresh interpreter has imported after `statement`."""
    code = f"import json, sys\n{statement}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loading_the_pipeline_imports_no_gx_pandas_or_scipy():
    # the definitions import every module of the quality gate but validate and data_docs
    loaded = imported_by(
        "from dagster_project.dbt_project import prepare_manifest\n"
        "prepare_manifest()\n"
        "from dagster_project.definitions import defs\n"
        "defs.resolve_job_def('scrs_pipeline')\n"
        "import scrs.quality.history, scrs.quality.quarantine, scrs.quality.results, scrs.quality.suites"
    )
    assert loaded == dict.fromkeys(HEAVY, False)
    # ... and validating still brings GX in (a guard against a vacuous check above)
    assert imported_by("import scrs.quality.validate")["great_expectations"] is True
