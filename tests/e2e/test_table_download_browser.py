"""A table's "Download this table" button makes its CSV when clicked, and the access log records it then.

Before (issue 11, item 8) table downloads wrote no log line at all, and every file was made when the page was
shown. Here a committee user opens a page (nothing is logged), clicks a table's download (Playwright's
download API), and the log gains one `download` line naming that file and its rows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.browser_helpers import wait_until_idle
from tests.e2e.test_access_browser import log_entries, open_signed_in, wait_for_log

pytestmark = pytest.mark.e2e


def test_a_table_download_is_made_and_logged_on_click(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
) -> None:
    start = len(log_entries(published_warehouse))
    open_signed_in(page, dashboard_url, "divisions", "committee", "Divisions")
    wait_until_idle(page)
    assert not [e for e in log_entries(published_warehouse)[start:] if e["event"] == "download"]
    button = page.locator('[data-testid="stDownloadButton"]').first
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    entry = wait_for_log(published_warehouse, start, "download", "committee")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert (entry["scope"], entry["file"], entry["rows"]) == ("table", download.suggested_filename, len(rows))
    assert len(rows) > 0
