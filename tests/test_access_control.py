"""Access control (issue #5), through the dashboard's real sign-in form with Streamlit's AppTest.

Each role signs in and tries to reach another division's records through every page, every download, URL
query parameters and edited session state; every attempt must be refused and logged. Also: throttled wrong
passwords, session expiry and sign-out, the users file (hashes only, 0600), `scrs users`, OIDC mapping,
disclosure control per role, and the access log's hash chain. Figures are checked against DuckDB and
`scrs export`, not against the app's own queries.
"""

from __future__ import annotations

import io
import json
import shutil
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from scrs import access_log
from scrs.cli import main as scrs_main
from scrs.users import UsersFile
from streamlit_app.access import session
from streamlit_app.access.policy import NATIONAL, AccessDenied, Viewer
from streamlit_app.access.session import SESSION_KEY
from streamlit_app.data import compliance, downloads
from tests.access_helpers import ACCOUNTS, PASSWORD, make_users_file, sign_in
from tests.conftest import run_scrs
from tests.dashboard_fixture import read_served as sql

REPO_ROOT = Path(__file__).resolve().parent.parent

APP = REPO_ROOT / "streamlit_app" / "app.py"
PAGES = [
    "overview",
    "divisions",
    "trends",
    "division_detail",
    "training",
    "data_quality",
    "about",
    "downloads",
    "access_log",
]
DIVISION_MARTS = [
    "compliance_by_division_test",
    "compliance_by_command_area_test",
    "compliance_national_test",
    "record_failures",
    "training_coverage",
    # the registrars' audit: the division's own strata and disagreements (docs/registrar_audit.md)
    "audit_results_by_division_test",
    "audit_agreement_by_division_test",
    "audit_disagreements",
]
NATIONAL_MARTS = DIVISION_MARTS[:3]


# --------------------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_users_file(tmp_path_factory.mktemp("accounts") / "users.json")


@pytest.fixture(autouse=True)
def served(published_warehouse: Path, users_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    monkeypatch.setenv("SCRS_USERS_FILE", str(users_file))
    return published_warehouse


class Log:
    """The access log entries written since this object was made."""

    def __init__(self, warehouse: Path) -> None:
        self.path = warehouse / "logs" / "access.jsonl"
        self.start = len(access_log.read(self.path))

    def new(self, event: str | None = None) -> list[dict]:
        entries = access_log.read(self.path)[self.start :]
        return [e for e in entries if event is None or e["event"] == event]


@pytest.fixture
def log(published_warehouse: Path) -> Log:
    return Log(published_warehouse)


def app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def signed_in(username: str) -> AppTest:
    at = sign_in(app(), username)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] != ["Sign in"], [e.value for e in at.error]
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def download_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.download_button if b.key]


def on_sign_in_page(at: AppTest) -> bool:
    return [t.value for t in at.title] == ["Sign in"] and not at.dataframe and not at.download_button


# --------------------------------------------------------------------------------------------------------
# Signing in


def test_nothing_is_shown_without_signing_in(log: Log) -> None:
    at = app()
    at.run()
    assert on_sign_in_page(at)
    for page in PAGES:
        go(at, page)
        assert on_sign_in_page(at), page
    # A forged viewer or a made-up session token in session state does not sign anyone in, and is logged.
    at.session_state[SESSION_KEY] = Viewer("engineer")
    at.run()
    assert on_sign_in_page(at)
    at.session_state[session.TOKEN_KEY] = "made-up-token"
    go(at, "downloads")
    assert on_sign_in_page(at)
    assert len(log.new("session_tampered")) == 2


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_each_role_signs_in_and_the_sign_in_is_logged(username: str, log: Log) -> None:
    role, division = ACCOUNTS[username]
    at = signed_in(username)
    assert at.title[0].value == "Overview"
    assert any(f"Signed in as **{username}**" in c.value for c in at.sidebar.caption)
    [entry] = log.new("sign_in")
    assert (entry["user"], entry["role"], entry["division"]) == (username, role, division)
    assert PASSWORD not in json.dumps(log.new())


def test_wrong_passwords_are_refused_throttled_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log: Log
) -> None:
    users = tmp_path / "users.json"
    UsersFile(users).add("lock-me", "registrar", None, PASSWORD)
    monkeypatch.setenv("SCRS_USERS_FILE", str(users))
    monkeypatch.setenv("SCRS_LOGIN_MAX_FAILURES", "3")
    at = app()
    for _ in range(2):
        sign_in(at, "lock-me", "not-the-password")
        assert on_sign_in_page(at)
        assert "Wrong username or password." in [e.value for e in at.error]
    sign_in(at, "lock-me", "still-not-the-password")  # the third failure locks the account
    assert any("Too many failed sign-ins" in e.value for e in at.error)
    sign_in(at, "lock-me", PASSWORD)  # the right password is refused while locked
    assert on_sign_in_page(at)
    assert any("Too many failed sign-ins" in e.value for e in at.error)
    failed = log.new("sign_in_failed")
    assert [e["detail"] for e in failed] == ["wrong_password", "wrong_password", "locked", "locked"]
    assert {e["user"] for e in failed} == {"lock-me"}
    assert UsersFile(users).get("lock-me").locked_until is not None

    # An unknown name gets the same answers and the same throttling, and is not written to the log.
    for _ in range(3):
        sign_in(at, "nobody-here", "whatever-it-is")
    assert any("Too many failed sign-ins" in e.value for e in at.error)
    assert "nobody-here" not in log.path.read_text()

    assert scrs_main(["users", "--users-file", str(users), "unlock", "lock-me"]) == 0
    sign_in(at, "lock-me", PASSWORD)
    assert at.title[0].value == "Overview"


def test_sign_out_and_session_expiry(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in("registrar")
    token = at.session_state[session.TOKEN_KEY]
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert on_sign_in_page(at)
    assert token not in session._SESSIONS
    assert [e["user"] for e in log.new("sign_out")] == ["registrar"]
    # The old token, put back into session state, is dead.
    at.session_state[session.TOKEN_KEY] = token
    at.run()
    assert on_sign_in_page(at)

    # Absolute lifetime (default 8 hours) and idle timeout.
    for field, hours in (("issued_at", 8.1), ("last_seen", 1.1)):
        at = signed_in("engineer")
        record = session._SESSIONS[at.session_state[session.TOKEN_KEY]]
        setattr(record, field, getattr(record, field) - hours * 3600)
        at.run()
        assert on_sign_in_page(at)
        assert any("Your session has ended" in i.value for i in at.info)
    assert len(log.new("session_expired")) == 2

    # A user removed from the users file loses the session at the next run.
    users = UsersFile(session._settings().users_file)
    users.add("short-lived", "engineer", None, PASSWORD)
    at = signed_in("short-lived")
    users.remove("short-lived")
    at.run()
    assert on_sign_in_page(at)


def test_role_comes_from_the_users_file_not_the_session(log: Log) -> None:
    """Changing a user's role takes effect at once; a forged viewer in session state never does."""
    users = UsersFile(session._settings().users_file)
    users.add("role-change", "division", "E", PASSWORD, replace=True)
    at = signed_in("role-change")
    at.session_state[SESSION_KEY] = Viewer("engineer")
    go(at, "access_log")
    assert "registrars and engineers only" in warnings(at)
    assert [e["user"] for e in log.new("session_tampered")] == ["role-change"]
    users.add("role-change", "registrar", None, PASSWORD, replace=True)
    go(at, "access_log")
    assert at.title[0].value == "Access log" and not warnings(at)


# --------------------------------------------------------------------------------------------------------
# A division user and another division's records


def test_division_user_is_refused_another_division_on_every_page_by_url(log: Log) -> None:
    at = signed_in("division-e")
    for page in PAGES:
        at.query_params["division"] = "G"
        go(at, page)
        assert "is not yours" in warnings(at), page
        assert not download_keys(at), page
    refused = log.new("access_denied")
    assert len(refused) == len(PAGES)
    assert {(e["user"], e["division"], e["scope"]) for e in refused} == {("division-e", "E", "G")}


def test_division_user_is_refused_another_division_by_edited_session_state(published_warehouse: Path, log: Log) -> None:
    at = signed_in("division-e")
    for page, key in (("division_detail", "detail_division"), ("downloads", "downloads_scope")):
        go(at, "overview")
        at.session_state[key] = "G"
        go(at, page)
        assert "is not yours" in warnings(at), page
        assert not any("_G_" in (k or "") for k in download_keys(at))
    assert [e["scope"] for e in log.new("access_denied")] == ["G", "G"]

    # A forged engineer viewer changes nothing: still only E's pack and the national one.
    at.session_state[SESSION_KEY] = Viewer("engineer")
    go(at, "downloads")
    assert at.selectbox(key="downloads_scope").options == [
        "Division pack: Edinburgh City (E)",
        "Committee pack: national (aggregates only, small cells suppressed)",
    ]
    assert len(log.new("session_tampered")) == 1

    # And the data-access layer itself refuses, whatever page or widget asks.
    division_e = Viewer("division", "E", username="division-e")
    for call in (
        lambda: downloads.download_pack(division_e, "G"),
        lambda: compliance.failure_reasons(division_e, "G"),
        lambda: compliance.late_recording_by_unit(division_e, None),
        lambda: downloads.access_log_entries(division_e),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert len(log.new("access_denied")) == 2 + 4


def test_division_user_downloads_exactly_its_own_pack(published_warehouse: Path, tmp_path: Path, log: Log) -> None:
    at = go(signed_in("division-e"), "downloads")
    keys = download_keys(at)
    assert sorted(keys) == sorted(f"pack_{m}_{e}" for m in DIVISION_MARTS for e in ("csv", "xlsx", "parquet"))
    at.download_button(key="pack_record_failures_csv").click().run()
    assert log.new("download") == []  # showing the page made no file: each is made when its button asks for it
    division_e = Viewer("division", "E", username="division-e")
    pack = downloads.download_pack(division_e, "E")
    record_failures = pack.file("record_failures", "csv")
    made = downloads.pack_file_bytes(division_e, pack, record_failures.file_name)  # what the click runs
    [entry] = log.new("download")
    expected_rows = sql(
        published_warehouse, "SELECT count(*) AS n FROM marts.record_failures WHERE division_code = 'E'"
    )
    assert (entry["user"], entry["scope"], entry["rows"]) == ("division-e", "E", int(expected_rows["n"].iloc[0]))
    assert entry["file"].startswith("scrs_division-E_record_failures_2019-20_to_2020-21_published-")

    # The files offered are `scrs export --division E`, byte for byte, and hold only E's records.
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(tmp_path), "--division", "E", check=True)
    for mart in DIVISION_MARTS:
        data = downloads.pack_file_bytes(division_e, pack, pack.file(mart, "csv").file_name)
        assert data == (tmp_path / f"{mart}.csv").read_bytes(), mart
    failures = pd.read_csv(io.BytesIO(made), dtype=str)
    assert len(failures) > 0 and set(failures["division_code"]) == {"E"}
    parquet = pd.read_parquet(
        io.BytesIO(downloads.pack_file_bytes(division_e, pack, pack.file("record_failures", "parquet").file_name))
    )
    assert set(parquet["division_code"]) == {"E"} and len(parquet) == len(failures)


# --------------------------------------------------------------------------------------------------------
# The committee: aggregates only


def test_committee_gets_no_record_level_download(published_warehouse: Path, tmp_path: Path, log: Log) -> None:
    at = go(signed_in("committee"), "downloads")
    keys = download_keys(at)
    # The national pack, and the committee's paper (aggregates only, suppressed; issue 14).
    assert sorted(keys) == sorted(
        [*(f"pack_{m}_{e}" for m in NATIONAL_MARTS for e in ("csv", "xlsx", "parquet")), "paper_download"]
    )
    # The committee has one pack only (the only choices on the page are the paper's year and quarter).
    assert not [box for box in at.selectbox if box.key not in ("paper_year", "paper_quarter")]
    assert any("Disclosure control" in i.value for i in at.info)
    committee = Viewer("committee", username="committee")
    pack = downloads.download_pack(committee, NATIONAL)
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(tmp_path), "--national", check=True)
    for mart in NATIONAL_MARTS:
        data = downloads.pack_file_bytes(committee, pack, pack.file(mart, "csv").file_name)
        assert data == (tmp_path / f"{mart}.csv").read_bytes(), mart
    assert [e["scope"] for e in log.new("download")] == ["national"] * len(NATIONAL_MARTS)

    # Any division's pack is refused: by URL, by edited session state, and in the data layer itself.
    at.query_params["division"] = "E"
    go(at, "downloads")
    assert "national pack only" in warnings(at)
    at.query_params.clear()
    go(at, "overview")
    at.session_state["downloads_scope"] = "G"
    go(at, "downloads")
    assert "national pack only" in warnings(at)
    with pytest.raises(AccessDenied):
        downloads.download_pack(Viewer("committee", username="committee"), "A")
    assert [e["scope"] for e in log.new("access_denied")] == ["E", "G", "A"]

    # The access log is refused too (hidden from the menu, refused and logged when typed in).
    go(at, "access_log")
    assert "registrars and engineers only" in warnings(at) and not at.dataframe


def test_committee_views_suppress_small_cells_with_a_note(published_warehouse: Path, monkeypatch) -> None:  # noqa: ANN001
    cells = sql(
        published_warehouse,
        "SELECT division_code, test_code, examined FROM marts.compliance_by_division_test "
        "WHERE fiscal_year = (SELECT max(fiscal_year) FROM marts.compliance_national_test WHERE fiscal_quarter = 4) "
        "AND fiscal_quarter = 4 ORDER BY examined, division_code, test_code",
    )
    threshold = max(10, int(cells["examined"].iloc[0]) + 1)
    monkeypatch.setenv("SCRS_DISCLOSURE_MIN_RECORDS", str(threshold))
    small = cells[cells["examined"] < threshold]
    assert not small.empty

    def shown(username: str) -> tuple[pd.DataFrame, str]:
        at = go(signed_in(username), "divisions")
        table = next(f.value for f in at.dataframe if f.value.columns[0] == "Division code")
        return table, "\n".join(c.value for c in at.caption)

    committee, committee_notes = shown("committee")
    assert f"fewer than {threshold} records is suppressed in this view" in committee_notes
    suppressed = committee[committee["Examined"] < threshold]
    assert len(suppressed) == len(small) and suppressed["Compliance %"].isna().all()

    # A division user sees its own division unsuppressed, every other small cell suppressed.
    own_code = small["division_code"].iloc[0]
    own_user = f"division-{own_code.lower()}"
    UsersFile(session._settings().users_file).add(own_user, "division", own_code, PASSWORD, replace=True)
    division, division_notes = shown(own_user)
    small_rows = division[division["Examined"] < threshold]
    own = small_rows["Division code"].eq(own_code)
    assert small_rows.loc[own, "Compliance %"].notna().all()
    assert small_rows.loc[~own, "Compliance %"].isna().all()
    assert f"Your own division ({own_code}) is shown unsuppressed" in division_notes

    engineer, engineer_notes = shown("engineer")
    assert engineer["Compliance %"].notna().all() and "Disclosure control" not in engineer_notes

    # The national pack (committee's export) suppresses with the configured threshold too.
    committee = Viewer("committee", username="committee")
    pack = downloads.download_pack(committee, NATIONAL)
    name = pack.file("compliance_by_division_test", "csv").file_name
    exported = pd.read_csv(io.BytesIO(downloads.pack_file_bytes(committee, pack, name)))
    assert exported.loc[exported["examined"] < threshold, "compliance_pct"].isna().all()
    # The rest is shown as published, except the complementary cells (contract 5.1) blanked beside them.
    shown = exported[exported["compliance_pct"].notna()]
    assert len(shown) > len(exported) / 2 and (shown["examined"] >= threshold).all()


# --------------------------------------------------------------------------------------------------------
# Registrars and engineers: everything, and the access log


def test_registrar_downloads_any_division_and_reads_the_access_log(published_warehouse: Path, log: Log) -> None:
    at = go(signed_in("registrar"), "downloads")
    options = at.selectbox(key="downloads_scope").options
    assert len(options) == 14 and options[0].startswith("Committee pack")
    at.selectbox(key="downloads_scope").set_value("G").run()
    assert "pack_record_failures_csv" in download_keys(at)
    registrar = Viewer("registrar", username="registrar")
    pack = downloads.download_pack(registrar, "G")
    downloads.pack_file_bytes(registrar, pack, pack.file("record_failures", "parquet").file_name)
    assert [(e["user"], e["scope"]) for e in log.new("download")] == [("registrar", "G")]

    go(at, "access_log")
    assert at.title[0].value == "Access log"
    table = at.dataframe[0].value
    assert {"Time (UTC)", "Event", "User", "Role", "User's division", "Asked for", "File", "Rows"} <= set(table.columns)
    assert table["Event"].iloc[0] == "download" and table["Asked for"].iloc[0] == "G"
    assert any("hash chain is intact" in s.value for s in at.success)


def test_access_log_is_append_only_and_holds_no_password(published_warehouse: Path, tmp_path: Path) -> None:
    path = published_warehouse / "logs" / "access.jsonl"
    signed_in("engineer")
    signed_in("committee")
    text = path.read_text()
    assert PASSWORD not in text and "argon2" not in text
    assert access_log.verify(path) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    copy = tmp_path / "access.jsonl"
    shutil.copy(access_log.anchor_path(path), access_log.anchor_path(copy))
    assert access_log.verify(path) is None and access_log.verify(copy) is not None  # copy not yet written
    lines = text.splitlines()
    copy.write_text("\n".join(lines) + "\n")
    assert access_log.verify(copy) is None
    lines[0] = lines[0].replace('"time": "', '"time": "1', 1)
    copy.write_text("\n".join(lines) + "\n")
    assert access_log.verify(copy) == 1  # the edited line's keyed MAC no longer matches it


# --------------------------------------------------------------------------------------------------------
# The users file and `scrs users`


def test_users_file_holds_only_salted_hashes(users_file: Path) -> None:
    text = users_file.read_text()
    assert PASSWORD not in text
    data = json.loads(text)
    hashes = [rec["password_hash"] for rec in data["users"].values()]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert len(set(hashes)) == len(hashes), "one password, but every hash has its own salt"
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600


def test_scrs_users_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    users = tmp_path / "users.json"
    base = ["--users-file", str(users)]
    added = run_scrs("users", *base, "add", "Crime.Manager", "--role", "division", "--division", "q", check=True)
    password = added.stdout.split("password (shown once, not stored): ")[1].strip()
    assert len(password) >= 12 and password not in users.read_text()
    account = UsersFile(users).get("crime.manager")
    assert (account.role, account.division_code) == ("division", "Q")
    assert UsersFile(users).authenticate("crime.manager", password).ok

    capsys.readouterr()
    assert scrs_main(["users", *base, "list"]) == 0
    listed = capsys.readouterr().out
    assert "crime.manager\tdivision\tQ" in listed and "argon2" not in listed and password not in listed

    monkeypatch.setattr(sys, "stdin", io.StringIO("a-new-long-password\n"))
    assert scrs_main(["users", *base, "set-password", "crime.manager", "--password-stdin"]) == 0
    assert "a-new-long-password" not in capsys.readouterr().out
    assert UsersFile(users).authenticate("crime.manager", "a-new-long-password").ok
    assert not UsersFile(users).authenticate("crime.manager", password).ok

    refused = [
        ["add", "x1", "--role", "division"],  # no division
        ["add", "x2", "--role", "committee", "--division", "A"],  # division on a non-division role
        ["add", "x3", "--role", "division", "--division", "Z"],  # unknown division
        ["add", "sn123456", "--role", "engineer"],  # a staff number as a username
        ["add", "crime.manager", "--role", "engineer"],  # exists
        ["remove", "nobody"],
    ]
    for args in refused:
        assert scrs_main(["users", *base, *args]) == 2, args
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert scrs_main(["users", *base, "set-password", "crime.manager", "--password-stdin"]) == 2

    demo = run_scrs("users", *base, "demo", check=True).stdout
    demo_passwords = {line.split()[0]: line.split()[-1] for line in demo.splitlines()[1:]}
    assert set(demo_passwords) == {"committee", "registrar", "engineer", "division-a", "division-e", "division-g"}
    assert len(set(demo_passwords.values())) == 6
    assert UsersFile(users).get("division-g").division_code == "G"
    assert all(UsersFile(users).authenticate(n, p).ok for n, p in demo_passwords.items())
    assert not any(p in users.read_text() for p in demo_passwords.values())

    assert scrs_main(["users", *base, "remove", "crime.manager"]) == 0
    assert UsersFile(users).get("crime.manager") is None


# --------------------------------------------------------------------------------------------------------
# OIDC (st.login) when configured: the users file maps the identity to a role


OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "scrs-dashboard",
        "client_secret": "test-client-secret",
        "server_metadata_url": "https://login.example.invalid/.well-known/openid-configuration",
    }
}


def test_oidc_identity_is_mapped_to_a_role_by_the_users_file(log: Log) -> None:
    UsersFile(session._settings().users_file).add(
        "cm-east",
        "division",
        "E",
        identities=("Crime.Manager.E@scotland.police.uk",),
        local_password=False,
        replace=True,
    )
    at = app()
    at.secrets = dict(OIDC_SECRETS)
    at.user = {"is_logged_in": False}
    at.run()
    assert on_sign_in_page(at) and not at.text_input, "no password form when OIDC is configured"

    at.user = {"is_logged_in": True, "email": "crime.manager.e@scotland.police.uk", "email_verified": True}
    go(at, "downloads")
    assert at.title[0].value == "Downloads"
    assert "pack_record_failures_csv" in download_keys(at)
    at.query_params["division"] = "G"
    go(at, "division_detail")
    assert "is not yours" in warnings(at)
    assert [(e["user"], e["detail"]) for e in log.new("sign_in")] == [("cm-east", "oidc")]
    assert [e["scope"] for e in log.new("access_denied")] == ["G"]

    stranger = app()
    stranger.secrets = dict(OIDC_SECRETS)
    stranger.user = {"is_logged_in": True, "email": "someone.else@example.com"}
    stranger.run()
    assert on_sign_in_page(stranger)
    assert any("has no role in this dashboard" in e.value for e in stranger.error)
    assert [e["detail"] for e in log.new("sign_in_failed")] == ["OIDC identity not in the users file"]
    # A local password cannot be used for an OIDC-only account.
    assert not UsersFile(session._settings().users_file).authenticate("cm-east", PASSWORD).ok
