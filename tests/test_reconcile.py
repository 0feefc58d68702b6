"""Reconciliation (scrs/reconcile.py) on a hand-made build: nothing changes in the store unless the build is
published, and a rectified record is judged only by an extract loaded after it was marked."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from scrs.reconcile import reconciliation
from scrs.reviews import Person, ReviewStore, utc_now_text

DIV_G = Person("division-g", "division", "G")


def make_build(path: Path, failing: list[tuple[str, str, str]], loaded_at: datetime, extracted_at: str) -> None:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.incidents as select ?::timestamp as extracted_at", [extracted_at])
        con.execute("create table raw.crimes as select ?::timestamp as extracted_at", [extracted_at])
        con.execute(
            "create table raw.load_registry as select 'crimes' as extract_kind, ?::timestamp as loaded_at", [loaded_at]
        )
        con.execute("create table marts.record_failures (test_code varchar, record_id varchar, division_code varchar)")
        if failing:
            con.executemany("insert into marts.record_failures values (?, ?, ?)", failing)


@pytest.fixture
def env(tmp_path: Path) -> dict:
    store = ReviewStore(tmp_path / "state" / "reviews.sqlite", tmp_path / "access.jsonl")
    return {"store": store, "build": tmp_path / "build.duckdb", "served": tmp_path / "served.duckdb"}


def reconcile(env: dict, run_id: str) -> None:
    with reconciliation(env["store"], env["build"], run_id):
        pass


def test_a_run_that_does_not_publish_changes_nothing(env):
    make_build(env["build"], [("TEST1", "PS-1", "G")], datetime(2021, 2, 1), "2021-02-01 02:00:00")
    with pytest.raises(RuntimeError), reconciliation(env["store"], env["build"], "run-1"):
        raise RuntimeError("publication failed")
    assert env["store"].states().empty and env["store"].history().empty
    reconcile(env, "run-2")
    assert env["store"].state("TEST1", "PS-1")["first_seen_failing"] == "2021-02-01"


def test_rectified_is_judged_only_by_an_extract_loaded_after_the_mark(env):
    now = datetime.fromisoformat(utc_now_text())
    make_build(env["build"], [("TEST1", "PS-1", "G")], now - timedelta(hours=1), "2021-02-01 02:00:00")
    reconcile(env, "run-1")
    make_build(env["served"], [("TEST1", "PS-1", "G")], now, "2021-02-01 02:00:00")
    env["store"].set_state(DIV_G, "TEST1", "PS-1", "rectified", "fixed", served_db=env["served"])
    # the same extracts again (loaded before the mark): still rectified
    make_build(env["build"], [("TEST1", "PS-1", "G")], now - timedelta(hours=1), "2021-02-01 02:00:00")
    reconcile(env, "run-2")
    assert env["store"].state("TEST1", "PS-1")["state"] == "rectified"
    # a new extract loaded after the mark, and the record still fails
    make_build(env["build"], [("TEST1", "PS-1", "G")], now + timedelta(hours=1), "2021-03-01 02:00:00")
    reconcile(env, "run-3")
    assert env["store"].state("TEST1", "PS-1")["state"] == "still_failing"
    # no longer failing: resolved on the extract date
    make_build(env["build"], [], now + timedelta(hours=2), "2021-03-10 02:00:00")
    reconcile(env, "run-4")
    row = env["store"].state("TEST1", "PS-1")
    assert (row["state"], row["resolved_on"], row["first_seen_failing"]) == ("resolved", "2021-03-10", "2021-02-01")


def test_the_build_carries_the_reconciled_copy(env):
    make_build(env["build"], [("TEST1", "PS-1", "G"), ("TEST1", "PS-2", "E")], datetime(2021, 2, 1), "2021-02-01")
    reconcile(env, "run-1")
    with duckdb.connect(str(env["build"]), read_only=True) as con:
        rows = con.sql(
            "select record_id, state, first_seen_failing::varchar from review.review_state order by 1"
        ).fetchall()
        meta = con.sql("select run_id, as_of::varchar from review.reconciliation").fetchall()
    assert rows == [("PS-1", "open", "2021-02-01"), ("PS-2", "open", "2021-02-01")]
    assert meta == [("run-1", "2021-02-01")]
