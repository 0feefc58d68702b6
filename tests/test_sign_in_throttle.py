"""The dashboard's sign-in throttles per client address (`st.context.ip_address`) as well as per account.

AppTest has no client address, so the address the session module reads is set here; the sign-in form, the
users file, the throttle and the access log are the real ones. No warehouse is needed to sign in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scrs.users import UsersFile
from streamlit_app.access import session
from tests.access_helpers import PASSWORD, sign_in

APP = Path(__file__).resolve().parent.parent / "streamlit_app" / "app.py"


@pytest.fixture
def dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    users = tmp_path / "users.json"
    UsersFile(users).add("registrar", "registrar", None, PASSWORD)
    monkeypatch.setenv("SCRS_USERS_FILE", str(users))
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("SCRS_LOGIN_CLIENT_MAX_FAILURES", "3")
    monkeypatch.setenv("SCRS_LOGIN_CLIENT_BLOCK_MINUTES", "7")  # a fresh throttle for this test's settings
    session._THROTTLES.clear()
    return tmp_path


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def test_one_client_is_throttled_whatever_names_it_tries(dashboard: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "client_address", lambda: "198.51.100.7")
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name in ("registrar", "admin", "committee"):
        sign_in(at, name, "a-wrong-guess-of-it")
        assert "Wrong username or password." in errors(at)
    sign_in(at, "registrar", PASSWORD)  # right password, throttled client: refused
    assert "Too many failed sign-ins from this computer" in errors(at)
    assert UsersFile(dashboard / "users.json").get("registrar").locked_until is None  # the account is not locked

    monkeypatch.setattr(session, "client_address", lambda: "10.1.2.3")  # a colleague elsewhere signs in
    colleague = AppTest.from_file(str(APP), default_timeout=60)
    sign_in(colleague, "registrar", PASSWORD)
    assert not colleague.exception and "Too many" not in errors(colleague)
    assert [t.value for t in colleague.title] != ["Sign in"]

    lines = [json.loads(x) for x in (dashboard / "warehouse" / "logs" / "access.jsonl").read_text().splitlines()]
    details = [e["detail"] for e in lines if e["event"] == "sign_in_failed"]
    assert details[-1].startswith("throttled")
