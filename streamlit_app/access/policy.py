"""What each role may see and download (docs/access.md). No Streamlit here, so the rules are unit-testable.

The functions below only decide; `streamlit_app.access.audit` logs a refusal and raises `AccessDenied`, and
`streamlit_app.data` applies the scope in parameterised SQL and the disclosure rule (`scrs.disclosure`).

- committee: aggregates only; any rate built on fewer than `Settings.disclosure_min_records` records is
  suppressed, with the complementary cells that stop it being worked out (published tables are public
  documents: small counts identify people); no record-derived breakdowns (failure reasons, late recording).
- division: aggregates of every division as the committee sees them (suppressed), its own division's
  figures unsuppressed, and record-level data (downloads, record-derived figures) of its own division only.
- registrar, engineer: everything, unsuppressed, and the access log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scrs.roles import DIVISION_ROLE, ROLES, Role

# Roles whose views are committee-facing: small cells suppressed (a division user's own division excepted).
SUPPRESSED_ROLES: tuple[Role, ...] = ("committee", DIVISION_ROLE)
# Roles that may read the access log.
LOG_READERS: tuple[Role, ...] = ("registrar", "engineer")
# Roles that receive the committee's paper (`scrs report`) from the dashboard.
PAPER_ROLES: tuple[Role, ...] = ("committee", "registrar")
# Roles that work the registrars' audit: its samples, worklists and every division's disagreements.
AUDIT_WORKERS: tuple[Role, ...] = ("registrar", "engineer")
# The download scope of the committee's pack (`scrs export --national`); any other scope is a division code.
NATIONAL = "national"


class AccessDenied(Exception):
    """The viewer may not see this data (the message is shown to the user)."""


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: `message` for the user; `scope` and `detail` for the access log."""

    message: str
    scope: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Viewer:
    role: Role = "engineer"
    division_code: str | None = None
    username: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")
        if self.role == DIVISION_ROLE and not self.division_code:
            raise ValueError("a division viewer needs a division_code")

    @property
    def is_division(self) -> bool:
        return self.role == DIVISION_ROLE

    @property
    def suppresses_small_cells(self) -> bool:
        """Committee-facing views suppress rates built on few records (a division user's own rows excepted)."""
        return self.role in SUPPRESSED_ROLES

    @property
    def reads_access_log(self) -> bool:
        return self.role in LOG_READERS

    @property
    def works_audit(self) -> bool:
        """Sees the registrars' audit samples, worklists and progress (docs/registrar_audit.md)."""
        return self.role in AUDIT_WORKERS

    def sees_unsuppressed(self, division_code: str | None) -> bool:
        """A row of this division (None: a command-area or national row) is shown unsuppressed."""
        if self.is_division:
            return division_code is not None and division_code == self.division_code
        return not self.suppresses_small_cells

    def may_see_division_records(self, division_code: str) -> bool:
        """Record-derived data (failure reasons, late records) of one division: a division user its own, the
        committee none (docs/access.md: its breakdowns would be counts of a few records), the others all."""
        if self.is_division:
            return division_code == self.division_code
        return self.role != "committee"

    def may_open_division(self, division_code: str) -> bool:
        """The Division detail page of one division: its aggregates (suppressed as the committee's) for the
        committee, its record-derived figures too for whoever may see them."""
        return self.role == "committee" or self.may_see_division_records(division_code)

    def describe(self) -> str:
        if self.is_division:
            return f"division {self.division_code}"
        return self.role


# --------------------------------------------------------------------------------------------------------
# Disclosure: which rows of a view are suppressed for this viewer


def suppresses(viewer: Viewer, own_scope: str | None = None) -> bool:
    """Whether a view suppresses small cells for `viewer`.

    `own_scope` is the division a query was limited to (None: all divisions, an area or the nation); a
    division user's own division is exempt.
    """
    return viewer.suppresses_small_cells and not viewer.sees_unsuppressed(own_scope)


def exempt_division(viewer: Viewer) -> str | None:
    """The division whose rows stay unsuppressed in a cross-division view (a division user's own), or None."""
    return viewer.division_code if viewer.is_division else None


# --------------------------------------------------------------------------------------------------------
# Refusals: None when allowed


def division_request_refusal(viewer: Viewer, division_code: str | None) -> Refusal | None:
    """A division asked for by URL or widget state: refused when it is not a division user's own."""
    if division_code is None or division_code == "":
        return None
    if viewer.is_division and division_code != viewer.division_code:
        return Refusal(
            f"Division {str(division_code)[:12]!r} is not yours: you see record-level data of division "
            f"{viewer.division_code} only.",
            scope=str(division_code),
            detail="request for another division",
        )
    return None


def division_records_refusal(viewer: Viewer, division_code: str | None) -> Refusal | None:
    """Record-derived figures (failure reasons, late recording) of one division, or of all (None)."""
    if division_code is None:
        if viewer.is_division or viewer.role == "committee":
            return Refusal(
                "Record-derived figures are shown to division users for their own division only, and not to "
                "the committee.",
                scope="all divisions",
                detail="record-derived figures for all divisions",
            )
        return None
    if not viewer.may_see_division_records(division_code):
        return Refusal(
            f"Record-derived figures for division {division_code} are not available to you.",
            scope=division_code,
            detail="record-derived figures of another division",
        )
    return None


def download_scopes(viewer: Viewer, division_codes: Sequence[str]) -> list[str]:
    """The packs this viewer may download: NATIONAL and/or division codes (of `division_codes`)."""
    if viewer.role == "committee":
        return [NATIONAL]
    if viewer.is_division:
        return [str(viewer.division_code), NATIONAL]
    return [NATIONAL, *division_codes]


def pack_refusal(viewer: Viewer, scope: str) -> Refusal | None:
    """A download pack: the national pack for everyone; a division's pack per `division_request_refusal`,
    never for the committee (it holds record-level data)."""
    if scope == NATIONAL:
        return None
    if viewer.role == "committee":
        return Refusal(
            "The committee receives the national pack only (aggregates, small cells suppressed): no division's "
            "record-level data.",
            scope=str(scope),
            detail="division pack refused to committee",
        )
    return division_request_refusal(viewer, scope)


def access_log_refusal(viewer: Viewer) -> Refusal | None:
    if viewer.reads_access_log:
        return None
    return Refusal("The access log is for registrars and engineers only.", scope="access log")


def worklist_refusal(viewer: Viewer, division_code: str | None) -> Refusal | None:
    """The worklist and its review states (record level, docs/worklist.md): a division user its own division
    only, registrars and engineers any one division, the committee none. Writes are checked again, against
    the published record, by `scrs.reviews`."""
    if viewer.role == "committee":
        return Refusal(
            "The worklist holds record-level data: it is for divisions, registrars and engineers.",
            scope=str(division_code) if division_code else "worklist",
            detail="worklist refused to committee",
        )
    if division_code is None or division_code == "":
        return Refusal("Choose a division.", scope="worklist", detail="worklist without a division")
    return division_request_refusal(viewer, division_code)


def committee_paper_refusal(viewer: Viewer) -> Refusal | None:
    """The committee's paper (`scrs report`: aggregates only, suppressed) for committee members and crime
    registrars; anyone else is refused (and logged)."""
    if viewer.role in PAPER_ROLES:
        return None
    return Refusal(
        "The committee's paper is for committee members and crime registrars.",
        scope="committee paper",
        detail="committee paper refused",
    )


def audit_worklist_refusal(viewer: Viewer) -> Refusal | None:
    """The registrars' audit samples and worklists (record-level: which records are being audited)."""
    if viewer.works_audit:
        return None
    return Refusal(
        "The audit samples and worklists are for registrars and engineers only.",
        scope="audit worklists",
        detail="audit sample or worklist",
    )


def audit_disagreements_refusal(viewer: Viewer, division_code: str | None) -> Refusal | None:
    """Records where the registrar and the rules differ: registrars and engineers all, a division user its own
    division's, the committee none (it sees the audit's figures, not its records)."""
    if viewer.role == "committee":
        return Refusal(
            "The committee sees the audit's figures and agreement, not its records.",
            scope=division_code or "all divisions",
            detail="audit disagreements refused to committee",
        )
    return division_records_refusal(viewer, division_code)
