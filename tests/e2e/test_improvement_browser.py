"""The Improvement plan and Impact pages in a real browser (headless Chromium against `streamlit run`).

The committee's pictures are recomputed from `raw.improvement_updates` and the seeds by the AppTest module's
helpers (not by the app); screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from tests.access_helpers import browser_sign_in
from tests.e2e.browser_helpers import CHARTS_DRAWN_JS, keep_for_docs, wait_until_idle
from tests.test_improvement_pages import FEB_2022, SEP_2024, committee_counts, sql

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'
PAGES = [("improvement_plan", "Improvement plan"), ("impact", "Impact")]


def load(page, url: str, path: str, title: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/{path}")
    first = page.locator("h1").first
    first.wait_for()
    if first.inner_text().strip() == "Sign in":  # every new tab is a new session
        browser_sign_in(page, "engineer")
    page.get_by_role("heading", name=title, level=1).wait_for()
    page.locator('[data-testid="stDownloadButton"]').first.wait_for()
    wait_until_idle(page)


def choose(page, label: str, option: str) -> None:  # noqa: ANN001
    """Pick an option of a select box by typing it (the list of months is long, and only part is drawn)."""
    page.get_by_role("combobox", name=label).click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)


def metrics(page) -> dict[str, str]:  # noqa: ANN001
    shown = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


def screenshot(page, name: str) -> Path:  # noqa: ANN001
    """A full-length screenshot (Streamlit scrolls inside its main section, so grow the viewport first)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        """() => Math.max(...Array.from(document.querySelectorAll('[data-testid="stMain"], section, div'))
                 .map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 9000)})
    page.wait_for_timeout(400)
    page.wait_for_function(CHARTS_DRAWN_JS)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    return path


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_without_an_error(dashboard_url: str, page, path: str, title: str) -> None:  # noqa: ANN001
    load(page, dashboard_url, path, title)
    assert page.locator(ERROR_SELECTOR).count() == 0
    assert page.locator('[data-testid="stDownloadButton"]').count() >= 1
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() >= 1
    for chart in charts.all():
        assert (chart.get_attribute("aria-label") or "").strip(), "every chart has an accessible description"
    shot = screenshot(page, path)
    assert shot.stat().st_size > 10_000
    keep_for_docs(shot)  # the README's images


@pytest.mark.parametrize(
    ("month", "option", "paper"),
    [
        (date(2022, 2, 28), "February 2022", FEB_2022),
        (date(2024, 9, 30), "September 2024 (quarter end)", SEP_2024),
    ],
    ids=["feb2022", "sep2024"],
)
def test_committee_picture_for_a_chosen_month(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
    month: date,
    option: str,
    paper: dict,
) -> None:
    expected = committee_counts(published_warehouse, month)
    assert expected == paper
    load(page, dashboard_url, "improvement_plan", "Improvement plan")
    choose(page, "Month", option)
    page.get_by_text(f"At the end of {month:%B %Y}, of").wait_for()
    rec = expected["recommendation"]
    shown = metrics(page)
    assert shown["Closed"] == str(rec["closed"])
    assert shown["On track"] == str(rec["on_track"])
    assert shown["Delayed"] == str(rec["delayed"])
    assert shown["Not started"] == str(rec["not_started"])
    sentence = (
        f"At the end of {month:%B %Y}, of 6 recommendations, {rec['closed']} closed, {rec['on_track']} on track, "
        f"{rec['delayed']} delayed and {rec['not_started']} not started."
    )
    assert any(sentence in text for text in page.locator('[data-testid="stMarkdown"]').all_inner_texts())
    assert page.locator(ERROR_SELECTOR).count() == 0

    with page.expect_download() as download_info:  # the first table: counts by status for that month
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    got = {r["Status"]: (int(r["Recommendations"]), int(r["Actions"])) for r in rows}
    names = {"closed": "Closed", "on_track": "On track", "delayed": "Delayed", "not_started": "Not started"}
    assert got == {
        **{names[p]: (expected["recommendation"][p], expected["action"][p]) for p in names},
        "Total": (6, sum(expected["action"].values())),
    }
    if month == date(2022, 2, 28):
        screenshot(page, "improvement_plan_feb2022")


def test_impact_page_states_why_there_is_no_comparison_or_shows_it(
    dashboard_url: str,
    page,  # noqa: ANN001
    published_warehouse: Path,
) -> None:
    compared = sql(published_warehouse, "SELECT count(*) AS n FROM marts.crime_system_impact")["n"].iloc[0]
    load(page, dashboard_url, "impact", "Impact")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Association, not causation" in text
    if compared == 0:
        assert "No division has compliance figures on both sides of its go-live" in text
    else:
        assert "not distinguishable" in text.lower()
    chart = page.locator('[data-testid="stVegaLiteChart"]').last
    assert "training completed" in chart.get_attribute("aria-label")
