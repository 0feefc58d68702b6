"""Fixtures for the browser tests: a fixture warehouse, the real dashboard on a free port, headless Chromium."""

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


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard's accounts: tests/access_helpers.py's test accounts (sign in with `browser_sign_in`)."""
    return make_users_file(tmp_path_factory.mktemp("accounts") / "users.json")


@pytest.fixture(scope="module")
def dashboard_url(published_warehouse: Path, users_file: Path) -> Iterator[str]:
    """The real dashboard on a free port against the session warehouse; stopped afterwards. One log per
    pytest-xdist worker, since each worker serves its own."""
    log_name = f"streamlit-e2e-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    with serve_dashboard(published_warehouse, users_file, log_name) as url:
        yield url


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def browser_context(browser: object) -> Iterator[object]:
    """One context per module, so Streamlit's scripts are fetched once and then come from the cache."""
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
