"""The review store: what crime managers and registrars did about each failing record, with its history.

A small transactional store (SQLite, WAL) beside the warehouse, never inside the rebuilt warehouse file:
`Settings.review_store` (`<warehouse>/state/reviews.sqlite`, or `$SCRS_STATE_DIR/reviews.sqlite`). It holds
what the product cannot rebuild from extracts: each failing record's review state, when it was first seen
failing and when it was resolved, and an append-only history of every change (who, when, from, to, note).
`scrs backup` / `scrs restore` copy it with the access log.

States (docs/worklist.md):
- `open`: failing, nobody has marked it yet (every failing record starts here).
- `under_review`, `rectified` (corrected in the crime system), `disputed` (the manager believes the record
  is right and the rule wrong): set by the record's division, or a registrar.
- `upheld` (the failure stands) / `overturned` (the rule was wrong: a rule error): registrars settle disputes.
- `still_failing`: marked rectified, but still failing after the next extract (set by reconciliation).
- `resolved`: no longer failing, whatever its state before (set by reconciliation, with `resolved_on`).

Every write runs in one `BEGIN IMMEDIATE` transaction (two sessions writing at once queue; nothing is lost)
and is appended to the access log before it commits. A division user may write only records of its own
division; the record's division is read from the published `marts.record_failures`, never taken from the
caller. Notes are screened for staff numbers and officers' names (`scrs.quality.free_text`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from scrs import access_log
from scrs.quality.free_text import find_personal_data
from scrs.reference import review_state_words
from scrs.warehouse import NoPublicationError, read_only

if TYPE_CHECKING:
    import pandas as pd  # imported where a frame is made: the pipeline's review snapshot needs none

STATES: tuple[str, ...] = (
    "open",
    "under_review",
    "rectified",
    "disputed",
    "upheld",
    "overturned",
    "still_failing",
    "resolved",
)
STATE_WORDS: dict[str, str] = review_state_words()  # seeds/review_states.csv
# States a division (or a registrar acting for it) sets, and the ones only registrars set.
DIVISION_STATES: tuple[str, ...] = ("under_review", "rectified", "disputed")
SETTLING_STATES: tuple[str, ...] = ("upheld", "overturned")
# Which state a person may move a record to from each state. `resolved`, `still_failing` and `open` are set
# only by reconciliation at each run; `overturned` ends the review (the failure is a rule error).
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"under_review", "rectified", "disputed"}),
    "under_review": frozenset({"rectified", "disputed"}),
    "rectified": frozenset({"under_review"}),
    "still_failing": frozenset({"under_review", "rectified", "disputed"}),
    "disputed": frozenset({"under_review", "upheld", "overturned"}),  # under_review: dispute withdrawn
    "upheld": frozenset({"under_review", "rectified"}),
    "overturned": frozenset(),
    "resolved": frozenset(),
}
NOTE_MAX_CHARS = 500


def allowed_moves(role: str, from_state: str) -> list[str]:
    """The states a person of `role` may move a record in `from_state` to (what the page offers)."""
    settable = {"division": DIVISION_STATES, "registrar": DIVISION_STATES + SETTLING_STATES}.get(role, ())
    return [s for s in STATES if s in TRANSITIONS[from_state] and s in settable]


SYSTEM_ACTOR = "pipeline"
BUSY_TIMEOUT_SECONDS = 60.0

SCHEMA = """
create table if not exists review_state (
    test_code          text not null,
    record_id          text not null,
    division_code      text not null,
    state              text not null default 'open',
    note               text,
    updated_by         text,
    updated_at         text,             -- UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'
    first_seen_failing text,             -- extract date of the first publication it failed in
    first_seen_run     text,
    resolved_on        text,             -- extract date of the first publication it no longer failed in
    version            integer not null default 0,
    changed_seq        integer not null default 0,  -- set by trigger: CHANGE_TRACKING
    primary key (test_code, record_id)
);
create index if not exists review_state_division on review_state (division_code);
create table if not exists review_history (
    seq           integer primary key autoincrement,
    test_code     text not null,
    record_id     text not null,
    division_code text not null,
    at            text not null,
    actor         text not null,
    actor_role    text not null,
    from_state    text not null,
    to_state      text not null,
    note          text,
    run_id        text
);
create index if not exists review_history_record on review_history (test_code, record_id);
create table if not exists reconciliations (
    run_id        text primary key,
    reconciled_at text not null,
    as_of         text,
    failing       integer not null,
    new           integer not null,
    still_failing integer not null,
    resolved      integer not null,
    reopened      integer not null
);
create trigger if not exists review_history_append_only_u before update on review_history
begin select raise(abort, 'review history is append-only'); end;
create trigger if not exists review_history_append_only_d before delete on review_history
begin select raise(abort, 'review history is append-only'); end;
"""
# Every insert into or update of review_state takes the next number of one counter (review_changes.seq) as the
# row's `changed_seq`, whoever writes it (the dashboard, a script, the pipeline). Reconciliation uses it to read
# only the records changed since the copy of the store the served file carries (scrs/reconcile.py). Stores made
# before it gain the column (0 for every row) in `ensure_schema`. The update trigger's own update leaves it
# alone (`when`), and SQLite does not fire a trigger from itself.
_NEXT_CHANGE = (
    "update review_changes set seq = seq + 1 where id = 1; "
    "update review_state set changed_seq = (select seq from review_changes where id = 1) where rowid = new.rowid;"
)
CHANGE_TRACKING: tuple[str, ...] = (
    "create table if not exists review_changes (id integer primary key check (id = 1), seq integer not null)",
    "insert or ignore into review_changes values (1, 0)",
    f"create trigger if not exists review_state_changed_i after insert on review_state begin {_NEXT_CHANGE} end",
    "create trigger if not exists review_state_changed_u after update on review_state "
    f"when new.changed_seq is old.changed_seq begin {_NEXT_CHANGE} end",
)
STORE_SEQ_SQL = "select seq from review_changes where id = 1"
STATE_COLUMNS: tuple[str, ...] = (
    "test_code",
    "record_id",
    "division_code",
    "state",
    "note",
    "updated_by",
    "updated_at",
    "first_seen_failing",
    "first_seen_run",
    "resolved_on",
    "version",
)
HISTORY_COLUMNS: tuple[str, ...] = (
    "seq",
    "test_code",
    "record_id",
    "division_code",
    "at",
    "actor",
    "actor_role",
    "from_state",
    "to_state",
    "note",
    "run_id",
)


class Actor(Protocol):
    """Who writes: the dashboard's Viewer has these attributes (no streamlit import here)."""

    username: str | None
    role: str
    division_code: str | None


@dataclass(frozen=True)
class Person:
    """An Actor outside the dashboard (tests, scripts)."""

    username: str | None
    role: str
    division_code: str | None = None


class ReviewError(ValueError):
    """A write that cannot be made as asked (unknown record, state or transition; a note refused)."""


class ReviewRefused(ReviewError):
    """A write this person may not make (another division's record, a role that cannot write): logged."""


class ReviewConflict(ReviewError):
    """The record changed since the caller read it (someone else wrote first): nothing was written."""


def utc_now_text() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, waiting for a busy writer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("pragma journal_mode = wal")
    con.execute("pragma synchronous = full")
    con.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return con


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` ... COMMIT (ROLLBACK on any error): the write lock is taken before reading."""
    con.execute("begin immediate")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


# The store's layout version, kept in SQLite's `user_version` once `ensure_schema` has made the layout: a store
# already at it is opened without writing. Raise it whenever SCHEMA or CHANGE_TRACKING changes.
SCHEMA_VERSION = 1


def ensure_schema(con: sqlite3.Connection) -> None:
    """Make the store's tables, indexes and triggers, unless the store is already at SCHEMA_VERSION.

    Checked with a read first: the write lock is taken only to create or upgrade a store, so opening one (every
    dashboard read of the worklist does) never waits for a writer, such as the pipeline's reconciliation,
    which holds the lock while its publication is made."""
    if con.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    with transaction(con):
        for statement in SCHEMA.split(";\n"):
            if statement.strip():
                con.execute(statement)
        columns = {row["name"] for row in con.execute("pragma table_info(review_state)")}
        if "changed_seq" not in columns:  # a store made before change tracking
            con.execute("alter table review_state add column changed_seq integer not null default 0")
        for statement in CHANGE_TRACKING:
            con.execute(statement)
        con.execute(f"pragma user_version = {SCHEMA_VERSION}")


class ReviewStore:
    """The review store at `path`; `access_log_path` receives one line per write or refusal."""

    def __init__(self, path: Path | str, access_log_path: Path | str | None = None) -> None:
        self.path = Path(path)
        self.access_log_path = Path(access_log_path) if access_log_path else None
        created = not self.path.exists()
        con = connect(self.path)
        try:
            ensure_schema(con)
        finally:
            con.close()
        if created:  # notes and who did what: readable by the product's own account only
            self.path.chmod(0o600)

    @classmethod
    def for_settings(cls, settings: Any) -> ReviewStore:
        return cls(settings.review_store, settings.access_log)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        con = connect(self.path)
        try:
            yield con
        finally:
            con.close()

    # ------------------------------------------------------------------------------------------------
    # Reading

    def state(self, test_code: str, record_id: str) -> dict[str, Any] | None:
        with self.connection() as con:
            row = con.execute(
                "select * from review_state where test_code = ? and record_id = ?", [test_code, record_id]
            ).fetchone()
        return dict(row) if row else None

    def states(self, division_code: str | None = None, state: str | None = None) -> pd.DataFrame:
        """Every record's current state (one division's, or those in one state, when given), as the store
        holds it now."""
        sql = f"select {', '.join(STATE_COLUMNS)} from review_state"
        where, params = [], []
        for column, value in (("division_code", division_code), ("state", state)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if where:
            sql += " where " + " and ".join(where)
        with self.connection() as con:
            rows = con.execute(sql + " order by test_code, record_id", params).fetchall()
        import pandas as pd

        return pd.DataFrame([tuple(r) for r in rows], columns=list(STATE_COLUMNS))

    def history(
        self, test_code: str | None = None, record_id: str | None = None, division_code: str | None = None
    ) -> pd.DataFrame:
        """Changes, oldest first, optionally of one record or one division."""
        where, params = [], []
        for column, value in (("test_code", test_code), ("record_id", record_id), ("division_code", division_code)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = f"select {', '.join(HISTORY_COLUMNS)} from review_history"
        if where:
            sql += " where " + " and ".join(where)
        with self.connection() as con:
            rows = con.execute(sql + " order by seq", params).fetchall()
        import pandas as pd

        return pd.DataFrame([tuple(r) for r in rows], columns=list(HISTORY_COLUMNS))

    def _check_read(self, actor: Actor, division_code: str | None) -> None:
        if actor.role in ("registrar", "engineer"):
            return
        if actor.role == "division" and division_code is not None and division_code == actor.division_code:
            return
        self._refuse(
            actor,
            division_code,
            "Review states are shown only to their own division, registrars and engineers.",
            f"refused reading review states of {division_code or 'every division'}",
        )

    def states_for(self, actor: Actor, division_code: str | None, state: str | None = None) -> pd.DataFrame:
        """`states` for a person: a division user only its own division (else refused and logged)."""
        self._check_read(actor, division_code)
        return self.states(division_code, state)

    def history_for(
        self, actor: Actor, division_code: str | None, test_code: str | None = None, record_id: str | None = None
    ) -> pd.DataFrame:
        """`history` for a person: a division user only its own division (else refused and logged)."""
        self._check_read(actor, division_code)
        return self.history(test_code, record_id, division_code)

    # ------------------------------------------------------------------------------------------------
    # Writing

    def _log(self, event: str, actor: Actor, division: str | None, detail: str) -> None:
        if self.access_log_path is None:
            return
        access_log.append(
            self.access_log_path,
            event,
            user=actor.username,
            role=actor.role,
            division=actor.division_code,
            scope=division,
            file="review store",
            detail=detail,
        )

    def _refuse(self, actor: Actor, division: str | None, message: str, detail: str) -> None:
        self._log("access_denied", actor, division, detail)
        raise ReviewRefused(message)

    def set_state(
        self,
        actor: Actor,
        test_code: str,
        record_id: str,
        to_state: str,
        note: str | None = None,
        *,
        served_db: Path,
        expected_state: str | None = None,
    ) -> dict[str, Any]:
        """Move one failing record to `to_state` with a note; returns the record's new state.

        The record's division comes from the published `marts.record_failures` (`served_db`). With
        `expected_state`, the write is refused (ReviewConflict) if someone changed the record meanwhile.
        """
        what = f"{test_code} {record_id} -> {to_state}"
        if to_state not in STATES:
            raise ReviewError(f"unknown review state {to_state!r}")
        note = (note or "").strip() or None
        if note is not None and len(note) > NOTE_MAX_CHARS:
            raise ReviewError(f"The note was not saved: it is longer than {NOTE_MAX_CHARS} characters.")
        refused_note = note_refusal(note)
        if refused_note:
            raise ReviewError(refused_note)
        division = published_division(served_db, test_code, record_id)
        if division is None:
            raise ReviewError(
                f"{test_code} {record_id} is not a failing record of the current publication; nothing was saved."
            )
        if actor.role == "division":
            if actor.division_code != division:
                self._refuse(
                    actor, division, "A division can change only its own division's records.", f"refused {what}"
                )
            if to_state not in DIVISION_STATES:
                self._refuse(actor, division, "Only a registrar can settle a dispute.", f"refused {what}")
        elif actor.role == "registrar":
            pass
        else:
            self._refuse(actor, division, f"The {actor.role} role cannot change review states.", f"refused {what}")
        if to_state in SETTLING_STATES and actor.role != "registrar":
            self._refuse(actor, division, "Only a registrar can settle a dispute.", f"refused {what}")
        if to_state in SETTLING_STATES and not note:
            raise ReviewError("Settling a dispute needs a note saying why.")
        now = utc_now_text()
        with self.connection() as con, transaction(con):
            row = con.execute(
                "select state, version from review_state where test_code = ? and record_id = ?",
                [test_code, record_id],
            ).fetchone()
            from_state = row["state"] if row else "open"
            if expected_state is not None and expected_state != from_state:
                raise ReviewConflict(
                    f"{test_code} {record_id} was changed by someone else (now {STATE_WORDS[from_state]}); "
                    "nothing was saved: look again and retry."
                )
            if to_state not in TRANSITIONS[from_state]:
                allowed = ", ".join(STATE_WORDS[s] for s in sorted(TRANSITIONS[from_state])) or "none"
                raise ReviewError(
                    f"A record that is {STATE_WORDS[from_state].lower()} cannot be marked "
                    f"{STATE_WORDS[to_state].lower()} (allowed: {allowed})."
                )
            if row:
                con.execute(
                    "update review_state set state = ?, note = ?, updated_by = ?, updated_at = ?, "
                    "division_code = ?, version = version + 1 where test_code = ? and record_id = ?",
                    [to_state, note, actor.username, now, division, test_code, record_id],
                )
            else:  # failing, not yet reconciled into the store (first_seen filled by the next run)
                con.execute(
                    "insert into review_state (test_code, record_id, division_code, state, note, updated_by, "
                    "updated_at, version) values (?, ?, ?, ?, ?, ?, ?, 1)",
                    [test_code, record_id, division, to_state, note, actor.username, now],
                )
            con.execute(
                "insert into review_history (test_code, record_id, division_code, at, actor, actor_role, "
                "from_state, to_state, note) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [test_code, record_id, division, now, actor.username or "", actor.role, from_state, to_state, note],
            )
            # Logged inside the transaction: every committed write has its line in the access log.
            self._log("review_write", actor, division, f"{test_code} {record_id}: {from_state} -> {to_state}")
            new = con.execute(
                "select * from review_state where test_code = ? and record_id = ?", [test_code, record_id]
            ).fetchone()
        return dict(new)


_FINDING_WORDS = {
    "staff_number": "what looks like a staff number",
    "rank_and_number": "an officer's rank and number",
    "rank_and_name": "an officer's rank and name",
}


def note_refusal(note: str | None) -> str | None:
    """Why a note cannot be kept (it carries personal data: `scrs.quality.free_text`), never repeating it."""
    kinds = list(dict.fromkeys(f.kind for f in find_personal_data(note)))
    if not kinds:
        return None
    found = " and ".join(_FINDING_WORDS.get(k, k) for k in kinds)
    return f"The note was not saved: it contains {found}; refer to officers by role, not by name or number."


def published_division(served_db: Path, test_code: str, record_id: str) -> str | None:
    """The division of a failing record in the published warehouse (None when it is not failing there)."""
    try:
        with read_only(served_db) as con:
            rows = con.execute(
                "select division_code from marts.record_failures where test_code = ? and record_id = ?",
                [test_code, record_id],
            ).fetchall()
    except NoPublicationError:
        return None
    return rows[0][0] if rows else None
