"""Shared by the browser tests: wait until a Streamlit page has finished running and drawing; keep the
README's screenshots."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

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
