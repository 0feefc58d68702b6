"""The worklist through real pipeline runs over a sequence of hand-made extracts (docs/worklist.md).

Three monthly deliveries of a handful of records, with review writes between the runs, then a full rebuild
into an empty warehouse folder from a backup. What each publication must show is worked out here, by hand
and by replaying the sequence of extracts (`replay`), never read back from the code under test:

| record                | extract 1 (2021-02-01) | extract 2 (2021-03-01)    | extract 3 (2021-04-15)    |
|-----------------------|------------------------|---------------------------|---------------------------|
| TIMELY72 C1 (G)       | fails (144 h)          | re-extracted, still 144 h | corrected to 24 h: passes |
| TEST1 I2 (G, ASSAULT) | fails (no crime)       | crime C2 links: passes    | C2 unlinked: fails again  |
| TEST1 I4 (E)          | fails                  | fails                     | fails                     |
| TEST1 I5 (G, FRAUD)   | -                      | new incident, fails       | fails                     |

Writes: after run 1, G marks C1 and I2 rectified; after run 2, G disputes I5 and a registrar overturns it,
and G puts C1 (still failing) under review. The sequence is built once per `make test` and shared with the
browser test (tests/worklist_sequence.py, `worklist_sequence` in tests/conftest.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from scrs import access_log
from scrs.reviews import ReviewStore
from tests.worklist_sequence import AS_OF, C1, I2, I4, I5, published

pytestmark = pytest.mark.pipeline  # the shared sequence's four real `scrs run`s: not in make test-fast

# What fails in each publication (hand-checked against contract section 3): (test, record) -> division
FAILING = [
    {("TIMELY72", C1): "G", ("TEST1", I2): "G", ("TEST1", I4): "E"},
    {("TIMELY72", C1): "G", ("TEST1", I4): "E", ("TEST1", I5): "G"},
    {("TEST1", I2): "G", ("TEST1", I4): "E", ("TEST1", I5): "G"},
]


def replay(upto: int) -> dict[tuple[str, str], dict]:
    """First-seen and resolved dates from the sequence of extracts alone: a record is first seen failing on
    the extract date of the first publication it fails in (again after a resolution), and resolved on the
    extract date of the first publication it no longer fails in."""
    facts: dict[tuple[str, str], dict] = {}
    for as_of, failing in zip(AS_OF[: upto + 1], FAILING[: upto + 1], strict=True):
        for key in failing:
            if key not in facts or facts[key]["resolved_on"] is not None:
                facts[key] = {"first_seen": as_of, "resolved_on": None, "new": True}
            else:
                facts[key]["new"] = False
        for key, fact in facts.items():
            if key not in failing and fact["resolved_on"] is None:
                fact["resolved_on"] = as_of
    return facts


@pytest.fixture(scope="module")
def sequence(worklist_sequence: Path) -> dict:
    """What each publication of the shared sequence showed (read from the folder just after each run, before that
    step's review writes), the final store and marts, the division G pack and the rebuild."""
    base = worklist_sequence
    after = [base / f"after_run_{n}" / "warehouse" for n in (1, 2, 3)]
    warehouse, rebuilt = base / "warehouse", base / "rebuilt"
    return {
        "warehouse": warehouse,
        "worklists": [published(w, "select * from marts.worklist") for w in after],
        "failures": [
            published(w, "select test_code, record_id, division_code from marts.record_failures") for w in after
        ],
        "states": [ReviewStore(w / "state" / "reviews.sqlite").states() for w in after],
        "store": ReviewStore(warehouse / "state" / "reviews.sqlite"),
        "review_outcomes": published(warehouse, "select * from marts.review_outcomes"),
        "open_failures": published(warehouse, "select * from marts.review_open_failures"),
        "pack": base / "pack_G",
        "rebuilt": rebuilt,
        "rebuilt_worklist": published(rebuilt, "select * from marts.worklist"),
        "rebuilt_store": ReviewStore(rebuilt / "state" / "reviews.sqlite"),
    }


@pytest.mark.parametrize("n", [0, 1, 2])
def test_each_publication_fails_exactly_the_hand_checked_records(sequence, n):
    failures = sequence["failures"][n]
    got = {(r.test_code, r.record_id): r.division_code for r in failures.itertuples()}
    assert got == FAILING[n]
    assert set(zip(sequence["worklists"][n].test_code, sequence["worklists"][n].record_id, strict=True)) == set(got)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_first_seen_age_and_new_follow_the_sequence_of_extracts(sequence, n):
    expected = replay(n)
    worklist = sequence["worklists"][n].set_index(["test_code", "record_id"])
    for key in FAILING[n]:
        row = worklist.loc[key]
        fact = expected[key]
        assert row.first_seen_failing.date() == fact["first_seen"], key
        assert row.age_days == (AS_OF[n] - fact["first_seen"]).days, key
        assert bool(row.is_new_since_last_publication) == fact["new"], key
        assert row.as_of.date() == AS_OF[n]
    states = sequence["states"][n].set_index(["test_code", "record_id"])
    for key, fact in expected.items():
        stored = states.loc[key]
        assert stored.first_seen_failing == fact["first_seen"].isoformat(), key
        resolved_on = None if pd.isna(stored.resolved_on) else stored.resolved_on
        assert resolved_on == (fact["resolved_on"].isoformat() if fact["resolved_on"] else None), key


def test_rectified_but_still_failing_after_the_next_extract_is_flagged(sequence):
    after_run_2 = sequence["worklists"][1].set_index(["test_code", "record_id"])
    assert after_run_2.loc[("TIMELY72", C1)].review_state == "still_failing"
    assert after_run_2.loc[("TIMELY72", C1)].review_state_words == "Still failing after rectification"
    assert after_run_2.loc[("TIMELY72", C1)].review_note == "recording time corrected"


def test_a_record_that_no_longer_fails_is_resolved_whatever_its_state(sequence):
    history = sequence["store"].history()
    by_record = {k: g.sort_values("seq") for k, g in history.groupby(["test_code", "record_id"])}
    i2 = by_record[("TEST1", I2)][["from_state", "to_state", "actor"]].values.tolist()
    assert i2 == [
        ["open", "rectified", "division-g"],
        ["rectified", "resolved", "pipeline"],  # run 2: a crime now links to it
        ["resolved", "open", "pipeline"],  # run 3: failing again, reopened
    ]
    c1 = by_record[("TIMELY72", C1)][["from_state", "to_state"]].values.tolist()
    assert c1 == [
        ["open", "rectified"],
        ["rectified", "still_failing"],
        ["still_failing", "under_review"],
        ["under_review", "resolved"],
    ]
    final = sequence["store"].state("TIMELY72", C1)
    assert (final["state"], final["resolved_on"]) == ("resolved", "2021-04-15")


def test_measures_count_open_failures_resolution_days_and_rule_errors(sequence):
    outcomes = sequence["review_outcomes"].set_index("division_code")
    g, e = outcomes.loc["G"], outcomes.loc["E"]
    # G: I2 open (reopened), I5 overturned = a rule error, not open; C1 resolved after 2021-02-01 -> 2021-04-15
    assert (g.open_failures, g.rule_errors, g.resolved, g.open_disputes) == (1, 1, 1, 0)
    assert g.median_days_to_resolve == (date(2021, 4, 15) - date(2021, 2, 1)).days
    assert (e.open_failures, e.rule_errors, e.resolved) == (1, 0, 0)
    assert pd.isna(e.median_days_to_resolve)
    bands = sequence["open_failures"]
    got = sorted(zip(bands.division_code, bands.review_state, bands.age_band, bands.open_failures, strict=True))
    # I2 reopened on 2021-04-15 (age 0); I4 first seen 2021-02-01 (age 73)
    assert got == [("E", "open", "31-90 days", 1), ("G", "open", "0-30 days", 1)]


def test_priority_puts_victim_based_violent_crime_first(sequence):
    g = sequence["worklists"][2].query("division_code == 'G'").sort_values("priority_rank")
    assert g.record_id.tolist() == [I2, I5]  # ASSAULT incident with no crime, then FRAUD
    assert g.priority_group.tolist() == [1, 2]
    assert g.priority_words.tolist() == ["Victim-based sexual or violent crime", "Other victim-based crime"]


def test_the_division_pack_carries_reasons_in_words_age_priority_and_state(sequence):
    pack = pd.read_csv(sequence["pack"] / "worklist.csv")
    assert set(pack.division_code) == {"G"}
    rows = pack.set_index("record_id")
    assert rows.loc[I2, "reasons_in_words"] == "No crime recorded for a crime-related incident"
    assert (rows.loc[I2, "age_days"], rows.loc[I5, "age_days"]) == (0, (date(2021, 4, 15) - date(2021, 3, 1)).days)
    assert (rows.loc[I2, "priority_rank"], rows.loc[I5, "priority_rank"]) == (1, 2)
    assert (rows.loc[I2, "review_state"], rows.loc[I5, "review_state"]) == ("open", "overturned")
    assert rows.loc[I5, "review_note"] == "rule error: duplicates"
    assert (sequence["pack"] / "worklist.xlsx").exists()


def test_state_and_history_survive_a_full_rebuild_into_an_empty_warehouse_folder(sequence):
    keep = ["test_code", "record_id", "division_code", "state", "note", "first_seen_failing", "resolved_on"]
    before = sequence["store"].states()[keep]
    after = sequence["rebuilt_store"].states()[keep]
    pd.testing.assert_frame_equal(before, after)
    hist_cols = ["seq", "test_code", "record_id", "at", "actor", "from_state", "to_state", "note"]
    pd.testing.assert_frame_equal(
        sequence["store"].history()[hist_cols], sequence["rebuilt_store"].history()[hist_cols]
    )
    cols = ["test_code", "record_id", "first_seen_failing", "age_days", "review_state", "priority_rank"]
    original = sequence["worklists"][2][cols].sort_values(["test_code", "record_id"]).reset_index(drop=True)
    rebuilt = sequence["rebuilt_worklist"][cols].sort_values(["test_code", "record_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(original, rebuilt)


def test_every_write_is_in_the_access_log_and_the_restored_log_is_intact(sequence):
    writes = [
        e for e in access_log.read(sequence["warehouse"] / "logs" / "access.jsonl") if e["event"] == "review_write"
    ]
    assert len(writes) == 5
    restored = sequence["rebuilt"] / "logs" / "access.jsonl"
    assert access_log.read(restored) == access_log.read(sequence["warehouse"] / "logs" / "access.jsonl")
    assert access_log.verify(restored) is None
