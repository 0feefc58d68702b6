"""Issue 13's acceptance in a real browser: a division user marks a record rectified with a note; the pipeline
runs with a later extract where the record still fails (the page says still failing), then with one where it no
longer fails (the page says resolved); the state and history survive a full rebuild into an empty warehouse
folder (restored from `scrs backup`), seen on a dashboard serving the rebuilt folder.

Hand-made extracts (tests/extract_factory.py): crime C1 of division G recorded 144 hours after the report
(TIMELY72 fails), re-extracted unchanged, then corrected to 24 hours.
"""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from scrs import access_log
from scrs.reviews import ReviewStore
from tests import extract_factory as xf
from tests.access_helpers import browser_sign_in
from tests.conftest import run_scrs
from tests.e2e.browser_helpers import ARTIFACTS, serve_dashboard, wait_until_idle

C1 = "CR/G/0000001/21"
I1 = "PS-20210114-00001"
NOTE = "recording time corrected in the crime system"


def write_extract(landing: Path, n: int) -> None:
    at = ["2021-02-01 02:00:00", "2021-03-01 02:00:00", "2021-04-15 02:00:00"][n]
    recorded = "2021-01-15 10:00:00" if n == 2 else "2021-01-20 10:00:00"  # 24 h once corrected, else 144 h
    if n == 0:
        xf.write_incidents(landing / "incidents_2021_01.csv", [xf.incident(incident_id=I1, extracted_at=at)])
    xf.write_crimes(
        landing / f"crimes_2021_0{n + 1}.csv",
        [xf.crime(crime_id=C1, incident_id=I1, recorded_at=recorded, extracted_at=at)],
    )


def pipeline(landing: Path, warehouse: Path) -> None:
    run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet", check=True)


def dashboard(warehouse: Path, users_file: Path) -> AbstractContextManager[str]:
    """The real dashboard serving `warehouse` on a free port."""
    return serve_dashboard(warehouse, users_file, "streamlit-e2e-worklist.log", timeout=90)


def resolved_table(page):  # noqa: ANN001, ANN201
    """The table of resolved records (a static HTML table inside the "Resolved" expander)."""
    return page.locator('[data-testid="stTable"]')


def open_worklist(page, url: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/worklist")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    browser_sign_in(page, "division-g")
    page.get_by_role("heading", name="Worklist", level=1).wait_for()
    wait_until_idle(page)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("worklist_browser")
    return {"landing": base / "landing", "warehouse": base / "warehouse", "base": base}


def test_rectified_still_failing_resolved_and_kept_through_a_rebuild(folders, users_file, browser_context):
    landing, warehouse = folders["landing"], folders["warehouse"]
    write_extract(landing, 0)
    pipeline(landing, warehouse)
    with dashboard(warehouse, users_file) as url:
        page = browser_context.new_page()
        page.set_default_timeout(60_000)
        open_worklist(page, url)
        page.get_by_text(f"{C1}: now Open (not yet looked at)").wait_for()
        page.get_by_text("Rectified in the crime system", exact=True).click()
        page.get_by_label("Note (no staff numbers or officers' names)").fill(NOTE)
        page.get_by_role("button", name="Save").click()
        page.get_by_text(f"{C1} marked rectified in the crime system.").wait_for()
        wait_until_idle(page)
        page.screenshot(path=str(ARTIFACTS / "worklist-rectified.png"), full_page=True)

        write_extract(landing, 1)  # a later extract: C1 still 144 hours
        pipeline(landing, warehouse)
        open_worklist(page, url)  # a new page load is a new session: sign in again
        page.get_by_text(f"{C1}: now Still failing after rectification").wait_for()
        with page.expect_download() as download:  # generated when clicked, and logged
            page.get_by_role("button", name="Download (CSV)").click()
        text = Path(download.value.path()).read_text()
        assert C1 in text and "still_failing" in text and NOTE in text
        assert "Not recorded within 72 hours of the first report" in text
        logged = [e for e in access_log.read(warehouse / "logs" / "access.jsonl") if e["event"] == "download"]
        assert logged[-1]["file"] == "scrs_worklist_division-G.csv" and logged[-1]["user"] == "division-g"

        write_extract(landing, 2)  # corrected: C1 no longer fails
        pipeline(landing, warehouse)
        open_worklist(page, url)  # a new page load is a new session: sign in again
        page.get_by_text("No failing records in this division.").wait_for()
        page.get_by_text("Resolved: no longer failing (1)").click()
        resolved_table(page).get_by_text(C1).wait_for()
        resolved_table(page).get_by_text("Resolved (no longer failing)").wait_for()
        resolved_table(page).get_by_text("2021-04-15").wait_for()
        page.close()

    # A full rebuild into an empty warehouse folder, the store and access log restored from a backup.
    backup, rebuilt = folders["base"] / "backup", folders["base"] / "rebuilt"
    run_scrs("backup", "--warehouse", str(warehouse), "--out", str(backup), check=True)
    run_scrs("restore", "--from", str(backup), "--warehouse", str(rebuilt), check=True)
    landing2 = folders["base"] / "landing2"
    shutil.copytree(landing, landing2, ignore=shutil.ignore_patterns("quarantine"))
    pipeline(landing2, rebuilt)
    history = ReviewStore(rebuilt / "state" / "reviews.sqlite").history("TIMELY72", C1)
    history = history[["actor", "from_state", "to_state", "note"]].astype(object)
    assert history.where(history.notna(), None).values.tolist() == [
        ["division-g", "open", "rectified", NOTE],
        ["pipeline", "rectified", "still_failing", None],
        ["pipeline", "still_failing", "resolved", None],
    ]
    with dashboard(rebuilt, users_file) as url:
        page = browser_context.new_page()
        page.set_default_timeout(60_000)
        open_worklist(page, url)
        page.get_by_text("Resolved: no longer failing (1)").click()
        resolved_table(page).get_by_text(C1).wait_for()
        resolved_table(page).get_by_text("2021-02-01").wait_for()  # first seen failing, kept
        resolved_table(page).get_by_text("2021-04-15").wait_for()  # resolved on, kept
        page.close()
