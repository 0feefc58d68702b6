"""Shared by the browser tests: serve the real dashboard on a free port, wait until a Streamlit page has
finished running and drawing, and keep the README's screenshots."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
DOC_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"

# True once the page's Streamlit elements (how many of each kind) and its script state have not changed for
# `quietMs`: polled inside the browser, so waiting costs no round trip through Playwright per poll.
_SETTLED_JS = """quietMs => {
    const kinds = ['stElementContainer', 'stDownloadButton', 'stDataFrame', 'stVegaLiteChart', 'stMetric'];
    const app = document.querySelector('[data-testid="stApp"]');
    const now = [app && app.getAttribute('data-test-script-state'),
                 ...kinds.map(id => document.querySelectorAll('[data-testid="' + id + '"]').length)].join(',');
    const last = window.__scrsSettle;
    if (!last || last.state !== now) {
        window.__scrsSettle = {state: now, since: performance.now()};
        return false;
    }
    return now.startsWith('notRunning') && performance.now() - last.since >= quietMs;
}"""
CHARTS_DRAWN_JS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    .filter(chart => chart.offsetParent !== null)
    .every(chart => chart.querySelector('svg.marks, canvas.marks'))"""


def wait_until_idle(page, quiet_ms: int = 300) -> None:  # noqa: ANN001
    """The script run has finished, the page has stopped changing (for `quiet_ms`), and every visible chart has
    drawn. After 30 s of change it goes on, as before, to the charts' check."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.evaluate("() => { window.__scrsSettle = null; }")
    with suppress(PlaywrightTimeout):
        page.wait_for_function(_SETTLED_JS, arg=quiet_ms, polling=50, timeout=30_000)
    page.wait_for_function(CHARTS_DRAWN_JS)


def keep_for_docs(path: Path) -> None:
    """Copy a page's screenshot to docs/screenshots/ (the README's images) when it is missing there, or always
    with SCRS_UPDATE_SCREENSHOTS=1 (after a page changes; the command is in the README)."""
    target = DOC_SCREENSHOTS / path.name
    if os.environ.get("SCRS_UPDATE_SCREENSHOTS") == "1" or not target.exists():
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_dashboard(warehouse: Path, users_file: Path, log_name: str, *, timeout: float = 60) -> Iterator[str]:
    """`streamlit run streamlit_app/app.py` on a free port against `warehouse` and `users_file`, its output in
    test-artifacts/`log_name`; yields the URL once the server answers, stops it afterwards."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    env = {
        **os.environ,
        "SCRS_WAREHOUSE_DIR": str(warehouse),
        "SCRS_USERS_FILE": str(users_file),
        "DO_NOT_TRACK": "1",
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app/app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
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
