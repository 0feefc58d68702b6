"""The Registrar audit page in a real browser (headless Chromium against `streamlit run` on the session
warehouse, which holds the generator's planted audit): the committee sees both figures and the agreement and
no record; a registrar downloads a division's worklist, built on click, and it is the division's sample."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from tests.access_helpers import browser_sign_in
from tests.e2e.browser_helpers import wait_until_idle

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'
SAMPLE_ID = "2020-21-Q4-generated"


def open_as(page, url: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/registrar_audit")
    page.locator("h1").first.wait_for()
    browser_sign_in(page, username)
    page.get_by_role("heading", name="Registrar audit", level=1).wait_for()
    page.locator('[data-testid="stDownloadButton"]').first.wait_for()
    wait_until_idle(page)


def sql(warehouse: Path, query: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def test_committee_sees_both_figures_and_no_record(dashboard_url: str, page, published_warehouse: Path) -> None:  # noqa: ANN001
    open_as(page, dashboard_url, "committee")
    assert page.locator(ERROR_SELECTOR).count() == 0
    text = page.locator('[data-testid="stMain"]').inner_text()
    ((pct, lo, hi, auto),) = sql(
        published_warehouse,
        """select a.compliance_pct, a.ci_lower_pct, a.ci_upper_pct, a.automated_pct
           from marts.audit_results_national_test a where sample_id = ? and test_code = 'TEST1'""",
        [SAMPLE_ID],
    )
    assert f"{pct:.2f}%" in text and f"{lo:.2f}–{hi:.2f}%" in text and f"{auto:.2f}%" in text
    assert "The rules and the registrars agreed on" in text and "kappa" in text
    records = [r for (r,) in sql(published_warehouse, "select record_id from marts.audit_disagreements")]
    assert records and not [r for r in records if r in text]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "registrar_audit_committee.png"), full_page=True)


def test_registrar_downloads_a_worklist_built_on_click(dashboard_url: str, page, published_warehouse: Path) -> None:  # noqa: ANN001
    open_as(page, dashboard_url, "registrar")
    assert page.locator(ERROR_SELECTOR).count() == 0
    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text="(G)")
    with page.expect_download() as info:
        button.first.click()
    download = info.value
    assert download.suggested_filename == f"audit_worklist_{SAMPLE_ID}_G.csv"
    body = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    expected = sql(
        published_warehouse,
        "select test_code, record_id from staging.stg_registrar_audit__samples where sample_id = ? "
        "and division_code = 'G'",
        [SAMPLE_ID],
    )
    assert sorted((r["test_code"], r["record_id"]) for r in rows) == sorted(expected)
    assert all(r["verdict"] == "" for r in rows)
    page.screenshot(path=str(SCREENSHOTS / "registrar_audit_registrar.png"), full_page=True)
