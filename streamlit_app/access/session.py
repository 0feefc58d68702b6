"""Sign-in, sessions, sign-out and the current viewer (docs/access.md). The sign-in form is `ui.sign_in`.

Two ways to sign in:
- **Local accounts** (default): username and password checked against the users file (`scrs.users`:
  argon2id hashes, failed-attempt throttling and lockout).
- **OIDC**, when Streamlit secrets hold an `[auth]` section (`st.login`): the identity provider signs the user
  in; the users file maps the identity (e-mail, or subject) to a role. An identity it does not list is refused.

A signed-in session holds one opaque random token in `st.session_state`. The token names a record kept in
this process's memory (never in session state): username, how and when the user signed in, last activity,
and the Streamlit session it belongs to. Every script run resolves the token afresh and reads the user's
role and division from the users file, so a removed user or a changed role takes effect at once. A made-up
token, a token from another session, or a forged `viewer` object in session state gives nothing and is logged
as `session_tampered`. Sessions end on sign-out, after `Settings.session_max_hours`, or after
`Settings.session_idle_minutes` without a run.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from scrs import access_log as _access_log
from scrs.settings import Settings
from scrs.throttle import ClientThrottle
from scrs.users import Account, UsersFile
from streamlit_app.access.audit import log_event
from streamlit_app.access.policy import AccessDenied, Viewer

# A `viewer` value put into session state (by a browser or a test) is never used: it is logged and removed.
SESSION_KEY = "viewer"
TOKEN_KEY = "_scrs_session_token"
NOTICE_KEY = "_scrs_auth_notice"
OIDC_REFUSED_KEY = "_scrs_oidc_refused"


class NotSignedIn(AccessDenied):
    """No valid signed-in session (shown as the sign-in form by app.py)."""


@dataclass
class _Session:
    username: str
    method: str  # "password" or "oidc"
    identity: str | None
    issued_at: float
    last_seen: float
    streamlit_session: str | None


_SESSIONS: dict[str, _Session] = {}
_PURGED: dict[str, str] = {}  # token -> username of sessions forgotten after expiry (so they log as expired)
_LOCK = threading.Lock()


def _now() -> float:
    return time.time()


def _settings() -> Settings:
    return Settings.from_env()


_THROTTLES: dict[tuple[int, float], ClientThrottle] = {}


def client_throttle() -> ClientThrottle:
    """The server's one throttle of failed sign-ins per client address (scrs/throttle.py), per setting."""
    settings = _settings()
    key = (settings.login_client_max_failures, settings.login_client_block_minutes)
    with _LOCK:
        if key not in _THROTTLES:
            _THROTTLES[key] = ClientThrottle(
                max_failures=settings.login_client_max_failures,
                window_minutes=settings.login_client_block_minutes,
                block_minutes=settings.login_client_block_minutes,
            )
        return _THROTTLES[key]


def client_address() -> str | None:
    """The client's address as Streamlit sees it (None in AppTest, or when unknown)."""
    try:
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (tests): no address, no per-address throttle
        return None


def users() -> UsersFile:
    return UsersFile(_settings().users_file)


def _streamlit_session_id() -> str | None:
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_id


def _log(event: str, viewer: Viewer | None = None, **fields: Any) -> None:
    log_event(viewer, event, **fields)


# --------------------------------------------------------------------------------------------------------
# OIDC configuration


def oidc_provider() -> tuple[bool, str | None]:
    """(configured, provider name) from Streamlit secrets: `[auth]` with client_id, or `[auth.<name>]`."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all  # noqa: BLE001
        return False, None
    if not isinstance(auth, Mapping) or not auth:
        return False, None
    if auth.get("client_id"):
        return True, None
    for name, section in auth.items():
        if isinstance(section, Mapping) and section.get("client_id"):
            return True, str(name)
    return False, None


def _oidc_identity() -> str | None:
    """The signed-in OIDC user's identity (e-mail when verified or unstated, else subject), or None."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    email = user.get("email")
    if email and user.get("email_verified", True) is not False:
        return str(email).strip().lower()
    subject = user.get("sub")
    return str(subject).strip().lower() if subject else None


# --------------------------------------------------------------------------------------------------------
# Sessions


def _new_session(username: str, method: str, identity: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = _now()
    settings = _settings()
    with _LOCK:
        # Forget sessions that can no longer be used (tabs closed without signing out).
        for stale in [
            t
            for t, r in _SESSIONS.items()
            if now - r.issued_at > settings.session_max_hours * 3600
            or now - r.last_seen > settings.session_idle_minutes * 60
        ]:
            _PURGED[stale] = _SESSIONS.pop(stale).username
        while len(_PURGED) > 10_000:
            _PURGED.pop(next(iter(_PURGED)))
        _SESSIONS[token] = _Session(username, method, identity, now, now, _streamlit_session_id())
    st.session_state[TOKEN_KEY] = token
    return token


def _end_session(token: str | None) -> _Session | None:
    with _LOCK:
        record = _SESSIONS.pop(token, None) if isinstance(token, str) else None
    if TOKEN_KEY in st.session_state:
        del st.session_state[TOKEN_KEY]
    return record


def _viewer(account: Account) -> Viewer:
    """The viewer of an account in the users file (its role and division, read afresh)."""
    return Viewer(account.role, account.division_code, username=account.username)  # type: ignore[arg-type]


def _viewer_of(username: str) -> Viewer | None:
    account = users().get(username)
    return None if account is None else _viewer(account)


def _check_forged_viewer(viewer: Viewer) -> None:
    """A `viewer` value in session state is never used; one that differs from the real viewer is logged."""
    if SESSION_KEY in st.session_state:
        forged = st.session_state[SESSION_KEY]
        del st.session_state[SESSION_KEY]
        if forged != viewer:
            _log("session_tampered", viewer, detail=f"session state {SESSION_KEY!r} set to {str(forged)[:120]}")


def signed_in_viewer() -> Viewer | None:
    """The viewer of this session's signed-in user, or None. Resolved afresh on every call."""
    settings = _settings()
    token = st.session_state.get(TOKEN_KEY)
    oidc, _ = oidc_provider()
    if token is None:
        if oidc:
            return _oidc_session()
        if SESSION_KEY in st.session_state:
            forged = st.session_state[SESSION_KEY]
            del st.session_state[SESSION_KEY]
            _log("session_tampered", None, detail=f"not signed in; session state {SESSION_KEY!r} set to {forged!s:.99}")
        return None
    with _LOCK:
        record = _SESSIONS.get(token) if isinstance(token, str) else None
        purged = _PURGED.pop(token, None) if isinstance(token, str) and record is None else None
    if purged is not None:
        del st.session_state[TOKEN_KEY]
        _access_log.append(settings.access_log, "session_expired", user=purged, detail="session timed out")
        st.session_state[NOTICE_KEY] = "Your session has ended. Please sign in again."
        return None
    if record is None or record.streamlit_session != _streamlit_session_id():
        # A made-up token, or one issued to another session (that session keeps it): this one gets nothing.
        del st.session_state[TOKEN_KEY]
        _log("session_tampered", None, detail="session token not issued to this session")
        return None
    now = _now()
    expired = None
    if now - record.issued_at > settings.session_max_hours * 3600:
        expired = f"signed in more than {settings.session_max_hours:g} hours ago"
    elif now - record.last_seen > settings.session_idle_minutes * 60:
        expired = f"no activity for {settings.session_idle_minutes:g} minutes"
    if oidc and record.method == "oidc" and _oidc_identity() != record.identity:
        expired = "identity provider session ended"
    viewer = _viewer_of(record.username)
    if viewer is None and expired is None:
        expired = "account removed"
    if expired is not None:
        _end_session(token)
        if viewer is not None:
            _log("session_expired", viewer, detail=expired)
        else:
            _access_log.append(settings.access_log, "session_expired", user=record.username, detail=expired)
        st.session_state[NOTICE_KEY] = f"Your session has ended ({expired}). Please sign in again."
        if record.method == "oidc" and st.user.get("is_logged_in"):
            st.logout()
        return None
    record.last_seen = now
    assert viewer is not None
    _check_forged_viewer(viewer)
    return viewer


def _oidc_session() -> Viewer | None:
    identity = _oidc_identity()
    if identity is None:
        return None
    account = users().find_identity(identity)
    if account is None:
        if st.session_state.get(OIDC_REFUSED_KEY) != identity:
            _log("sign_in_failed", None, detail="OIDC identity not in the users file")
            st.session_state[OIDC_REFUSED_KEY] = identity
        return None
    _new_session(account.username, "oidc", identity)
    viewer = _viewer(account)
    _log("sign_in", viewer, detail="oidc")
    _check_forged_viewer(viewer)
    return viewer


def current_viewer() -> Viewer:
    """The signed-in session's viewer, resolved afresh on every run; raises `NotSignedIn` otherwise.

    `st.session_state[SESSION_KEY]` is never read as a source of truth: a value found there that differs
    from the signed-in viewer is logged as tampering and removed.
    """
    viewer = signed_in_viewer()
    if viewer is None:
        raise NotSignedIn("Please sign in to see this page.")
    return viewer


def sign_in_with_password(username: str, password: str) -> tuple[Viewer | None, str]:
    """Check the password (throttled); on success start a session. Returns (viewer, message)."""
    settings = _settings()
    accounts = UsersFile(settings.users_file)
    outcome = accounts.authenticate(
        username,
        password,
        max_failures=settings.login_max_failures,
        lockout_minutes=settings.login_lockout_minutes,
        client=client_address(),
        throttle=client_throttle(),
    )
    if outcome.ok and outcome.account is not None:
        account = outcome.account
        _end_session(st.session_state.get(TOKEN_KEY))
        _new_session(account.username, "password")
        viewer = _viewer(account)
        _log("sign_in", viewer, detail="password")
        return viewer, "ok"
    # Only a known account's name is logged: an unknown "username" may be a password typed in the wrong box.
    known = accounts.get(username) if outcome.known_user else None
    who = _viewer(known) if known else None
    _log("sign_in_failed", who, detail=outcome.reason if known else f"{outcome.reason} (name not logged)")
    if outcome.reason == "throttled" and outcome.locked_until is not None:
        until = outcome.locked_until.astimezone(UTC)
        return None, f"Too many failed sign-ins from this computer. Try again after {until:%H:%M} UTC."
    if outcome.reason == "locked" and outcome.locked_until is not None:
        until = outcome.locked_until.astimezone(UTC)
        return None, (
            f"Too many failed sign-ins. Try again after {until:%H:%M} UTC on {until:%d %b %Y}, "
            "or ask an engineer to unlock the account."
        )
    if outcome.reason == "demo_account":
        return None, "Demo accounts are switched off on this server: ask an engineer for an account."
    return None, "Wrong username or password."


def sign_out(viewer: Viewer | None) -> None:
    token = st.session_state.get(TOKEN_KEY)
    record = _end_session(token)
    if record is not None:
        _log("sign_out", viewer)
    st.session_state[NOTICE_KEY] = "You have signed out."
    if record is not None and record.method == "oidc":
        st.logout()


def session_expires_at(viewer: Viewer) -> datetime | None:
    token = st.session_state.get(TOKEN_KEY)
    with _LOCK:
        record = _SESSIONS.get(token) if isinstance(token, str) else None
    if record is None:
        return None
    return datetime.fromtimestamp(record.issued_at + _settings().session_max_hours * 3600, UTC)
