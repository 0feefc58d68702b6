"""The dashboard in a real browser: `streamlit run` on a free port, driven by headless Chromium.

Figures are compared with DuckDB queries on the same warehouse file, not with the app's own code.
Screenshots of every page go to test-artifacts/screenshots/; the main ones are copied to docs/screenshots/
(for the README) when missing there, or always with SCRS_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.access_helpers import browser_sign_in
from tests.dashboard_fixture import read_served as sql
from tests.e2e.browser_helpers import CHARTS_DRAWN_JS, keep_for_docs, wait_until_idle

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
PAGES = [
    ("", "overview", "Overview"),
    ("divisions", "divisions", "Divisions"),
    ("trends", "trends", "Trends"),
    ("division_detail", "division_detail", "Division detail"),
    ("crime_types", "crime_types", "Crime types and units"),
    ("training", "training", "Training"),
    ("registrar_audit", "registrar_audit", "Registrar audit"),
    ("worklist", "worklist", "Worklist"),
    ("data_quality", "data_quality", "Data quality"),
    ("about", "about", "About the data"),
]
# Copied to docs/screenshots/ for the README (tests/e2e/browser_helpers.py, `keep_for_docs`).
MAIN_PAGES = {
    "overview",
    "divisions",
    "trends",
    "division_detail",
    "crime_types",
    "registrar_audit",
    "worklist",
    "data_quality",
}
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'


# Elements that fill in after a script run ends (download buttons, tables, charts): wait for them to settle.
def load(page, url: str, path: str, title: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()  # every new tab is a new session
    browser_sign_in(page, "engineer")
    page.get_by_role("heading", name=title, level=1).wait_for()
    page.locator('[data-testid="stDownloadButton"]').first.wait_for()  # every page has a table to download
    wait_until_idle(page)


def screenshot(page, name: str) -> Path:  # noqa: ANN001
    """A full-length screenshot (Streamlit scrolls inside its main section, so grow the viewport first)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        """() => Math.max(...Array.from(document.querySelectorAll('[data-testid="stMain"], section, div'))
                 .map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(400)  # charts re-fit to the new size
    page.wait_for_function(CHARTS_DRAWN_JS)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    if name in MAIN_PAGES:
        keep_for_docs(path)
    return path


def choose(page, label: str, option: str) -> None:  # noqa: ANN001
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.parametrize(("path", "name", "title"), PAGES, ids=[p[1] for p in PAGES])
def test_every_page_loads_without_an_error(dashboard_url: str, page, path: str, name: str, title: str) -> None:  # noqa: ANN001
    load(page, dashboard_url, path, title)
    assert page.locator(ERROR_SELECTOR).count() == 0
    assert page.locator('[data-testid="stDownloadButton"]').count() >= 1
    assert screenshot(page, name).stat().st_size > 10_000


def test_overview_headlines_equal_the_national_mart(dashboard_url: str, page, published_warehouse: Path) -> None:  # noqa: ANN001
    expected = sql(
        published_warehouse,
        """
        SELECT t.test_name, n.compliance_pct FROM marts.compliance_national_test n
        JOIN reference.audit_tests t USING (test_code)
        WHERE n.fiscal_quarter = 4
          AND n.fiscal_year = (SELECT max(fiscal_year) FROM marts.compliance_national_test WHERE fiscal_quarter = 4)
        """,
    )
    load(page, dashboard_url, "", "Overview")
    shown = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    assert len(expected) == 5
    for row in expected.itertuples():
        assert shown[row.test_name] == f"{row.compliance_pct:.2f}%"


def test_a_filter_changes_the_divisions_page(dashboard_url: str, page, published_warehouse: Path) -> None:  # noqa: ANN001
    load(page, dashboard_url, "divisions", "Divisions")
    matrix = page.locator('[data-testid="stVegaLiteChart"]').first
    assert matrix.get_attribute("aria-label").startswith("All divisions")
    cells_before = matrix.locator("path[aria-label]").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert any("(West)" in cell for cell in cells_before)

    choose(page, "Command area", "North")
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stVegaLiteChart"]')
                 .getAttribute('aria-label').startsWith('North')"""
    )
    wait_until_idle(page)
    cells = matrix.locator("path[aria-label]").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    north = sql(published_warehouse, "SELECT division_name FROM reference.divisions WHERE command_area = 'North'")
    shown_divisions = {cell.split(" (")[0] for cell in cells}
    assert shown_divisions == set(north["division_name"])
    assert page.locator(ERROR_SELECTOR).count() == 0


def test_table_download_returns_the_right_rows(dashboard_url: str, page, published_warehouse: Path) -> None:  # noqa: ANN001
    load(page, dashboard_url, "divisions", "Divisions")
    choose(page, "Command area", "North")
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stVegaLiteChart"]')
                 .getAttribute('aria-label').startsWith('North')"""
    )
    wait_until_idle(page)
    with page.expect_download() as download_info:
        page.locator('[data-testid="stDownloadButton"] button').last.click()
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))

    expected = sql(
        published_warehouse,
        """
        SELECT m.division_code, t.test_name, m.compliance_pct, m.examined FROM marts.compliance_by_division_test m
        JOIN reference.audit_tests t USING (test_code)
        WHERE m.command_area = 'North' AND m.fiscal_quarter = 4
          AND m.fiscal_year = (SELECT max(fiscal_year) FROM marts.compliance_national_test WHERE fiscal_quarter = 4)
        """,
    )
    assert download.suggested_filename.endswith(".csv")
    assert len(rows) == len(expected)
    got = {(r["Division code"], r["Test"]): (float(r["Compliance %"]), int(r["Examined"])) for r in rows}
    want = {(r.division_code, r.test_name): (float(r.compliance_pct), int(r.examined)) for r in expected.itertuples()}
    assert got == want
