"""Every dbt unit test (`unit_tests:` beside the models) in one `dbt build --empty`: the fast dbt check.

`make test-fast` leaves out the `dbt`-marked tests, whose builds run the data tests over hand-built rows
(tests/test_dbt_rules.py, tests/test_improvement_plan.py); this one runs only the unit tests. The models are
built with `--empty` (no rows, but every relation exists with its columns, which unit tests need to type their
fixtures) over empty raw tables made by the ingest's own DDL, and `--exclude-resource-type test` leaves the
data tests out. The work directory is the same every session (under pytest's cache), so dbt's partial parse
reuses the previous parse while the project is unchanged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from scrs.ingest import schema
from scrs.ingest.raw import ensure_raw
from scrs.reconcile import snapshot_into_build
from scrs.reviews import ReviewStore
from tests.dbt_helpers import DBT_PROJECT_DIR, run_dbt


def unit_tests_in_yaml() -> set[str]:
    """`<model>::<name>` of every unit test written in the project's YAML, read without dbt."""
    names: set[str] = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests") or []:
            names.add(f"{test['model']}::{test['name']}")
    return names


@pytest.fixture
def work_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A work directory at the same path every session (so partial parsing applies), with a fresh database."""
    cache = getattr(request.config, "cache", None)
    work = Path(cache.mkdir("dbt-unit-tests")) if cache is not None else tmp_path
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (work / stale).unlink(missing_ok=True)
    shutil.rmtree(work / "logs", ignore_errors=True)
    return work


def test_every_dbt_unit_test_passes(work_dir: Path) -> None:
    db = work_dir / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        for kind in schema.EXTRACT_COLUMNS:
            ensure_raw(con, kind)
    # The review store's copy (empty) that the worklist models read, as the pipeline puts it in each build.
    shutil.rmtree(work_dir / "state", ignore_errors=True)
    snapshot_into_build(ReviewStore(work_dir / "state" / "reviews.sqlite"), db, "dbt-unit-tests")
    result = run_dbt(["build", "--empty", "--exclude-resource-type", "test"], db, work_dir)
    assert result.returncode == 0, f"dbt unit tests failed:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"

    run_results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    unit = {r["unique_id"]: r["status"] for r in run_results if r["unique_id"].startswith("unit_test.")}
    assert set(unit.values()) == {"pass"}, {k: v for k, v in unit.items() if v != "pass"}
    # unit_test.scrs.<model>.<name>: every test written in the YAML ran, and nothing else did.
    ran = {".".join(uid.split(".")[2:4]).replace(".", "::", 1) for uid in unit}
    expected = unit_tests_in_yaml()
    assert len(expected) >= 30, "fewer unit tests found in the YAML than the project had when this was written"
    assert ran == expected
    assert not [r for r in run_results if r["unique_id"].startswith("test.")], "data tests belong to make test"
