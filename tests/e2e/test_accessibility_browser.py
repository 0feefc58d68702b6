"""Accessibility: axe-core (through axe-playwright-python, in Debian's Chromium) over every dashboard page, the
sign-in page and the committee paper's HTML. Any serious or critical violation fails the test, naming the rule
and the elements; a deliberately bad page shows that the check can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.access_helpers import browser_sign_in
from tests.e2e.browser_helpers import wait_until_idle

pytestmark = pytest.mark.e2e

# (path, title) of every page a registrar sees (the Access log is for registrars and engineers).
PAGES = [
    ("", "Overview"),
    ("divisions", "Divisions"),
    ("trends", "Trends"),
    ("division_detail", "Division detail"),
    ("crime_types", "Crime types and units"),
    ("training", "Training"),
    ("improvement_plan", "Improvement plan"),
    ("impact", "Impact"),
    ("registrar_audit", "Registrar audit"),
    ("data_quality", "Data quality"),
    ("about", "About the data"),
    ("downloads", "Downloads"),
    ("access_log", "Access log"),
]
BLOCKING = ("serious", "critical")


def serious_violations(page) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical violations on the page, one line each (rule, impact, elements)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return lines


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p[1] for p in PAGES])
def test_dashboard_page_has_no_serious_accessibility_violation(dashboard_url: str, page, path, title) -> None:  # noqa: ANN001
    page.goto(f"{dashboard_url}/{path}")
    page.get_by_role("heading", name="Sign in", level=1).wait_for()
    if path == "":
        assert serious_violations(page) == [], "sign-in page"
    browser_sign_in(page, "registrar")
    page.get_by_role("heading", name=title, level=1).wait_for()
    wait_until_idle(page)
    found = serious_violations(page)
    assert not found, "\n".join(found)


def test_committee_paper_html_has_no_serious_accessibility_violation(
    draft_pack: Path,
    page,  # noqa: ANN001
) -> None:
    """The session's draft paper for 2020/21 Q4 (`draft_pack`: one `scrs report`, shared with
    tests/test_committee_pack.py)."""
    page.goto((draft_pack / "out" / "committee_pack.html").as_uri())
    page.get_by_role("heading", level=1).wait_for()
    assert serious_violations(page) == []


def test_the_check_fails_on_a_deliberately_inaccessible_page(page) -> None:  # noqa: ANN001
    page.set_content(
        "<html><head><title>bad</title></head><body>"
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<input type="text">'
        '<p style="color:#bbbbbb;background:#ffffff">Compliance 93.6%</p>'
        "</body></html>"
    )
    found = serious_violations(page)
    rules = {line.split(" ", 1)[0] for line in found}
    assert {"image-alt", "label", "html-has-lang", "color-contrast"} <= rules, found
