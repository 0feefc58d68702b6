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
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
DOC_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"

_SETTLE_JS = """() => ['stElementContainer', 'stDownloadButton', 'stDataFrame', 'stVegaLiteChart', 'stMetric']
    .map(id => document.querySelectorAll('[data-testid="' + id + '"]').length).join(',')"""
CHARTS_DRAWN_JS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    .filter(chart => chart.offsetParent !== null)
    .every(chart => chart.querySelector('svg.marks, canvas.marks'))"""


def wait_until_idle(page) -> None:  # noqa: ANN001
    """The script run has finished, the page has stopped changing, and every visible chart has drawn."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    previous, stable_since = None, time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = page.evaluate(_SETTLE_JS)
        running = page.locator('[data-testid="stApp"][data-test-script-state="running"]').count()
        if current != previous or running:
            previous, stable_since = current, time.monotonic()
        elif time.monotonic() - stable_since >= 0.5:
            break
        page.wait_for_timeout(100)
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
