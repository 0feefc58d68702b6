"""Who is looking at the dashboard, and what that allows.

The viewer comes only from the signed-in session (`streamlit_app.auth`): each script run resolves the
session's opaque token, held server-side, to a username, and reads that user's role and division from the
users file afresh. Nothing a browser or a test puts in `st.session_state` (a forged `viewer` object, a made-up
token) widens it. `data_access` applies the rules below in SQL and refuses (and logs) anything else.

- committee: aggregates only; any rate built on fewer than `Settings.disclosure_min_records` records is
  suppressed (published tables are public documents: small counts identify people).
- division: aggregates of every division as the committee sees them (suppressed), its own division's
  figures unsuppressed, and record-level data (downloads, record-derived figures) of its own division only.
- registrar, engineer: everything, unsuppressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["committee", "division", "registrar", "engineer"]
ROLES: tuple[Role, ...] = ("committee", "division", "registrar", "engineer")
SESSION_KEY = "viewer"


@dataclass(frozen=True)
class Viewer:
    role: Role = "engineer"
    division_code: str | None = None
    username: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")
        if self.role == "division" and not self.division_code:
            raise ValueError("a division viewer needs a division_code")

    @property
    def suppresses_small_cells(self) -> bool:
        """Committee-facing views suppress rates built on few records (a division user's own rows excepted)."""
        return self.role in ("committee", "division")

    def sees_unsuppressed(self, division_code: str | None) -> bool:
        """A row of this division (None: a command-area or national row) is shown unsuppressed."""
        if self.role == "division":
            return division_code is not None and division_code == self.division_code
        return not self.suppresses_small_cells

    def may_see_division_records(self, division_code: str) -> bool:
        """Record-derived data (failure reasons, late records) of one division."""
        if self.role == "division":
            return division_code == self.division_code
        return True

    def describe(self) -> str:
        if self.role == "division":
            return f"division {self.division_code}"
        return self.role


def current_viewer() -> Viewer:
    """The signed-in session's viewer, resolved afresh on every run; raises `auth.NotSignedIn` otherwise.

    `st.session_state[SESSION_KEY]` is never read as a source of truth: a value found there that differs
    from the signed-in viewer is logged as tampering and removed (`streamlit_app.auth`).
    """
    from streamlit_app.auth import require_viewer

    return require_viewer()
