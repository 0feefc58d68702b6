"""Reconciliation (scrs/reconcile.py) on a hand-made build: nothing changes in the store unless the build is
published, and a rectified record is judged only by an extract loaded after it was marked."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from scrs.reconcile import Reconciliation, reconciliation, write_snapshot
from scrs.reviews import SCHEMA, Person, ReviewStore, utc_now_text

DIV_G = Person("division-g", "division", "G")
REGISTRAR = Person("registrar", "registrar")


def make_build(
    path: Path, failing: list[tuple[str, str, str]], loaded_at: datetime, extracted_at: str, keep_review: bool = True
) -> None:
    """A build with these failing records; like a real build (a copy of the served file), it keeps the copy of
    the store the last reconciliation left in it, unless `keep_review` is false."""
    if path.exists() and keep_review:
        with duckdb.connect(str(path)) as con:
            con.execute("drop schema if exists raw cascade; drop schema if exists marts cascade")
    else:
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


def reconcile(env: dict, run_id: str) -> Reconciliation:
    with reconciliation(env["store"], env["build"], run_id) as summary:
        pass
    assert_build_copy_is_the_store(env)
    return summary


def assert_build_copy_is_the_store(env: dict) -> None:
    """The build's `review.review_state` (the copy it started from, merged with the records changed since and
    those the reconciliation wrote) is the store as re-read whole after the transaction committed, row for row
    and type for type, change numbers included."""
    reread = env["build"].with_name("reread.duckdb")
    reread.unlink(missing_ok=True)
    with env["store"].connection() as store_con, duckdb.connect(str(reread)) as con:
        write_snapshot(store_con, con, "reread", None)
        con.execute(f"attach '{env['build']}' as build (read_only)")
        kinds = "select column_name, data_type from information_schema.columns where table_name = 'review_state'"
        assert (
            con.sql(f"{kinds} and table_catalog = 'build' order by ordinal_position").fetchall()
            == con.sql(f"{kinds} and table_catalog = 'reread' order by ordinal_position").fetchall()
        )
        for first, second in (("build", "reread"), ("reread", "build")):
            extra = con.sql(
                f"select * from {first}.review.review_state except all select * from {second}.review.review_state"
            ).fetchall()
            assert extra == [], f"in {first}'s copy, not in {second}'s: {extra}"


def test_a_run_that_does_not_publish_changes_nothing(env):
    make_build(env["build"], [("TEST1", "PS-1", "G")], datetime(2021, 2, 1), "2021-02-01 02:00:00")
    with pytest.raises(RuntimeError), reconciliation(env["store"], env["build"], "run-1"):
        raise RuntimeError("publication failed")
    assert env["store"].states().empty and env["store"].history().empty
    reconcile(env, "run-2")
    assert env["store"].state("TEST1", "PS-1")["first_seen_failing"] == "2021-02-01"


def test_new_records_are_stored_as_they_fail(env):
    """The new records go in as JSON arrays, one statement each: each record is stored with its own test,
    record and division exactly (quotes, backslashes, non-ASCII), open, first seen on the extract date by this
    run, version 0, and the change numbers follow the records' order."""
    failing = [
        ("TEST1", 'PS-"quoted"', "G"),
        ("TEST2", "CR/A/1/21", "A"),
        ("TEST2", "CR\\back\\slash", "N"),
        ("CYBER", "CR/Ł/ü/☃", "G"),
    ]
    make_build(env["build"], failing, datetime(2021, 2, 1), "2021-02-01 02:00:00")
    assert reconcile(env, "run-1").new == 4
    with env["store"].connection() as con:
        stored = con.execute(
            "select test_code, record_id, division_code, state, first_seen_failing, first_seen_run, version "
            "from review_state order by changed_seq"
        ).fetchall()
    assert [tuple(row) for row in stored] == [
        (test, record, division, "open", "2021-02-01", "run-1", 0) for test, record, division in sorted(failing)
    ]


def test_records_are_written_and_read_back_in_batches(env, monkeypatch):
    """Five new records, two to a batch (a national first build writes and reads 1.4 million, 100,000 at a
    time): three insert statements, the change numbers still in the records' order, and the copy read back in
    three Arrow batches equal to the store read whole (`reconcile` checks it)."""
    monkeypatch.setattr("scrs.reconcile.STORE_BATCH", 2)
    failing = [("TEST1", f"PS-{n}", "G") for n in (5, 3, 1, 4, 2)]
    make_build(env["build"], failing, datetime(2021, 2, 1), "2021-02-01 02:00:00")
    assert reconcile(env, "run-1").new == 5
    with env["store"].connection() as con:
        stored = [row[0] for row in con.execute("select record_id from review_state order by changed_seq")]
    assert stored == ["PS-1", "PS-2", "PS-3", "PS-4", "PS-5"]
    make_build(env["build"], failing[:2], datetime(2021, 3, 1), "2021-03-01 02:00:00")
    summary = reconcile(env, "run-2")
    assert (summary.new, summary.resolved) == (0, 3)


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


def test_every_kind_of_change_reaches_the_build_copy_as_the_store_has_it(env):
    """New, moved division (fill), rectified then still failing, resolved, reopened, and a settled dispute:
    after each publication the build's copy equals the store re-read (assert_build_copy_is_the_store)."""
    now = datetime.fromisoformat(utc_now_text())
    make_build(
        env["build"], [("TEST1", "PS-1", "G"), ("TEST1", "PS-2", "G"), ("TEST2", "PS-3", "G")], now, "2021-02-01"
    )
    reconcile(env, "run-1")  # three new
    make_build(
        env["served"], [("TEST1", "PS-1", "G"), ("TEST1", "PS-2", "G"), ("TEST2", "PS-3", "G")], now, "2021-02-01"
    )
    env["store"].set_state(DIV_G, "TEST1", "PS-1", "rectified", "fixed", served_db=env["served"])
    env["store"].set_state(DIV_G, "TEST2", "PS-3", "disputed", "not a crime", served_db=env["served"])
    env["store"].set_state(REGISTRAR, "TEST2", "PS-3", "upheld", "agreed", served_db=env["served"])
    # PS-4 failing in the served file but not yet reconciled: marked before the store has seen it (fill)
    make_build(env["served"], [("TEST1", "PS-1", "G"), ("TEST1", "PS-4", "G")], now, "2021-02-01")
    env["store"].set_state(DIV_G, "TEST1", "PS-4", "under_review", "looking", served_db=env["served"])
    later = now + timedelta(hours=1)
    # PS-1 still fails after a later extract; PS-2 moved to division E (fill); PS-3 no longer fails
    make_build(
        env["build"], [("TEST1", "PS-1", "G"), ("TEST1", "PS-2", "E"), ("TEST1", "PS-4", "G")], later, "2021-03-01"
    )
    reconcile(env, "run-2")
    row = env["store"].state("TEST1", "PS-4")
    assert (row["state"], row["first_seen_failing"], row["first_seen_run"]) == ("under_review", "2021-03-01", "run-2")
    states = {
        r: env["store"].state(t, r)["state"] for t, r in (("TEST1", "PS-1"), ("TEST1", "PS-2"), ("TEST2", "PS-3"))
    }
    assert states == {"PS-1": "still_failing", "PS-2": "open", "PS-3": "resolved"}
    assert env["store"].state("TEST1", "PS-2")["division_code"] == "E"
    # PS-3 fails again (reopened), with its dispute outcome kept; PS-2 resolved
    make_build(env["build"], [("TEST1", "PS-1", "G"), ("TEST2", "PS-3", "G")], later + timedelta(hours=1), "2021-04-01")
    reconcile(env, "run-3")
    row = env["store"].state("TEST2", "PS-3")
    assert (row["state"], row["first_seen_failing"], row["resolved_on"]) == ("open", "2021-04-01", None)
    with duckdb.connect(str(env["build"]), read_only=True) as con:
        outcome = con.sql("select dispute_outcome from review.review_state where record_id = 'PS-3'").fetchall()
    assert outcome == [("upheld",)]


def test_the_store_is_read_whole_only_without_a_copy_it_can_trust(env, tmp_path):
    """First publication: the whole store. Next: the copy and only the records changed since. A store that no
    longer matches the copy (here: the store file put back from before the last publication, as a careless
    restore would) is read whole again, and the copy is still the store."""
    now = datetime.fromisoformat(utc_now_text())
    failing = [("TEST1", f"PS-{n}", "G") for n in range(1, 6)]
    make_build(env["build"], failing, now, "2021-02-01")
    assert reconcile(env, "run-1").store_read == "the whole store"
    backup = tmp_path / "before-run-2.sqlite"
    backup.write_bytes(env["store"].path.read_bytes())
    make_build(env["served"], failing, now, "2021-02-01")
    env["store"].set_state(DIV_G, "TEST1", "PS-2", "under_review", "checking", served_db=env["served"])
    make_build(env["build"], failing[:4], now, "2021-03-01")  # PS-5 no longer fails
    summary = reconcile(env, "run-2")
    assert summary.store_read == "the build's copy and 1 record(s) changed since"  # PS-2, marked by G
    assert summary.resolved == 1
    env["store"].path.write_bytes(backup.read_bytes())  # the store as it was before run 2
    for leftover in env["store"].path.parent.glob("reviews.sqlite-*"):
        leftover.unlink()
    make_build(env["build"], failing[:4], now, "2021-03-01")
    assert reconcile(env, "run-3").store_read == "the whole store"


def test_a_copy_made_before_change_tracking_is_not_used(env):
    """A served file published before change numbers existed carries a copy without them: read the store whole."""
    now = datetime.fromisoformat(utc_now_text())
    make_build(env["build"], [("TEST1", "PS-1", "G")], now, "2021-02-01")
    reconcile(env, "run-1")
    with duckdb.connect(str(env["build"])) as con:
        con.execute("alter table review.review_state drop column changed_seq")
        con.execute("alter table review.reconciliation drop column store_seq")
    make_build(env["build"], [("TEST1", "PS-1", "G")], now, "2021-03-01")
    assert reconcile(env, "run-2").store_read == "the whole store"


def test_a_store_made_before_change_tracking_gains_it_and_keeps_every_record(tmp_path):
    """The column is added to an existing store (0 for every record, nothing else changed); later writes are
    numbered from the counter."""
    path = tmp_path / "state" / "reviews.sqlite"
    path.parent.mkdir()
    old_schema = SCHEMA.replace(
        "    changed_seq        integer not null default 0,  -- set by trigger: CHANGE_TRACKING\n", ""
    )
    assert "changed_seq" not in old_schema
    with sqlite3.connect(path) as con:
        con.executescript(old_schema)
        con.execute(
            "insert into review_state (test_code, record_id, division_code, state) "
            "values ('TEST1', 'PS-1', 'G', 'rectified')"
        )
    store = ReviewStore(path, tmp_path / "access.jsonl")
    with store.connection() as con:
        con.execute("insert into review_state (test_code, record_id, division_code) values ('TEST1', 'PS-2', 'G')")
        rows = [tuple(r) for r in con.execute("select record_id, state, changed_seq from review_state order by 1")]
    assert rows == [("PS-1", "rectified", 0), ("PS-2", "open", 1)]
