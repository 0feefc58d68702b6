"""Dashboard accounts: who may sign in, with which role, and (for division users) which division.

The users file is JSON, mode 0600, written atomically (temporary file + `os.replace`) under an exclusive
`fcntl` lock on a sidecar `.lock` file, so the CLI and the dashboard can both update it. It holds salted
argon2id hashes (argon2-cffi), never a password. One record per username:

    {"version": 1, "users": {"division-e": {
        "role": "division", "division_code": "E", "password_hash": "$argon2id$...",
        "identities": [],            # OIDC identities (e-mail or subject) that sign in as this user
        "created_at": "...", "password_changed_at": "...", "last_sign_in_at": "...",
        "failed_attempts": 0, "lockouts": 0, "locked_until": null, "demo": false}}}

Failed sign-ins are throttled per username: after `max_failures` wrong passwords in a row the account is
locked for `lockout_minutes`, doubling with each lockout in a row (capped at a day); a locked account refuses
even the right password until the lock ends (`scrs users unlock` ends it early). Unknown usernames get the
same answers and the same throttling (held in memory), so the sign-in form does not reveal who exists. Given a
`ClientThrottle` and the client's address, failures are also counted per address (scrs/throttle.py).

Every attempt does the same work before anything is decided: one argon2 verification (against the account's
hash, or a dummy hash for an unknown name or an account without a password), so how long the answer takes
does not tell a locked account from an unknown name or a wrong password. Passwords must pass zxcvbn
(`MIN_PASSWORD_SCORE`); demo accounts (`scrs users demo`) sign in only in demo mode (scrs/keys.py).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from scrs.keys import demo_mode
from scrs.roles import ROLES
from scrs.settings import SEEDS_DIR
from scrs.throttle import ClientThrottle

FILE_VERSION = 1
MIN_PASSWORD_LENGTH = 12
# zxcvbn's score (0-4) a password needs: 3 = "safely unguessable" (about 10^8 guesses or more). zxcvbn is
# Dropbox's estimator with its own lists of common passwords, names and words, repeats and sequences.
MIN_PASSWORD_SCORE = 3
# Words a password must not lean on: the product's and the force's names (zxcvbn treats them as dictionary words).
PASSWORD_CONTEXT_WORDS = ("scrs", "police", "scotland", "crime", "registrar", "committee", "dashboard")
MAX_LOCKOUT = timedelta(hours=24)
# Usernames are lower-case words; an e-mail address is allowed (OIDC identities often are one).
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,127}$")
# Staff numbers are personal data and must not become usernames (they would reach the access log).
STAFF_NUMBER_LIKE = re.compile(r"(?i)sn\d{4,}|\d{6,}")
# Demo accounts (`scrs users demo`): one per role, plus a division user in each command area's example.
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("committee", "committee", None),
    ("registrar", "registrar", None),
    ("engineer", "engineer", None),
    ("division-a", "division", "A"),
    ("division-e", "division", "E"),
    ("division-g", "division", "G"),
)

_hasher = PasswordHasher()  # argon2id, salted, library defaults (RFC 9106 low-memory profile)
_unknown_failures: dict[str, dict[str, Any]] = {}
_unknown_lock = threading.Lock()


class UsersError(ValueError):
    """A users-file operation that cannot be done (unknown user, bad role, weak password, ...)."""


class UsersFileUnreadable(UsersError):
    """The users file exists but is not a readable users file (not JSON, wrong shape, no permission)."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    division_code: str | None
    identities: tuple[str, ...] = ()
    has_password: bool = True
    locked_until: datetime | None = None
    last_sign_in_at: str | None = None
    demo: bool = False


@dataclass(frozen=True)
class SignInOutcome:
    ok: bool
    reason: str  # "ok", "wrong_password", "unknown_user", "locked", "no_password", "throttled", "demo_account"
    account: Account | None = None
    locked_until: datetime | None = None
    known_user: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(moment: str | None) -> datetime | None:
    return None if not moment else datetime.fromisoformat(moment)


def division_codes() -> tuple[str, ...]:
    with (SEEDS_DIR / "divisions.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(row["division_code"] for row in csv.DictReader(handle))


def normalise_username(username: str) -> str:
    return username.strip().lower()


def validate_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise UsersError(
            f"invalid username {username!r}: 2-128 characters, lower-case letters, digits and . _ @ + - "
            "(starting with a letter or digit)"
        )
    if STAFF_NUMBER_LIKE.search(name):
        raise UsersError("a username must not be or contain a staff number (personal data): choose another")
    return name


def validate_role(role: str, division_code: str | None) -> tuple[str, str | None]:
    if role not in ROLES:
        raise UsersError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if role == "division":
        code = (division_code or "").strip().upper()
        if code not in division_codes():
            raise UsersError(
                f"a division user needs --division, one of {', '.join(division_codes())} (got {division_code!r})"
            )
        return role, code
    if division_code:
        raise UsersError(f"--division applies to division users only, not to role {role!r}")
    return role, None


def validate_password(password: str, username: str | None = None) -> str:
    """Refuse short passwords and any zxcvbn scores as guessable (common, repetitive, keyboard patterns,
    words, the username)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or "\n" in password:
        raise UsersError("a password must not start or end with white space")
    context = [*PASSWORD_CONTEXT_WORDS, *([normalise_username(username)] if username else [])]
    strength = zxcvbn(password[:100], user_inputs=context)  # zxcvbn is slow on very long input
    if strength["score"] < MIN_PASSWORD_SCORE:
        warning = strength["feedback"].get("warning") or "it is too easy to guess"
        raise UsersError(
            f"that password is too easy to guess ({warning.rstrip('.')}); use a longer one, e.g. several "
            "unrelated words, or let `scrs users` generate one"
        )
    return password


def generate_password() -> str:
    """A random password (about 120 bits), printed once by the CLI and never stored."""
    return secrets.token_urlsafe(15)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# --------------------------------------------------------------------------------------------------------
# The file


class UsersFile:
    """The users file at `path`. Every method reads the file afresh; changes happen under the lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def exists(self) -> bool:
        return self.path.exists()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": FILE_VERSION, "users": {}}
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UsersFileUnreadable(f"{self.path} could not be read as a users file ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise UsersFileUnreadable(f"{self.path} is not a users file")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _edit(self) -> Iterator[dict[str, Any]]:
        with self._locked():
            data = self._read()
            yield data
            self._write(data)

    # ---- reading

    @staticmethod
    def _account(name: str, rec: dict[str, Any]) -> Account:
        return Account(
            username=name,
            role=rec["role"],
            division_code=rec.get("division_code"),
            identities=tuple(rec.get("identities") or ()),
            has_password=bool(rec.get("password_hash")),
            locked_until=_parse(rec.get("locked_until")),
            last_sign_in_at=rec.get("last_sign_in_at"),
            demo=bool(rec.get("demo")),
        )

    def get(self, username: str) -> Account | None:
        """The account of `username` as the file holds it now (None when it is not there or not valid)."""
        rec = self._read()["users"].get(normalise_username(username))
        if not isinstance(rec, dict) or rec.get("role") not in ROLES:
            return None
        if rec["role"] == "division" and not rec.get("division_code"):
            return None
        return self._account(normalise_username(username), rec)

    def accounts(self) -> list[Account]:
        """Every valid account (a record of the wrong shape is left out, as `get` leaves it out)."""
        return [a for a in (self.get(name) for name in sorted(self._read()["users"])) if a is not None]

    def find_identity(self, identity: str) -> Account | None:
        """The account an OIDC identity (e-mail or subject) maps to: listed in `identities`, or the username."""
        wanted = identity.strip().lower()
        if not wanted:
            return None
        for account in self.accounts():
            if wanted in {i.lower() for i in account.identities} or wanted == account.username:
                return self.get(account.username)
        return None

    # ---- changing

    def add(
        self,
        username: str,
        role: str,
        division_code: str | None = None,
        password: str | None = None,
        *,
        identities: tuple[str, ...] = (),
        local_password: bool = True,
        demo: bool = False,
        replace: bool = False,
    ) -> str | None:
        """Add an account. Returns the password set (generated when not given), or None without one."""
        name = validate_username(username)
        role, code = validate_role(role, division_code)
        if local_password:
            password = validate_password(password, name) if password is not None else generate_password()
        else:
            password = None
        stamp = _iso(_now())
        with self._edit() as data:
            if name in data["users"] and not replace:
                raise UsersError(f"user {name!r} already exists (use set-password, or remove it first)")
            data["users"][name] = {
                "role": role,
                "division_code": code,
                "password_hash": hash_password(password) if password else None,
                "identities": sorted({i.strip().lower() for i in identities if i.strip()}),
                "created_at": stamp,
                "password_changed_at": stamp if password else None,
                "last_sign_in_at": None,
                "failed_attempts": 0,
                "lockouts": 0,
                "locked_until": None,
                "demo": demo,
            }
        return password

    def remove(self, username: str) -> None:
        name = normalise_username(username)
        with self._edit() as data:
            if data["users"].pop(name, None) is None:
                raise UsersError(f"no user {name!r}")

    def set_password(self, username: str, password: str | None = None) -> str:
        """Set (or generate) a new password; also clears any lockout. Returns the password."""
        name = normalise_username(username)
        password = validate_password(password, name) if password is not None else generate_password()
        with self._edit() as data:
            rec = data["users"].get(name)
            if rec is None:
                raise UsersError(f"no user {name!r}")
            rec.update(
                password_hash=hash_password(password),
                password_changed_at=_iso(_now()),
                failed_attempts=0,
                lockouts=0,
                locked_until=None,
            )
        return password

    def unlock(self, username: str) -> None:
        name = normalise_username(username)
        with self._edit() as data:
            rec = data["users"].get(name)
            if rec is None:
                raise UsersError(f"no user {name!r}")
            rec.update(failed_attempts=0, lockouts=0, locked_until=None)

    def create_demo_accounts(self) -> list[tuple[Account, str]]:
        """(Re)create the demo accounts with fresh random passwords; returns each with its password."""
        if not demo_mode():
            raise UsersError("demo accounts are for demo mode only (SCRS_DEMO_MODE=1, as `make demo` sets)")
        created = []
        for name, role, code in DEMO_ACCOUNTS:
            password = self.add(name, role, code, demo=True, replace=True)
            account = self.get(name)
            assert account is not None and password is not None
            created.append((account, password))
        return created

    # ---- signing in

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        max_failures: int = 5,
        lockout_minutes: float = 15.0,
        now: datetime | None = None,
        client: str | None = None,
        throttle: ClientThrottle | None = None,
    ) -> SignInOutcome:
        """Check a password, with throttling per account and (given `throttle`) per client address.

        Never raises for a wrong name or password. Every path does the argon2 work first.
        """
        now = now or _now()
        name = normalise_username(username)
        with self._locked():
            data = self._read()
            rec = data["users"].get(name)
            known = isinstance(rec, dict) and rec.get("role") in ROLES
            stored = rec.get("password_hash") if known else None
            verified = _verify(stored, password)  # before deciding anything: the same work on every path
            blocked = throttle.blocked_until(client, now) if throttle is not None else None
            if blocked is not None:  # not counted against the account: a throttled client can't lock it out
                return SignInOutcome(False, "throttled", locked_until=blocked, known_user=known)
            if not known:
                outcome = self._unknown(name, now, max_failures, lockout_minutes)
            else:
                outcome = self._known(data, name, rec, password, verified, now, max_failures, lockout_minutes)
        if not outcome.ok and throttle is not None:
            throttle.record_failure(client, now)
        return outcome

    def _known(
        self,
        data: dict[str, Any],
        name: str,
        rec: dict[str, Any],
        password: str,
        verified: bool,
        now: datetime,
        max_failures: int,
        lockout_minutes: float,
    ) -> SignInOutcome:
        """The decision for an account in the file, once its password has been checked (under the lock)."""
        locked_until = _parse(rec.get("locked_until"))
        if locked_until is not None and now < locked_until:
            return SignInOutcome(False, "locked", locked_until=locked_until, known_user=True)
        if not verified:
            rec["failed_attempts"] = int(rec.get("failed_attempts") or 0) + 1
            rec["last_failed_at"] = _iso(now)
            locked = None
            if rec["failed_attempts"] >= max_failures:
                rec["lockouts"] = int(rec.get("lockouts") or 0) + 1
                locked = now + _lockout(lockout_minutes, rec["lockouts"])
                rec["locked_until"] = _iso(locked)
                rec["failed_attempts"] = 0
            self._write(data)
            if locked is not None:
                return SignInOutcome(False, "locked", locked_until=locked, known_user=True)
            reason = "wrong_password" if rec.get("password_hash") else "no_password"
            return SignInOutcome(False, reason, known_user=True)
        if rec.get("demo") and not demo_mode():
            # The right password, but a demo account (its password was printed on a demo screen).
            return SignInOutcome(False, "demo_account", known_user=True)
        if _hasher.check_needs_rehash(rec["password_hash"]):
            rec["password_hash"] = hash_password(password)  # argon2 parameters raised since it was set
        rec.update(failed_attempts=0, lockouts=0, locked_until=None, last_sign_in_at=_iso(now))
        self._write(data)
        return SignInOutcome(True, "ok", account=self._account(name, rec), known_user=True)

    @staticmethod
    def _unknown(name: str, now: datetime, max_failures: int, lockout_minutes: float) -> SignInOutcome:
        with _unknown_lock:
            state = _unknown_failures.setdefault(name, {"failed": 0, "lockouts": 0, "locked_until": None})
            if state["locked_until"] is not None and now < state["locked_until"]:
                return SignInOutcome(False, "locked", locked_until=state["locked_until"])
            state["failed"] += 1
            if state["failed"] >= max_failures:
                state["lockouts"] += 1
                state["failed"] = 0
                state["locked_until"] = now + _lockout(lockout_minutes, state["lockouts"])
                return SignInOutcome(False, "locked", locked_until=state["locked_until"])
            if len(_unknown_failures) > 10_000:  # bound the memory an attacker can make us hold
                _unknown_failures.clear()
        return SignInOutcome(False, "unknown_user")


@functools.cache
def _dummy_hash() -> str:
    """The hash verified for unknown names, so timing does not tell. Made at the first sign-in attempt, not at
    import (every `scrs` command and test worker imports this module; one argon2 hash costs ~0.5 s)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _lockout(minutes: float, lockouts_in_a_row: int) -> timedelta:
    return min(timedelta(minutes=minutes) * (2 ** max(0, lockouts_in_a_row - 1)), MAX_LOCKOUT)


def _verify(stored: str | None, password: str) -> bool:
    """One argon2 verification: against `stored`, or the dummy hash when there is none (same cost)."""
    dummy = _dummy_hash()  # on every path, so the first attempt costs the same whether or not the name is known
    try:
        return _hasher.verify(stored or dummy, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
