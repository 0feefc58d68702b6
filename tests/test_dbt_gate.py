"""Review states the product does not know stop publication, with a reason that names the rule and the rows.

The data tests are dbt's gate after the quality step's. GX stops what an extract can carry, so the realistic way
past it is what reaches the build from outside the extracts: the review store (SQLite, outside the warehouse), in
which a hand edit or a newer version can leave a state this version does not know. Two ways in:
- a first run on a warehouse folder rebuilt from the extracts with the store kept (a restore): dbt's
  `stg_review__states_rules` sees the store's copy and fails; the run's one-line reason must say which rule broke
  on how many rows, not only the rules test's name (the test's failing rows are read back before the build is
  discarded: dagster_project/dbt.py `failed_tests_reason`);
- an incremental run after the store changed: dbt's copy is the last publication's, so reconciliation checks the
  store as it is about to be published (scrs/reconcile.py `_refuse_unknown_states`).
Either way nothing is published and the store is left as it was.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from scrs.ops import failure_marker
from tests.conftest import run_scrs

UNKNOWN_STATE = "archived"
PLANTED = 2  # records given the unknown state


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plant_unknown_state(store: Path) -> list[tuple]:
    """Give two records a state no version of the product writes; returns the store's rows afterwards."""
    with sqlite3.connect(store) as con:
        assert con.execute("select count(*) from review_state").fetchone()[0] > PLANTED
        con.execute(
            "update review_state set state = ? where rowid in (select rowid from review_state order by rowid limit ?)",
            [UNKNOWN_STATE, PLANTED],
        )
    return store_rows(store)


def store_rows(store: Path) -> list[tuple]:
    with sqlite3.connect(store) as con:
        return con.execute("select * from review_state order by test_code, record_id").fetchall()


def reconciliations(store: Path) -> int:
    with sqlite3.connect(store) as con:
        return con.execute("select count(*) from reconciliations").fetchone()[0]


def last_line(proc) -> str:
    return proc.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def restored_run(pipeline_run, tmp_path_factory) -> dict:
    """A warehouse folder restored empty but for its state (the review store kept), then a first run."""
    base = tmp_path_factory.mktemp("dbt_gate_restored")
    warehouse = base / "warehouse"
    shutil.copytree(pipeline_run["warehouse"] / "state", warehouse / "state")
    store = warehouse / "state" / "reviews.sqlite"
    planted = plant_unknown_state(store)
    runs = reconciliations(store)
    proc = run_scrs("run", "--landing", str(pipeline_run["landing"]), "--warehouse", str(warehouse))
    return {"proc": proc, "warehouse": warehouse, "store": store, "planted": planted, "runs": runs}


@pytest.fixture(scope="module")
def changed_store_run(pipeline_run, tmp_path_factory) -> dict:
    """The session publication, its store changed by hand since, then an incremental run."""
    base = tmp_path_factory.mktemp("dbt_gate_changed")
    landing, warehouse = base / "landing", base / "warehouse"
    shutil.copytree(pipeline_run["landing"], landing)
    shutil.copytree(pipeline_run["warehouse"], warehouse)
    store = warehouse / "state" / "reviews.sqlite"
    planted = plant_unknown_state(store)
    runs = reconciliations(store)
    served = warehouse / "warehouse.duckdb"
    before = sha256(served)
    proc = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--force")
    return {"proc": proc, "warehouse": warehouse, "store": store, "planted": planted, "runs": runs, "before": before}


def test_a_failing_dbt_data_test_blocks_the_first_publication(restored_run):
    proc = restored_run["proc"]
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert not (restored_run["warehouse"] / "warehouse.duckdb").exists(), "nothing may be published"
    assert store_rows(restored_run["store"]) == restored_run["planted"], "the store must be left as it was"
    assert reconciliations(restored_run["store"]) == restored_run["runs"]


def test_the_dbt_reason_names_the_rules_test_the_rule_and_the_rows(restored_run):
    last = last_line(restored_run["proc"])
    assert "stg_review__states_rules" in last, last
    # the rule as the model's YAML states it (a relationship to the seed), and how many rows break it
    assert re.search(rf"review_state in review_states\.review_state or null \({PLANTED} rows\)", last), last
    assert "Traceback" not in restored_run["proc"].stderr


def test_the_dbt_failure_is_recorded_for_engineers_with_the_same_reason(restored_run):
    marker = failure_marker(restored_run["warehouse"]).read_text()
    assert "review_state in review_states.review_state or null" in marker


def test_an_unknown_state_written_since_the_last_publication_blocks_the_next(changed_store_run):
    proc = changed_store_run["proc"]
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = last_line(proc)
    assert f"'{UNKNOWN_STATE}': {PLANTED} record(s)" in last, last
    assert "nothing was published" in last
    assert "Traceback" not in proc.stderr
    assert sha256(changed_store_run["warehouse"] / "warehouse.duckdb") == changed_store_run["before"]
    assert store_rows(changed_store_run["store"]) == changed_store_run["planted"]
    assert reconciliations(changed_store_run["store"]) == changed_store_run["runs"]


def test_the_states_reconciliation_accepts_are_the_seeds():
    """Reconciliation checks states against `scrs.reviews.STATES`; dbt against the seed: they must agree."""
    import csv

    from scrs.reviews import STATES

    seed = Path(__file__).resolve().parents[1] / "seeds" / "review_states.csv"
    with seed.open(newline="") as f:
        assert sorted(STATES) == sorted(row["review_state"] for row in csv.DictReader(f))
