"""Fixtures for the browser tests: a fixture warehouse, the real dashboard on a free port, headless Chromium.

The dashboard server, the browser and its context are started once per session (per pytest-xdist worker) and
shared by every e2e file that worker runs: a Streamlit server and a Chromium per file cost ~2-3 s of start-up
each and a cold first page (the app's imports, its query cache). Every test still opens a fresh tab, which is
a fresh Streamlit session that signs in again. The servers test_fault_pages_browser.py and
test_worklist_browser.py start for their own warehouses or accounts are theirs alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.access_helpers import make_users_file
from tests.e2e.browser_helpers import serve_dashboard

CHROMIUM = Path(os.environ.get("SCRS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard's accounts: tests/access_helpers.py's test accounts (sign in with `browser_sign_in`)."""
    return make_users_file(tmp_path_factory.mktemp("accounts") / "users.json")


@pytest.fixture(scope="session")
def dashboard_url(published_warehouse: Path, users_file: Path) -> Iterator[str]:
    """The real dashboard on a free port against the session warehouse; stopped afterwards. One log per
    pytest-xdist worker, since each worker serves its own."""
    log_name = f"streamlit-e2e-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    with serve_dashboard(published_warehouse, users_file, log_name) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SCRS_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def browser_context(browser: object) -> Iterator[object]:
    """One context per session, so Streamlit's scripts are fetched once and then come from the cache."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: object) -> Iterator[object]:
    """A fresh tab (a fresh Streamlit session) for each test."""
    tab = browser_context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        tab.close()
