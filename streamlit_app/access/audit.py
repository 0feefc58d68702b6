"""The audit trail: every sign-in, download and refusal goes to the access log (`scrs.access_log`).

A refusal decided by `policy` is logged here before `AccessDenied` is raised, so no refused attempt goes
unrecorded.
"""

from __future__ import annotations

from typing import Any, NoReturn

from scrs import access_log
from scrs.settings import Settings
from streamlit_app.access.policy import AccessDenied, Refusal, Viewer, division_request_refusal


def log_event(viewer: Viewer | None, event: str, **fields: Any) -> None:
    """Append to the access log (`Settings.access_log`) on behalf of `viewer` (None: nobody signed in)."""
    access_log.append(
        Settings.from_env().access_log,
        event,
        user=None if viewer is None else viewer.username,
        role=None if viewer is None else viewer.role,
        division=None if viewer is None else viewer.division_code,
        **fields,
    )


def refuse(viewer: Viewer, refusal: Refusal) -> NoReturn:
    """Log the refused attempt, then raise `AccessDenied` with the refusal's message (shown to the user)."""
    log_event(viewer, "access_denied", scope=refusal.scope, detail=refusal.detail or refusal.message)
    raise AccessDenied(refusal.message)


def enforce(viewer: Viewer, refusal: Refusal | None) -> None:
    """Refuse (and log) when the policy returned a refusal; otherwise do nothing."""
    if refusal is not None:
        refuse(viewer, refusal)


def check_division_request(viewer: Viewer, division_code: str | None) -> None:
    """A division asked for by URL or widget state: refused (and logged) when it is not the viewer's own."""
    enforce(viewer, division_request_refusal(viewer, division_code))
