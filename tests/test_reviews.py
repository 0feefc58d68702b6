"""The review store (scrs/reviews.py): transitions, who may write what, screened notes, the access log, and
concurrent writers (threads and processes) losing nothing.

The published warehouse here is a small DuckDB file holding only `marts.record_failures` rows written by the
test (the store reads a record's division from it): the divisions asserted are the ones written here.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from scrs import access_log
from scrs.reviews import Person, ReviewConflict, ReviewError, ReviewRefused, ReviewStore

# (test_code, record_id, division_code) failing in the fake publication
FAILING = [("TIMELY72", f"CR/G/{i:07d}/21", "G") for i in range(1, 41)] + [
    ("TEST1", "PS-20210114-00001", "G"),
    ("TEST1", "PS-20210114-00002", "E"),
]
REPO = Path(__file__).resolve().parent.parent
DIV_G = Person("division-g", "division", "G")
DIV_E = Person("division-e", "division", "E")
REGISTRAR = Person("registrar", "registrar")
ENGINEER = Person("engineer", "engineer")
COMMITTEE = Person("committee", "committee")


@pytest.fixture
def env(tmp_path: Path) -> dict:
    served = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(served)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.record_failures (test_code varchar, record_id varchar, division_code varchar)")
        con.executemany("insert into marts.record_failures values (?, ?, ?)", FAILING)
    log = tmp_path / "logs" / "access.jsonl"
    store = ReviewStore(tmp_path / "state" / "reviews.sqlite", log)
    return {"served": served, "log": log, "store": store, "path": store.path}


def test_a_division_marks_its_own_record_with_history_and_a_log_line(env):
    store = env["store"]
    row = store.set_state(
        DIV_G, "TEST1", "PS-20210114-00001", "under_review", "  looking at it ", served_db=env["served"]
    )
    assert (row["state"], row["note"], row["division_code"], row["version"]) == (
        "under_review",
        "looking at it",
        "G",
        1,
    )
    store.set_state(DIV_G, "TEST1", "PS-20210114-00001", "rectified", "crime recorded", served_db=env["served"])
    history = store.history("TEST1", "PS-20210114-00001")
    assert history[["from_state", "to_state", "actor", "note"]].values.tolist() == [
        ["open", "under_review", "division-g", "looking at it"],
        ["under_review", "rectified", "division-g", "crime recorded"],
    ]
    lines = [e for e in access_log.read(env["log"]) if e["event"] == "review_write"]
    assert [e["detail"] for e in lines] == [
        "TEST1 PS-20210114-00001: open -> under_review",
        "TEST1 PS-20210114-00001: under_review -> rectified",
    ]
    assert all(e["user"] == "division-g" and e["scope"] == "G" for e in lines)
    assert access_log.verify(env["log"]) is None


def test_a_division_cannot_write_another_divisions_record_refused_and_logged(env):
    store = env["store"]
    with pytest.raises(ReviewRefused, match="only its own division"):
        store.set_state(DIV_G, "TEST1", "PS-20210114-00002", "rectified", served_db=env["served"])
    assert store.state("TEST1", "PS-20210114-00002") is None
    assert store.history("TEST1", "PS-20210114-00002").empty
    denied = [e for e in access_log.read(env["log"]) if e["event"] == "access_denied"]
    assert len(denied) == 1 and denied[0]["user"] == "division-g" and denied[0]["scope"] == "E"


def test_the_division_comes_from_the_publication_not_the_caller(env):
    # A forged actor claiming division E is still a division-G user writing an E record only if it *is* E:
    # the record's division is looked up, so a G user can't reach E's record by any argument it passes.
    with pytest.raises(ReviewRefused):
        env["store"].set_state(DIV_G, "TEST1", "PS-20210114-00002", "under_review", served_db=env["served"])
    # and a record that is not failing in the publication cannot be written at all
    with pytest.raises(ReviewError, match="not a failing record"):
        env["store"].set_state(DIV_G, "TEST1", "PS-NOT-FAILING", "under_review", served_db=env["served"])


def test_a_division_reads_only_its_own_states(env):
    store = env["store"]
    store.set_state(
        DIV_E, "TEST1", "PS-20210114-00002", "disputed", "crime was recorded elsewhere", served_db=env["served"]
    )
    assert store.states_for(DIV_E, "E").record_id.tolist() == ["PS-20210114-00002"]
    for division in ("E", None):
        with pytest.raises(ReviewRefused):
            store.states_for(DIV_G, division)
        with pytest.raises(ReviewRefused):
            store.history_for(DIV_G, division)
    with pytest.raises(ReviewRefused):
        store.states_for(COMMITTEE, "E")
    assert len(store.states_for(REGISTRAR, None)) == 1
    assert len(store.history_for(ENGINEER, "E")) == 1
    denied = [e for e in access_log.read(env["log"]) if e["event"] == "access_denied"]
    assert len(denied) == 5


def test_registrars_settle_disputes_and_divisions_cannot(env):
    store, served = env["store"], env["served"]
    store.set_state(DIV_G, "TEST1", "PS-20210114-00001", "disputed", "crime is on another incident", served_db=served)
    with pytest.raises(ReviewRefused, match="registrar"):
        store.set_state(DIV_G, "TEST1", "PS-20210114-00001", "overturned", "we win", served_db=served)
    with pytest.raises(ReviewError, match="needs a note"):
        store.set_state(REGISTRAR, "TEST1", "PS-20210114-00001", "overturned", served_db=served)
    row = store.set_state(
        REGISTRAR, "TEST1", "PS-20210114-00001", "overturned", "rule misses linked crimes", served_db=served
    )
    assert row["state"] == "overturned"
    with pytest.raises(ReviewError, match="cannot be marked"):  # overturned ends the review
        store.set_state(DIV_G, "TEST1", "PS-20210114-00001", "under_review", served_db=served)
    for who in (ENGINEER, COMMITTEE):
        with pytest.raises(ReviewRefused):
            store.set_state(who, "TIMELY72", "CR/G/0000001/21", "under_review", served_db=served)


@pytest.mark.parametrize(
    ("from_path", "to_state", "allowed"),
    [
        ([], "under_review", True),
        ([], "upheld", False),  # only a dispute can be settled
        (["rectified"], "disputed", False),
        (["rectified"], "under_review", True),
        (["disputed"], "under_review", True),  # dispute withdrawn
        (["disputed", "upheld"], "rectified", True),
        ([], "resolved", False),  # reconciliation only
        ([], "still_failing", False),
        ([], "open", False),
    ],
)
def test_transitions(env, from_path, to_state, allowed):
    store, served = env["store"], env["served"]
    record = ("TIMELY72", "CR/G/0000001/21")
    for state in from_path:
        who = REGISTRAR if state in ("upheld", "overturned") else DIV_G
        store.set_state(who, *record, state, "step", served_db=served)
    who = REGISTRAR if to_state in ("upheld", "overturned") else DIV_G
    if allowed:
        assert store.set_state(who, *record, to_state, "next", served_db=served)["state"] == to_state
    else:
        with pytest.raises(ReviewError):
            store.set_state(who, *record, to_state, "next", served_db=served)
        assert len(store.history(*record)) == len(from_path)


@pytest.mark.parametrize(
    "note",
    ["Spoke to PC Smith about it", "Sgt J Brown keyed it late", "officer 100234 recorded it", "see SN123456"],
)
def test_notes_with_staff_numbers_or_names_are_refused(env, note):
    with pytest.raises(ReviewError, match="not saved"):
        env["store"].set_state(DIV_G, "TIMELY72", "CR/G/0000001/21", "under_review", note, served_db=env["served"])
    assert env["store"].state("TIMELY72", "CR/G/0000001/21") is None
    with sqlite3.connect(env["path"]) as con:  # nothing of the note reached the store
        assert con.execute("select count(*) from review_history").fetchone()[0] == 0


def test_a_stale_page_cannot_overwrite_a_newer_state(env):
    store, served = env["store"], env["served"]
    store.set_state(DIV_G, "TIMELY72", "CR/G/0000001/21", "under_review", served_db=served, expected_state="open")
    with pytest.raises(ReviewConflict):
        store.set_state(DIV_G, "TIMELY72", "CR/G/0000001/21", "disputed", served_db=served, expected_state="open")
    assert store.state("TIMELY72", "CR/G/0000001/21")["state"] == "under_review"


def test_history_is_append_only(env):
    env["store"].set_state(DIV_G, "TIMELY72", "CR/G/0000001/21", "under_review", served_db=env["served"])
    with sqlite3.connect(env["path"]) as con, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("update review_history set note = 'x'")
    with sqlite3.connect(env["path"]) as con, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("delete from review_history")


# --------------------------------------------------------------------------------------------------------
# Concurrency: every writer's every write is kept, and each record's history chains from state to state.

CYCLE = ["under_review", "rectified", "under_review"]  # rectified -> under_review is allowed: a long chain


def _writer(path: str, log: str, served: str, records: list[tuple[str, str]], rounds: int, name: str) -> int:
    """Write `rounds` times to each record, moving it on from whatever state it is in now."""
    store = ReviewStore(path, log)
    actor = Person(name, "division", "G")
    done = 0
    nxt = {"open": "under_review", "under_review": "rectified", "rectified": "under_review"}
    for _ in range(rounds):
        for test_code, record_id in records:
            while True:
                current = (store.state(test_code, record_id) or {"state": "open"})["state"]
                try:
                    store.set_state(
                        actor,
                        test_code,
                        record_id,
                        nxt[current],
                        f"{name}",
                        served_db=Path(served),
                        expected_state=current,
                    )
                    done += 1
                    break
                except ReviewConflict:
                    continue  # another writer moved it first: read again and retry
    return done


def _check_histories(store: ReviewStore, expected_writes: int) -> None:
    history = store.history()
    assert len(history) == expected_writes
    for _, rows in history.groupby(["test_code", "record_id"]):
        states = rows.sort_values("seq")[["from_state", "to_state"]].values.tolist()
        assert states[0][0] == "open"
        for before, after in zip(states, states[1:], strict=False):
            assert after[0] == before[1], states  # no write was lost between two others
        final = store.state(rows.test_code.iloc[0], rows.record_id.iloc[0])
        assert final["state"] == states[-1][1] and final["version"] == len(states)
    log_lines = [e for e in access_log.read(store.access_log_path) if e["event"] == "review_write"]
    assert len(log_lines) == expected_writes
    assert access_log.verify(store.access_log_path) is None


def test_threads_on_different_and_the_same_records_lose_nothing(env):
    records = [(t, r) for t, r, _ in FAILING[:8]]
    shared = records[0]
    results: list[int] = []
    threads = []
    for i in range(4):
        own = [records[1 + 2 * i], records[2 + 2 * i]] if 2 + 2 * i < len(records) else []
        mine = [shared, *own]

        def run(mine=mine, i=i) -> None:
            results.append(_writer(str(env["path"]), str(env["log"]), str(env["served"]), mine, 3, f"t{i}"))

        threads.append(threading.Thread(target=run))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    _check_histories(env["store"], sum(results))
    assert len(env["store"].history(*shared)) == 4 * 3  # every thread's three writes on the shared record


def test_processes_on_different_and_the_same_records_lose_nothing(env):
    """Two separate Python processes (started like any other program, not forked from pytest) write at once."""
    records = [(t, r) for t, r, _ in FAILING[10:20]]
    shared = records[0]
    script = (
        "import json, sys; from tests.test_reviews import _writer; "
        "a = json.loads(sys.argv[1]); print(_writer(*a[:3], [tuple(r) for r in a[3]], *a[4:]))"
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                json.dumps(
                    [str(env["path"]), str(env["log"]), str(env["served"]), [shared, records[1 + i]], 3, f"p{i}"]
                ),
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    assert [int(out.strip()) for out, _ in outputs] == [6, 6]
    _check_histories(env["store"], 12)
    assert len(env["store"].history(*shared)) == 6


def test_a_store_being_written_is_opened_and_read_without_waiting(env, monkeypatch):
    """The pipeline holds the store's write lock while it publishes (reconciliation): a dashboard read meanwhile
    opens the store and reads its states at once, without taking the lock itself."""
    env["store"].set_state(DIV_G, "TEST1", "PS-20210114-00001", "under_review", "looking", served_db=env["served"])
    monkeypatch.setattr("scrs.reviews.BUSY_TIMEOUT_SECONDS", 0.5)  # a read that waited for the lock would fail
    writer = sqlite3.connect(str(env["path"]), isolation_level=None)
    writer.execute("begin immediate")  # as reconciliation holds it
    try:
        reopened = ReviewStore(env["path"], env["log"])
        states = reopened.states("G")
    finally:
        writer.execute("rollback")
        writer.close()
    assert states.set_index("record_id").loc["PS-20210114-00001", "state"] == "under_review"


def test_an_older_store_is_brought_to_the_current_layout_once(env):
    with sqlite3.connect(str(env["path"])) as con:
        con.execute("pragma user_version = 0")  # as a store made before the layout was versioned
        con.execute("drop trigger review_state_changed_u")
    ReviewStore(env["path"], env["log"])
    with sqlite3.connect(str(env["path"])) as con:
        triggers = {r[0] for r in con.execute("select name from sqlite_master where type = 'trigger'")}
        version = con.execute("pragma user_version").fetchone()[0]
    assert "review_state_changed_u" in triggers
    assert version >= 1


def test_states_are_read_by_division_and_by_state(env):
    store, served = env["store"], env["served"]
    store.set_state(DIV_G, "TEST1", "PS-20210114-00001", "under_review", "looking", served_db=served)
    store.set_state(DIV_E, "TEST1", "PS-20210114-00002", "under_review", "looking too", served_db=served)
    store.set_state(DIV_G, "TIMELY72", "CR/G/0000001/21", "rectified", "time corrected", served_db=served)

    def ids(frame) -> set[str]:  # noqa: ANN001 (a DataFrame)
        return set(frame["record_id"])

    assert ids(store.states(state="under_review")) == {"PS-20210114-00001", "PS-20210114-00002"}
    assert ids(store.states("G", "under_review")) == {"PS-20210114-00001"}
    assert ids(store.states("G")) == {"PS-20210114-00001", "CR/G/0000001/21"}
    assert store.states("E", "rectified").empty
    with pytest.raises(ReviewRefused):  # a division still reads only its own, whatever the state asked for
        store.states_for(DIV_G, "E", state="under_review")
