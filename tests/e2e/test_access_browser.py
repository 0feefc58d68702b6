"""Access control in a real browser: sign in, download, and try to reach what the role may not see.

A division user downloads its record failures from the Downloads page (Playwright's download API) and finds
only its own division's rows; a committee user finds no record-level download at all; wrong passwords and
other divisions asked for by URL are refused, and the access log records it all.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import duckdb
import pytest

from tests.access_helpers import browser_sign_in

pytestmark = pytest.mark.e2e

ERROR_SELECTOR = '[data-testid="stException"]'


def sql_count(warehouse: Path, query: str, params: list) -> int:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(query, params).fetchone()[0]
    finally:
        con.close()


def log_entries(warehouse: Path) -> list[dict]:
    path = warehouse / "logs" / "access.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for_log(warehouse: Path, start: int, event: str, user: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = [e for e in log_entries(warehouse)[start:] if e["event"] == event and e["user"] == user]
        if hits:
            return hits[-1]
        time.sleep(0.2)
    raise AssertionError(f"no {event} by {user} in the access log")


def open_signed_in(page, url: str, path: str, username: str, title: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    browser_sign_in(page, username)
    page.get_by_role("heading", name=title, level=1).wait_for()
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def test_division_user_downloads_only_its_own_record_failures(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
) -> None:
    start = len(log_entries(published_warehouse))
    open_signed_in(page, dashboard_url, "downloads", "division-e", "Downloads")
    button = page.locator('.st-key-pack_record_failures_csv [data-testid="stDownloadButton"] button')
    button.wait_for()
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("scrs_division-E_record_failures_2019-20_to_2020-21_published-")
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    expected = sql_count(
        published_warehouse, "SELECT count(*) FROM marts.record_failures WHERE division_code = ?", ["E"]
    )
    assert len(rows) == expected > 0
    assert {r["division_code"] for r in rows} == {"E"}
    assert {"test_code", "record_id", "failure_reasons"} <= set(rows[0])

    entry = wait_for_log(published_warehouse, start, "download", "division-e")
    assert (entry["scope"], entry["file"], entry["rows"]) == ("E", download.suggested_filename, expected)
    assert page.locator(ERROR_SELECTOR).count() == 0


def test_division_user_is_refused_another_division_by_url(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
) -> None:
    start = len(log_entries(published_warehouse))
    page.goto(f"{dashboard_url}/division_detail?division=G")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    browser_sign_in(page, "division-e")
    page.get_by_text("is not yours").wait_for()
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    entry = wait_for_log(published_warehouse, start, "access_denied", "division-e")
    assert entry["scope"] == "G"


def test_committee_finds_no_record_level_download(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
) -> None:
    open_signed_in(page, dashboard_url, "downloads", "committee", "Downloads")
    page.locator('.st-key-pack_compliance_national_test_csv [data-testid="stDownloadButton"] button').wait_for()
    # 3 aggregate marts x 3 formats, and the committee's paper (aggregates only, suppressed; issue 14)
    assert page.locator('[data-testid="stDownloadButton"]').count() == 10
    assert page.locator(".st-key-paper_download").count() == 1
    assert page.locator(".st-key-pack_record_failures_csv").count() == 0
    assert page.get_by_text("Record failures").count() == 0
    assert page.get_by_text("small cells suppressed").count() >= 1
    with page.expect_download() as download_info:
        page.locator('.st-key-pack_compliance_by_division_test_csv [data-testid="stDownloadButton"] button').click()
    header = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert "record_id" not in header and header.startswith("fiscal_year,fiscal_quarter,division_code")

    start = len(log_entries(published_warehouse))
    page.goto(f"{dashboard_url}/downloads?division=E")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    browser_sign_in(page, "committee")
    page.get_by_text("national pack only").wait_for()
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    assert wait_for_log(published_warehouse, start, "access_denied", "committee")["scope"] == "E"


def test_wrong_password_is_refused_in_the_browser(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
) -> None:
    start = len(log_entries(published_warehouse))
    page.goto(dashboard_url)
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    browser_sign_in(page, "registrar", "definitely-not-the-password")
    page.get_by_text("Wrong username or password.").wait_for()
    assert page.get_by_role("heading", name="Overview", level=1).count() == 0
    assert page.locator('input[type="password"]').input_value() == ""  # the form is cleared
    assert wait_for_log(published_warehouse, start, "sign_in_failed", "registrar")["detail"] == "wrong_password"
