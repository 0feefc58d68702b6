"""A division's worklist as of now (scrs/worklist.py `load_live_states`): the published worklist with the
review store's current states laid over it, read as only the records changed since the publication when the
publication's copy of the store plus those changes is the store (its fingerprint), and as every state when
it is not (a store restored from an older backup).

On a copy of the end of the worklist's shared sequence (tests/worklist_sequence.py: real `scrs run`s). What
each row must show is the review store's own account of the record (`ReviewStore.states`), never what the
code under test read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scrs.reviews import ReviewStore
from scrs.worklist import filtered_worklist_query, load_live_states
from tests.worklist_sequence import DIV_G, I2, I5, store

pytestmark = pytest.mark.pipeline  # the shared sequence's real `scrs run`s


@pytest.fixture
def warehouse(worklist_sequence: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse"
    shutil.copytree(worklist_sequence / "warehouse", copy)
    return copy


def _worklist_now(warehouse: Path, division: str) -> tuple[int | None, pd.DataFrame]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        changed = load_live_states(con, ReviewStore(warehouse / "state" / "reviews.sqlite"), division)
        sql, params = filtered_worklist_query(division)
        return changed, con.execute(sql, list(params)).df()


def _as_the_store_holds_it(warehouse: Path, rows: pd.DataFrame) -> None:
    """Every row's state and note are the store's for that record."""
    held = ReviewStore(warehouse / "state" / "reviews.sqlite").states().set_index(["test_code", "record_id"])
    for row in rows.itertuples():
        record = held.loc[(row.test_code, row.record_id)]
        assert row.review_state == record["state"], row.record_id
        assert _text(row.review_note) == _text(record["note"]), row.record_id


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value)


def test_a_state_marked_after_the_publication_shows_at_once_from_the_changes_alone(warehouse: Path) -> None:
    served = warehouse / "warehouse.duckdb"
    store(warehouse).set_state(DIV_G, "TEST1", I2, "rectified", "crime recorded after all", served_db=served)

    changed, rows = _worklist_now(warehouse, "G")

    assert changed == 1  # read: the one record changed since the publication, not the division's every state
    by_record = rows.set_index("record_id")
    assert (by_record.loc[I2, "review_state"], by_record.loc[I2, "review_note"]) == (
        "rectified",
        "crime recorded after all",
    )
    assert by_record.loc[I2, "review_state_words"] != by_record.loc[I5, "review_state_words"]
    # Unchanged since the publication: the published state, which is the store's (overturned after run 2).
    assert (by_record.loc[I5, "review_state"], by_record.loc[I5, "review_note"]) == (
        "overturned",
        "rule error: duplicates",
    )
    assert set(rows.division_code) == {"G"}
    _as_the_store_holds_it(warehouse, rows)


def test_a_store_restored_from_an_older_backup_is_read_whole(warehouse: Path, worklist_sequence: Path) -> None:
    # The store as it was just after run 2, before that step's writes: I5 not yet disputed or overturned. No
    # record in it has changed since the publication's copy was made, so only its fingerprint tells them apart.
    older = worklist_sequence / "after_run_2" / "warehouse" / "state" / "reviews.sqlite"
    shutil.copyfile(older, warehouse / "state" / "reviews.sqlite")

    changed, rows = _worklist_now(warehouse, "G")

    assert changed is None  # the whole store was read
    assert rows.set_index("record_id").loc[I5, "review_state"] == "open"  # the store's, not the publication's
    _as_the_store_holds_it(warehouse, rows)
