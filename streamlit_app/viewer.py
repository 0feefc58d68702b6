"""Who is looking at the dashboard, and what that allows.

Sign-in arrives in a later issue. Until then every session is the default engineer viewer; the rules below
are already applied by `data_access`, so sign-in only has to put the right `Viewer` in the session.

- committee: aggregates only; any rate built on fewer than `Settings.disclosure_min_records` records is
  suppressed (published tables are public documents: small counts identify people).
- division: their own division's record-derived data only (on Division detail); aggregates as the
  committee sees them, but unsuppressed for their own division is a decision for the sign-in issue.
- registrar, engineer: everything, unsuppressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

Role = Literal["committee", "division", "registrar", "engineer"]
ROLES: tuple[Role, ...] = ("committee", "division", "registrar", "engineer")
SESSION_KEY = "viewer"


@dataclass(frozen=True)
class Viewer:
    role: Role = "engineer"
    division_code: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")
        if self.role == "division" and not self.division_code:
            raise ValueError("a division viewer needs a division_code")

    @property
    def suppresses_small_cells(self) -> bool:
        """Committee-facing views suppress rates built on few records."""
        return self.role == "committee"

    def may_see_division_records(self, division_code: str) -> bool:
        """Record-derived data (failure reasons, late records) of one division."""
        if self.role == "division":
            return division_code == self.division_code
        return True

    def describe(self) -> str:
        if self.role == "division":
            return f"division {self.division_code}"
        return self.role


DEFAULT_VIEWER = Viewer("engineer")


def current_viewer() -> Viewer:
    """The session's viewer; the default engineer viewer until sign-in exists."""
    viewer = st.session_state.get(SESSION_KEY)
    return viewer if isinstance(viewer, Viewer) else DEFAULT_VIEWER
