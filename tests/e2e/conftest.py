"""Fixtures for the browser tests: a fixture warehouse, the real dashboard on a free port, headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.access_helpers import make_users_file

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SCRS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard's accounts: tests/access_helpers.py's test accounts (sign in with `browser_sign_in`)."""
    return make_users_file(tmp_path_factory.mktemp("accounts") / "users.json")


@pytest.fixture(scope="module")
def dashboard_url(published_warehouse: Path, users_file: Path) -> Iterator[str]:
    """`streamlit run streamlit_app/app.py` on a free port against the warehouse; stopped afterwards."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-e2e-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"  # one per worker
    env = {
        **os.environ,
        "SCRS_WAREHOUSE_DIR": str(published_warehouse),
        "SCRS_USERS_FILE": str(users_file),
        "DO_NOT_TRACK": "1",
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "streamlit_app/app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not answer on {url}:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


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
