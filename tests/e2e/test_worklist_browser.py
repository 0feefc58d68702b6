"""Issue 13's acceptance in a real browser: a division user marks records rectified with a note; the pipeline
runs with a later extract where one still fails (the page says still failing) and the other no longer fails (the
page says resolved); the state and history survive a full rebuild into an empty warehouse folder (restored from
`scrs backup`), seen on a dashboard serving the rebuilt folder.

On the worklist sequence shared with tests/test_worklist_pipeline.py (tests/worklist_sequence.py, built once per
`make test`): this test takes a copy of its first publication, before any review write, and makes run 1's two
writes itself through the page (crime C1 of division G, recorded 144 hours after the report, fails TIMELY72;
incident I2, an assault with no crime, fails TEST1); then its own one `scrs run` with the sequence's second
extract (C1 re-extracted unchanged; a crime now links to I2). The sequence's own run 1 writes were made through
the review store with the same notes, so after this run the store must hold what the sequence's store held
after its run 2. The rebuild is the sequence's (C1 corrected to 24 hours by the third extract, so resolved), on a
copy, served to the browser.
"""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd
import pytest

from scrs import access_log
from scrs.reviews import ReviewStore
from tests.access_helpers import browser_sign_in
from tests.e2e.browser_helpers import ARTIFACTS, serve_dashboard, wait_until_idle
from tests.worklist_sequence import C1, I2, WRITES, run, write_extract

pytestmark = pytest.mark.e2e

NOTES = {record_id: note for _, _, record_id, _, note in WRITES[0]}  # run 1's writes: C1 and I2 rectified
NOTE = NOTES[C1]


def dashboard(warehouse: Path, users_file: Path) -> AbstractContextManager[str]:
    """The real dashboard serving `warehouse` on a free port."""
    return serve_dashboard(warehouse, users_file, "streamlit-e2e-worklist.log", timeout=90)


def resolved_table(page):  # noqa: ANN001, ANN201
    """The table of resolved records (a static HTML table inside the "Resolved" expander)."""
    return page.locator('[data-testid="stTable"]')


def open_worklist(page, url: str, user: str = "division-g") -> None:  # noqa: ANN001
    page.goto(f"{url}/worklist")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    browser_sign_in(page, user)
    page.get_by_role("heading", name="Worklist", level=1).wait_for()
    wait_until_idle(page)


def choose_record(page, record_id: str) -> None:  # noqa: ANN001
    """Pick the record to mark in the "Record" select box by typing it (its options read "rank. test: record
    (state)"; the list opens on typing)."""
    page.get_by_role("combobox", name="Record").click()
    page.keyboard.type(record_id)
    page.get_by_role("option", name=f": {record_id} (").click()  # a substring of the option's name
    wait_until_idle(page)


def mark_rectified(page, record_id: str) -> None:  # noqa: ANN001
    choose_record(page, record_id)
    page.get_by_text(f"{record_id}: now Open (not yet looked at)").wait_for()
    page.get_by_text("Rectified in the crime system", exact=True).click()
    page.get_by_label("Note (no staff numbers or officers' names)").fill(NOTES[record_id])
    page.get_by_role("button", name="Save").click()
    page.get_by_text(f"{record_id} marked rectified in the crime system.").wait_for()
    wait_until_idle(page)


def copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to)
    return to


STATE_KEPT = ["test_code", "record_id", "division_code", "state", "note", "first_seen_failing", "resolved_on"]


def test_rectified_still_failing_resolved_and_kept_through_a_rebuild(
    worklist_sequence: Path,
    tmp_path: Path,
    users_file: Path,
    browser_context: object,
) -> None:
    first = worklist_sequence / "after_run_1"  # run 1 published, no review written yet
    landing = copy(first / "landing", tmp_path / "landing")
    warehouse = copy(first / "warehouse", tmp_path / "warehouse")
    with dashboard(warehouse, users_file) as url:
        page = browser_context.new_page()
        page.set_default_timeout(60_000)
        open_worklist(page, url)
        mark_rectified(page, C1)
        page.screenshot(path=str(ARTIFACTS / "worklist-rectified.png"), full_page=True)
        mark_rectified(page, I2)

        write_extract(landing, 1)  # a later extract: C1 still 144 hours; crime C2 now linked to I2
        run(landing, warehouse)
        open_worklist(page, url)  # a new page load is a new session: sign in again
        choose_record(page, C1)
        page.get_by_text(f"{C1}: now Still failing after rectification").wait_for()
        with page.expect_download() as download:  # generated when clicked, and logged
            page.get_by_role("button", name="Download (CSV)").click()
        text = Path(download.value.path()).read_text()
        assert C1 in text and "still_failing" in text and NOTE in text
        assert "Not recorded within 72 hours of the first report" in text
        logged = [e for e in access_log.read(warehouse / "logs" / "access.jsonl") if e["event"] == "download"]
        assert logged[-1]["file"] == "scrs_worklist_division-G.csv" and logged[-1]["user"] == "division-g"
        page.get_by_text("Resolved: no longer failing (1)").click()  # I2: rectified, and no longer failing
        resolved_table(page).get_by_text(I2).wait_for()
        resolved_table(page).get_by_text("Resolved (no longer failing)").wait_for()
        resolved_table(page).get_by_text("2021-03-01").wait_for()  # resolved on the second extract's date
        page.close()

    # The page's writes are the store writes the shared sequence made through the API: after the same run, the
    # same states; and the history says who did what.
    mine = ReviewStore(warehouse / "state" / "reviews.sqlite")
    theirs = ReviewStore(worklist_sequence / "after_run_2" / "warehouse" / "state" / "reviews.sqlite")
    pd.testing.assert_frame_equal(mine.states()[STATE_KEPT], theirs.states()[STATE_KEPT])
    for record_id, test_code, after in ((C1, "TIMELY72", "still_failing"), (I2, "TEST1", "resolved")):
        history = mine.history(test_code, record_id)[["actor", "from_state", "to_state", "note"]].astype(object)
        assert history.where(history.notna(), None).values.tolist() == [
            ["division-g", "open", "rectified", NOTES[record_id]],
            ["pipeline", "rectified", after, None],
        ]

    # The sequence's full rebuild into an empty warehouse folder, the store and access log restored from a backup
    # (C1: rectified, still failing, under review, then resolved by the corrected third extract).
    rebuilt = copy(worklist_sequence / "rebuilt", tmp_path / "rebuilt")
    history = ReviewStore(rebuilt / "state" / "reviews.sqlite").history("TIMELY72", C1)
    history = history[["actor", "from_state", "to_state", "note"]].astype(object)
    assert history.where(history.notna(), None).values.tolist() == [
        ["division-g", "open", "rectified", NOTE],
        ["pipeline", "rectified", "still_failing", None],
        ["division-g", "still_failing", "under_review", "checking the crime system again"],
        ["pipeline", "under_review", "resolved", None],
    ]
    with dashboard(rebuilt, users_file) as url:
        page = browser_context.new_page()
        page.set_default_timeout(60_000)
        open_worklist(page, url)
        page.get_by_text("Resolved: no longer failing (1)").click()
        resolved_table(page).get_by_text(C1).wait_for()
        resolved_table(page).get_by_text("2021-02-01").wait_for()  # first seen failing, kept
        resolved_table(page).get_by_text("2021-04-15").wait_for()  # resolved on, kept
        open_worklist(page, url, "division-a")  # a division with no failing record
        page.get_by_text("No failing records in this division.").wait_for()
        page.close()
