"""Test accounts and signing in through the dashboard's real sign-in form (AppTest and the browser)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from scrs.users import UsersFile

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from streamlit_app.access.policy import Viewer

APP = Path(__file__).resolve().parent.parent / "streamlit_app" / "app.py"

# One random password for every test account of a session (never a fixed, guessable default).
PASSWORD = f"test-{secrets.token_urlsafe(12)}"
# username -> (role, division_code)
ACCOUNTS: dict[str, tuple[str, str | None]] = {
    "committee": ("committee", None),
    "registrar": ("registrar", None),
    "engineer": ("engineer", None),
    "division-a": ("division", "A"),
    "division-e": ("division", "E"),
    "division-g": ("division", "G"),
}


def make_users_file(path: Path) -> Path:
    """A users file holding ACCOUNTS, every one with PASSWORD (as argon2 hashes)."""
    users = UsersFile(path)
    for name, (role, division) in ACCOUNTS.items():
        users.add(name, role, division, PASSWORD, replace=True)
    return path


def username_for(role: str = "engineer", division_code: str | None = None) -> str:
    """The test account for a role (division users: `division-<code>`, created on demand by `ensure`)."""
    return f"division-{division_code.lower()}" if role == "division" and division_code else role


def ensure(path: Path, role: str, division_code: str | None = None) -> str:
    name = username_for(role, division_code)
    users = UsersFile(path)
    if users.get(name) is None:
        users.add(name, role, division_code, PASSWORD)
    return name


def sign_in(at, username: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    """Fill in and submit the sign-in form of an AppTest (runs it first if it has not run)."""
    try:
        at.text_input(key="login_username")
    except KeyError:
        at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def open_page(page: str, viewer: Viewer | None = None, *, timeout: float = 60) -> AppTest:
    """A fresh AppTest of the dashboard, signed in as the test account of the viewer's role (default: engineer;
    the users file in SCRS_USERS_FILE), switched to `app_pages/<page>.py` and run without an exception."""
    from streamlit.testing.v1 import AppTest

    from streamlit_app.access.policy import Viewer

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    viewer = viewer or Viewer("engineer")
    sign_in(at, ensure(Path(os.environ["SCRS_USERS_FILE"]), viewer.role, viewer.division_code))
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    """Run the AppTest again (after a widget changed), without an exception."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def browser_sign_in(page, username: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    """Sign in on the sign-in form shown in a browser tab (Playwright)."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
