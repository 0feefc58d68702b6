"""The access log: every sign-in, failed sign-in, sign-out, download and refused attempt, one JSON line each.

It lives at `Settings.access_log` (`<warehouse dir>/logs/access.jsonl`): beside the served warehouse file,
not in it, so a rebuild or a new publication never touches it. Writers only ever append, under an exclusive
`fcntl` lock, and each line carries the SHA-256 of the line before it (`prev`), so an edited or deleted line
breaks the chain (`verify`). The file is created mode 0600.

Fields: `time` (UTC, ISO 8601), `event`, `user`, `role`, `division` (the user's division, for division
users), `scope` (what was asked for: a division code or `national`), `file`, `rows`, `detail`, `prev`.
Nothing else is written: never a password, a session token, or a value typed into the username box that is
not a known account (someone may have typed their password there).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
GENESIS = "0" * 64
_TAIL_BYTES = 65536
_MAX_TEXT = 300


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    return text[:_MAX_TEXT]


def _last_line(handle: Any) -> bytes | None:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size == 0:
        return None
    start = max(0, size - _TAIL_BYTES)
    handle.seek(start)
    lines = handle.read().rstrip(b"\n").split(b"\n")
    return lines[-1] if lines and lines[-1] else None


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


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
    """Append one entry (under the lock, chained to the previous line) and return it."""
    if event not in EVENTS:
        raise ValueError(f"unknown access-log event {event!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
            last = _last_line(handle)
            entry["prev"] = GENESIS if last is None else line_hash(last)
            handle.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return entry


def read(path: Path | str) -> list[dict[str, Any]]:
    """Every entry, oldest first (an empty list when nothing has been logged yet)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            lines = handle.read().splitlines()
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return [json.loads(line) for line in lines if line.strip()]


def verify(path: Path | str) -> int | None:
    """The 1-based number of the first line whose `prev` does not match the line before it, or None."""
    path = Path(path)
    if not path.exists():
        return None
    previous = GENESIS
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            prev = json.loads(line).get("prev")
        except json.JSONDecodeError:
            return number
        if prev != previous:
            return number
        previous = line_hash(line)
    return None
