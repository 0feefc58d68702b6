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
and G puts C1 (still failing) under review.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scrs import access_log
from scrs.reviews import Person, ReviewStore
from tests import extract_factory as xf
from tests.conftest import run_scrs

pytestmark = pytest.mark.pipeline  # four real `scrs run`s (three deliveries and a rebuild): not in make test-fast

I1, I2, I3, I4, I5 = (f"PS-2021011{n}-0000{n}" for n in range(1, 6))
C1, C2, C3 = "CR/G/0000001/21", "CR/G/0000002/21", "CR/G/0000003/21"
EXTRACTED = ["2021-02-01 02:00:00", "2021-03-01 02:00:00", "2021-04-15 02:00:00"]
AS_OF = [date(2021, 2, 1), date(2021, 3, 1), date(2021, 4, 15)]
# What fails in each publication (hand-checked against contract section 3): (test, record) -> division
FAILING = [
    {("TIMELY72", C1): "G", ("TEST1", I2): "G", ("TEST1", I4): "E"},
    {("TIMELY72", C1): "G", ("TEST1", I4): "E", ("TEST1", I5): "G"},
    {("TEST1", I2): "G", ("TEST1", I4): "E", ("TEST1", I5): "G"},
]
DIV_G = Person("division-g", "division", "G")
REGISTRAR = Person("registrar", "registrar")


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


def write_extract(landing: Path, n: int) -> None:
    at = EXTRACTED[n]
    if n == 0:
        xf.write_incidents(
            landing / "incidents_2021_01.csv",
            [
                xf.incident(incident_id=I1, extracted_at=at),
                xf.incident(incident_id=I2, initial_type_code="ASSAULT", final_type_code="ASSAULT", extracted_at=at),
                xf.incident(incident_id=I3, extracted_at=at),
                xf.incident(incident_id=I4, division_code="E", extracted_at=at),
            ],
        )
        xf.write_crimes(
            landing / "crimes_2021_01.csv",
            [
                xf.crime(crime_id=C1, incident_id=I1, recorded_at="2021-01-20 10:00:00", extracted_at=at),
                xf.crime(crime_id=C3, incident_id=I3, extracted_at=at),
            ],
        )
    elif n == 1:
        xf.write_incidents(
            landing / "incidents_2021_03.csv",
            [
                xf.incident(
                    incident_id=I5,
                    created_at="2021-02-14 09:00:00",
                    closed_at="2021-02-14 11:00:00",
                    initial_type_code="FRAUD",
                    final_type_code="FRAUD",
                    extracted_at=at,
                )
            ],
        )
        xf.write_crimes(
            landing / "crimes_2021_03.csv",
            [
                xf.crime(crime_id=C1, incident_id=I1, recorded_at="2021-01-20 10:00:00", extracted_at=at),
                xf.crime(
                    crime_id=C2, incident_id=I2, crime_code="0140", recorded_at="2021-01-14 12:00:00", extracted_at=at
                ),
            ],
        )
    else:
        xf.write_crimes(
            landing / "crimes_2021_04.csv",
            [
                xf.crime(crime_id=C1, incident_id=I1, recorded_at="2021-01-15 10:00:00", extracted_at=at),
                xf.crime(
                    crime_id=C2, incident_id=None, crime_code="0140", recorded_at="2021-01-14 12:00:00", extracted_at=at
                ),
            ],
        )


def published(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).df()


def run(landing: Path, warehouse: Path) -> None:
    run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet", check=True)


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("worklist")
    landing, warehouse = base / "landing", base / "warehouse"
    served = warehouse / "warehouse.duckdb"
    out: dict = {"warehouse": warehouse, "worklists": [], "failures": [], "states": []}
    for n in range(3):
        write_extract(landing, n)
        run(landing, warehouse)
        out["worklists"].append(published(warehouse, "select * from marts.worklist"))
        out["failures"].append(
            published(warehouse, "select test_code, record_id, division_code from marts.record_failures")
        )
        store = ReviewStore(warehouse / "state" / "reviews.sqlite", warehouse / "logs" / "access.jsonl")
        out["states"].append(store.states())
        if n == 0:
            store.set_state(DIV_G, "TIMELY72", C1, "rectified", "recording time corrected", served_db=served)
            store.set_state(DIV_G, "TEST1", I2, "rectified", "crime now recorded", served_db=served)
        elif n == 1:
            store.set_state(
                DIV_G, "TEST1", I5, "disputed", "duplicate incident, disposal keyed wrongly", served_db=served
            )
            store.set_state(REGISTRAR, "TEST1", I5, "overturned", "rule error: duplicates", served_db=served)
            store.set_state(DIV_G, "TIMELY72", C1, "under_review", "checking the crime system again", served_db=served)
    out["store"] = store
    out["review_outcomes"] = published(warehouse, "select * from marts.review_outcomes")
    out["open_failures"] = published(warehouse, "select * from marts.review_open_failures")
    pack = base / "pack_G"
    run_scrs("export", "--warehouse", str(warehouse), "--out", str(pack), "--division", "G", check=True)
    out["pack"] = pack
    # A full rebuild into an empty warehouse folder: the store and log come back from a backup.
    backup = base / "backup"
    run_scrs("backup", "--warehouse", str(warehouse), "--out", str(backup), check=True)
    rebuilt, landing2 = base / "rebuilt", base / "landing2"
    run_scrs("restore", "--from", str(backup), "--warehouse", str(rebuilt), check=True)
    shutil.copytree(landing, landing2, ignore=shutil.ignore_patterns("quarantine"))
    run(landing2, rebuilt)
    out["rebuilt"] = rebuilt
    out["rebuilt_worklist"] = published(rebuilt, "select * from marts.worklist")
    out["rebuilt_store"] = ReviewStore(rebuilt / "state" / "reviews.sqlite")
    return out


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
