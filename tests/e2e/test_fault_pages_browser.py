"""Faults a user can meet show a plain message: no traceback, no source file, no server path (issue 11).

The real dashboard is served (with the repository's `.streamlit/config.toml`: `showErrorDetails = "none"`)
against an accounts file that is not JSON, one that is JSON of the wrong shape, and a warehouse folder that
does not exist; a real browser opens it.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.access_helpers import PASSWORD, browser_sign_in, make_users_file
from tests.e2e.browser_helpers import REPO_ROOT, serve_dashboard, wait_until_idle

pytestmark = pytest.mark.e2e

# What must never reach a user's screen.
LEAKS = ("Traceback", 'File "', ".py", "/tmp", "/work", "/root", "/home", str(REPO_ROOT), "Error:", "site-packages")


def serve(warehouse: Path, users: Path, name: str) -> AbstractContextManager[str]:
    return serve_dashboard(warehouse, users, f"streamlit-fault-{name}.log")


def shown_text(page) -> str:  # noqa: ANN001
    wait_until_idle(page)
    return page.locator('[data-testid="stApp"]').inner_text()


def assert_plain(text: str, expected: str, secret_paths: list[Path]) -> None:
    assert expected in text, text
    for leak in [*LEAKS, *(str(p) for p in secret_paths), *(p.name for p in secret_paths if p.suffix)]:
        assert leak not in text, f"{leak!r} shown to the user:\n{text}"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("corrupt", '{"version": 1, "users": {"registrar": {"role": "registrar", '),  # cut short: not JSON
        ("wrong-shape", json.dumps({"version": 1, "users": ["registrar", "committee"]})),
        ("records-wrong", json.dumps({"version": 1, "users": {"registrar": "not a record"}})),
    ],
)
def test_an_unreadable_accounts_file_shows_a_plain_message(
    name: str, content: str, published_warehouse: Path, tmp_path: Path, page
) -> None:  # noqa: ANN001
    users = tmp_path / "secret-accounts" / "users.json"
    users.parent.mkdir()
    users.write_text(content)
    with serve(published_warehouse, users, name) as url:
        page.goto(url)
        if name == "records-wrong":  # the file reads; the form works and the broken record signs nobody in
            wait_until_idle(page)
            browser_sign_in(page, "registrar", PASSWORD)
            text = shown_text(page)
            assert_plain(text, "Wrong username or password", [users, published_warehouse])
            return
        text = shown_text(page)
        assert_plain(text, "cannot read its list of accounts", [users, published_warehouse])


def test_a_missing_warehouse_folder_shows_a_plain_message(tmp_path: Path, page) -> None:  # noqa: ANN001
    users = make_users_file(tmp_path / "users.json")
    missing = tmp_path / "no-such-warehouse-folder"
    with serve(missing, users, "missing-warehouse") as url:
        page.goto(url)
        wait_until_idle(page)
        browser_sign_in(page, "engineer")
        text = shown_text(page)
        assert_plain(text, "Nothing has been published yet", [missing, users])
        page.goto(f"{url}/divisions")
        wait_until_idle(page)
        browser_sign_in(page, "engineer")
        assert_plain(shown_text(page), "Nothing has been published yet", [missing, users])
