"""The access log: every sign-in, failed sign-in, sign-out, download and refused attempt, one JSON line each.

It lives at `Settings.access_log` (`<warehouse dir>/logs/access.jsonl`): beside the served warehouse file,
not in it, so a rebuild or a new publication never touches it. Writers only ever append, under an exclusive
`fcntl` lock. The file is created mode 0600.

Tamper evidence (docs/access.md says what it proves and what it does not):
- each line ends with `"mac"`, HMAC-SHA256 under `SCRS_ACCESS_LOG_KEY` (scrs/keys.py; separate from the
  pseudonymisation key) of the line's bytes before it, and carries `prev`, the MAC of the line before it
  (`GENESIS` for the first): editing, removing, reordering or inserting a line breaks the chain, and without
  the key nobody can re-chain the lines that remain;
- the head of the chain (last MAC) and the line count are anchored outside the log file, in
  `<warehouse dir>/state/access_log.anchor` (itself MAC'd, written atomically under the same lock): dropping
  the last lines, or deleting the file, leaves the anchor ahead of the log, which `check` reports.

Fields: `time` (UTC, ISO 8601), `event`, `user`, `role`, `division` (the user's division, for division
users), `scope` (what was asked for: a division code or `national`), `file`, `rows`, `detail`, `prev`, `mac`.
Nothing else is written: never a password, a session token, or a value typed into the username box that is
not a known account (someone may have typed their password there).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrs.keys import access_log_key

EVENTS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "session_expired",
    "download",
    "access_denied",
    "session_tampered",
    "review_write",
)
FIELDS = ("time", "event", "user", "role", "division", "scope", "file", "rows", "detail", "prev")
ANCHOR_VERSION = 1
_MAC_SUFFIX = re.compile(rb', "mac": "([0-9a-f]{64})"\}$')
_MAX_PROBLEMS = 20
GENESIS = "0" * 64
_MAX_TEXT = 300


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    return text[:_MAX_TEXT]


def anchor_path(path: Path | str) -> Path:
    """Where the head of the log at `path` is anchored: `<warehouse dir>/state/access_log.anchor` for the
    served log (`<warehouse dir>/logs/access.jsonl`), else `<file>.anchor` beside a log kept elsewhere."""
    path = Path(path)
    if path.parent.name == "logs":
        return path.parent.parent / "state" / "access_log.anchor"
    return path.with_name(path.name + ".anchor")


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _seal(key: bytes, entry: dict[str, Any]) -> bytes:
    """The entry as one line: its JSON with `"mac"` (the HMAC of the JSON before it) added last."""
    body = json.dumps(entry, ensure_ascii=False).encode("utf-8")
    return body[:-1] + b', "mac": "' + _mac(key, body).encode("ascii") + b'"}'


def _unseal(line: bytes) -> tuple[bytes, str] | None:
    """(the bytes the MAC was computed over, the MAC), or None when the line carries no MAC."""
    found = _MAC_SUFFIX.search(line)
    if found is None:
        return None
    return line[: found.start()] + b"}", found.group(1).decode("ascii")


def _anchor_mac(key: bytes, lines: int, head: str, recreated: Any) -> str:
    payload = json.dumps({"lines": lines, "head": head, "recreated": recreated}, sort_keys=True)
    return _mac(key, b"anchor\n" + payload.encode("utf-8"))


def _read_anchor(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"unreadable": True}
    return data if isinstance(data, dict) else {"unreadable": True}


def _anchor_valid(key: bytes, anchor: dict[str, Any]) -> bool:
    try:
        expected = _anchor_mac(key, int(anchor["lines"]), str(anchor["head"]), anchor.get("recreated"))
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, str(anchor.get("mac", "")))


def _write_anchor(key: bytes, path: Path, lines: int, head: str, recreated: Any) -> None:
    """Replace the anchor atomically (temporary file, fsync, `os.replace`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": ANCHOR_VERSION,
        "lines": lines,
        "head": head,
        "recreated": recreated,
        "updated_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "mac": _anchor_mac(key, lines, head, recreated),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _scan_head(handle: Any) -> tuple[int, str]:
    """(lines, MAC of the last line) of the open log, read from the start: used only when no valid anchor
    exists (the first line ever, or after the anchor was lost, which the anchor then records)."""
    handle.seek(0)
    count, head = 0, GENESIS
    for line in handle.read().splitlines():
        if not line.strip():
            continue
        count += 1
        sealed = _unseal(line)
        head = sealed[1] if sealed else GENESIS
    return count, head


def append(
    path: Path | str,
    event: str,
    *,
    user: str | None = None,
    role: str | None = None,
    division: str | None = None,
    scope: str | None = None,
    file: str | None = None,
    rows: int | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """Append one entry (under the lock, chained to the anchored head) and move the anchor; return it."""
    if event not in EVENTS:
        raise ValueError(f"unknown access-log event {event!r}")
    key = access_log_key()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    anchor_file = anchor_path(path)
    entry: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": event,
        "user": _clean(user),
        "role": _clean(role),
        "division": _clean(division),
        "scope": _clean(scope),
        "file": _clean(file),
        "rows": None if rows is None else int(rows),
        "detail": _clean(detail),
    }
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            anchor = _read_anchor(anchor_file)
            if anchor is not None and _anchor_valid(key, anchor):
                # Chain to the anchored head, not to whatever the file ends with: a truncated log stays
                # visibly truncated after the next append.
                lines, head, recreated = int(anchor["lines"]), str(anchor["head"]), anchor.get("recreated")
            else:
                lines, head = _scan_head(handle)
                recreated = None
                if lines or anchor is not None:  # the anchor was lost or forged: say so, for good
                    why = "missing" if anchor is None else "invalid"
                    recreated = {"at": entry["time"], "lines": lines, "anchor": why}
            entry["prev"] = head
            line = _seal(key, entry)
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            _write_anchor(key, anchor_file, lines + 1, _unseal(line)[1], recreated)  # type: ignore[index]
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return entry


@dataclass
class LogRead:
    """The entries that could be read, and the line numbers (1-based) of lines that could not."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)


def _read_lines(path: Path) -> list[bytes] | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            return handle.read().split(b"\n")
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("event"), str) else None


def read_entries(path: Path | str) -> LogRead:
    """Every readable entry, oldest first; a malformed line is skipped and reported, never fatal."""
    out = LogRead()
    for number, line in enumerate(_read_lines(Path(path)) or [], start=1):
        if not line.strip():
            continue
        entry = _parse(line)
        if entry is None:
            out.bad_lines.append(number)
        else:
            out.entries.append(entry)
    return out


def read(path: Path | str) -> list[dict[str, Any]]:
    """Every readable entry, oldest first (an empty list when nothing has been logged yet)."""
    return read_entries(path).entries


@dataclass
class LogCheck:
    """What `check` found. `ok` only when every line is intact, chained and the anchor agrees."""

    path: Path
    anchor: Path
    lines: int = 0
    anchored_lines: int | None = None
    problems: list[str] = field(default_factory=list)
    first_bad_line: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, message: str, line: int | None) -> None:
        if line is not None and (self.first_bad_line is None or line < self.first_bad_line):
            self.first_bad_line = line
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(message)
        elif len(self.problems) == _MAX_PROBLEMS:
            self.problems.append("... (more problems not listed)")

    def summary(self) -> str:
        if self.ok:
            if self.lines == 0:
                return f"{self.path}: nothing logged yet (no log and no anchor)"
            return (
                f"{self.path}: {self.lines} lines, every line's MAC valid and chained, and the anchor agrees "
                f"({self.anchored_lines} lines, same head)"
            )
        return f"{self.path}: TAMPERED OR DAMAGED: " + "; ".join(self.problems)


def check(path: Path | str) -> LogCheck:
    """Check every line's MAC, the chain, and the log against its anchor (needs the access-log key)."""
    key = access_log_key()
    path = Path(path)
    result = LogCheck(path=path, anchor=anchor_path(path))
    lines = _read_lines(path)
    anchor = _read_anchor(result.anchor)
    if lines is None and anchor is None:
        return result
    if anchor is None:
        result.problem(f"the anchor {result.anchor.name} is missing (deleted?): truncation cannot be ruled out", 1)
    elif not _anchor_valid(key, anchor):
        result.problem("the anchor's own MAC is wrong: it was edited or forged", 1)
        anchor = None
    else:
        result.anchored_lines = int(anchor["lines"])
        if anchor.get("recreated"):
            lost = anchor["recreated"]
            result.problem(
                f"the anchor was {lost.get('anchor', 'missing')} and was re-created at {lost.get('at')} after "
                f"line {lost.get('lines')}: lines up to there cannot be checked for truncation",
                max(1, int(lost.get("lines") or 1)),
            )
    if lines is None:
        result.problem(f"the log file is missing but the anchor says {result.anchored_lines} lines were logged", 1)
        return result

    previous = GENESIS
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        result.lines += 1
        entry = _parse(line)
        sealed = _unseal(line)
        if entry is None or sealed is None:
            result.problem(f"line {number} is not a log entry (malformed or without a MAC)", number)
            previous = sealed[1] if sealed else previous
            continue
        body, mac = sealed
        if not hmac.compare_digest(_mac(key, body), mac):
            result.problem(f"line {number}'s MAC is wrong: the line was edited or written without the key", number)
        elif entry.get("prev") != previous:
            result.problem(f"line {number} does not follow the line before it: lines were removed or moved", number)
        previous = mac
    if anchor is not None:
        anchored, head = int(anchor["lines"]), str(anchor["head"])
        if result.lines < anchored:
            result.problem(
                f"the log has {result.lines} lines but the anchor says {anchored}: "
                f"{anchored - result.lines} line(s) removed",
                result.lines + 1,
            )
        elif result.lines > anchored:
            result.problem(
                f"the log has {result.lines} lines but the anchor says {anchored}: lines added by something else",
                anchored + 1,
            )
        elif previous != head:
            result.problem("the last line is not the anchored head: the end of the log was replaced", result.lines)
    return result


def verify(path: Path | str) -> int | None:
    """The 1-based number of the first line found wrong (a missing line counts: one past the last line
    left), or None when the log is intact and agrees with its anchor. `check` says what was found."""
    result = check(path)
    if result.ok:
        return None
    return result.first_bad_line or 1
