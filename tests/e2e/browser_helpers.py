"""Shared by the browser tests: wait until a Streamlit page has finished running and drawing."""

from __future__ import annotations

import time

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
