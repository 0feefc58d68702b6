"""The access log's keyed chain and its anchor: every tampering the issue found is now reported.

Each case is played on a real log written by `access_log.append`, then checked both through
`access_log.check` and through `scrs access-log verify` as an operator would run it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from scrs import access_log
from scrs.keys import ACCESS_LOG_KEY_ENV, AccessLogKeyMissing
from tests.conftest import run_scrs

KEY = "test-access-log-key-0123456789abcdef"
EVENTS = ["sign_in", "download", "access_denied", "download", "access_denied", "sign_out"]


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse folder whose access log holds six entries written with a real key."""
    monkeypatch.setenv(ACCESS_LOG_KEY_ENV, KEY)
    folder = tmp_path / "warehouse"
    for i, event in enumerate(EVENTS):
        access_log.append(log_path(folder), event, user=f"user-{i}", role="division", scope="G")
    return folder


def log_path(folder: Path) -> Path:
    return folder / "logs" / "access.jsonl"


def cli_verify(folder: Path) -> tuple[int, str]:
    proc = run_scrs("access-log", "verify", "--warehouse", str(folder), env={ACCESS_LOG_KEY_ENV: KEY})
    return proc.returncode, proc.stdout + proc.stderr


def rechain_without_key(lines: list[dict]) -> list[str]:
    """What the old unkeyed chain allowed: recompute every link with a hash anyone can compute."""
    out, prev = [], access_log.GENESIS
    for entry in lines:
        entry = {k: v for k, v in entry.items() if k != "mac"} | {"prev": prev}
        body = json.dumps(entry)
        guessed = hmac.new(b"a guessed key", body.encode(), hashlib.sha256).hexdigest()
        out.append(body[:-1] + f', "mac": "{guessed}"}}')
        prev = guessed
    return out


def test_an_untouched_log_verifies(warehouse: Path) -> None:
    result = access_log.check(log_path(warehouse))
    assert result.ok, result.problems
    assert result.lines == len(EVENTS) == result.anchored_lines
    code, out = cli_verify(warehouse)
    assert code == 0 and f"{len(EVENTS)} lines" in out


def test_every_line_is_keyed_and_chained(warehouse: Path) -> None:
    raw = log_path(warehouse).read_bytes().splitlines()
    prev = access_log.GENESIS
    for line in raw:
        entry = json.loads(line)
        body = line[: line.rindex(b', "mac"')] + b"}"
        assert entry["mac"] == hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
        assert entry["prev"] == prev
        prev = entry["mac"]
    anchor = json.loads((warehouse / "state" / "access_log.anchor").read_text())
    assert anchor["lines"] == len(EVENTS) and anchor["head"] == prev


def test_truncation_is_reported(warehouse: Path) -> None:
    path = log_path(warehouse)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n")  # drop the last two lines: the old chain still passed
    result = access_log.check(path)
    assert not result.ok and any("2 line(s) removed" in p for p in result.problems)
    assert access_log.verify(path) == len(EVENTS) - 1
    code, out = cli_verify(warehouse)
    assert code != 0 and "TAMPERED" in out and "removed" in out


def test_deleting_lines_and_rechaining_without_the_key_is_reported(warehouse: Path) -> None:
    path = log_path(warehouse)
    kept = [json.loads(line) for line in path.read_text().splitlines() if '"access_denied"' not in line]
    path.write_text("\n".join(rechain_without_key(kept)) + "\n")
    result = access_log.check(path)
    assert not result.ok
    assert any("MAC is wrong" in p for p in result.problems)
    assert any("anchor says 6" in p for p in result.problems)
    code, out = cli_verify(warehouse)
    assert code != 0 and "MAC is wrong" in out


def test_deleting_lines_and_keeping_the_rest_verbatim_is_reported(warehouse: Path) -> None:
    path = log_path(warehouse)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if '"access_denied"' not in line) + "\n")
    result = access_log.check(path)
    assert not result.ok and result.first_bad_line == 3
    assert any("does not follow" in p for p in result.problems)


def test_deleting_the_log_is_reported_even_after_new_entries(warehouse: Path) -> None:
    path = log_path(warehouse)
    path.unlink()
    code, out = cli_verify(warehouse)
    assert code != 0 and "missing" in out
    access_log.append(path, "sign_in", user="next-user")  # the dashboard carries on logging
    result = access_log.check(path)
    assert not result.ok and any("anchor says 7" in p for p in result.problems)
    assert cli_verify(warehouse)[0] != 0


def test_deleting_the_anchor_is_reported_for_good(warehouse: Path) -> None:
    anchor = warehouse / "state" / "access_log.anchor"
    anchor.unlink()
    assert not access_log.check(log_path(warehouse)).ok
    access_log.append(log_path(warehouse), "sign_in", user="next-user")  # re-creates the anchor, marked
    result = access_log.check(log_path(warehouse))
    assert not result.ok and any("re-created" in p for p in result.problems)


def test_a_forged_anchor_is_reported(warehouse: Path) -> None:
    path = log_path(warehouse)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    anchor_file = warehouse / "state" / "access_log.anchor"
    anchor = json.loads(anchor_file.read_text())
    anchor.update(lines=len(lines) - 1, head=json.loads(lines[-2])["mac"])
    anchor_file.write_text(json.dumps(anchor))
    result = access_log.check(path)
    assert not result.ok and any("anchor's own MAC" in p for p in result.problems)


def test_an_edited_line_is_reported_at_that_line(warehouse: Path) -> None:
    path = log_path(warehouse)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"user": "user-1"', '"user": "someone-else"')
    path.write_text("\n".join(lines) + "\n")
    assert access_log.verify(path) == 2


def test_a_malformed_line_does_not_stop_the_reader(warehouse: Path) -> None:
    path = log_path(warehouse)
    lines = path.read_text().splitlines()
    lines.insert(3, '{"time": "2026-01-01T00:00:00", "event": "download", "user": ')  # cut short
    path.write_text("\n".join(lines) + "\n")
    read = access_log.read_entries(path)
    assert read.bad_lines == [4]
    assert [e["user"] for e in read.entries] == [f"user-{i}" for i in range(len(EVENTS))]
    assert len(access_log.read(path)) == len(EVENTS)
    result = access_log.check(path)
    assert not result.ok and any("line 4 is not a log entry" in p for p in result.problems)


def test_the_key_must_be_set_outside_demo_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ACCESS_LOG_KEY_ENV, raising=False)
    monkeypatch.setenv("SCRS_DEMO_MODE", "0")
    with pytest.raises(AccessLogKeyMissing):
        access_log.append(tmp_path / "logs" / "access.jsonl", "sign_in", user="x")
    assert not (tmp_path / "logs" / "access.jsonl").exists() or not (tmp_path / "logs" / "access.jsonl").read_text()
    monkeypatch.setenv("SCRS_PSEUDONYM_KEY", "one-secret-for-both-purposes")
    monkeypatch.setenv(ACCESS_LOG_KEY_ENV, "one-secret-for-both-purposes")
    with pytest.raises(AccessLogKeyMissing, match="differ"):
        access_log.append(tmp_path / "logs" / "access.jsonl", "sign_in", user="x")
    proc = run_scrs(
        "access-log", "verify", "--warehouse", str(tmp_path), env={"SCRS_DEMO_MODE": "0", ACCESS_LOG_KEY_ENV: ""}
    )
    assert proc.returncode == 2 and ACCESS_LOG_KEY_ENV in proc.stderr


def test_a_log_written_with_another_key_does_not_verify(warehouse: Path) -> None:
    proc = run_scrs(
        "access-log", "verify", "--warehouse", str(warehouse), env={ACCESS_LOG_KEY_ENV: "another-key-0123456789abcdef"}
    )
    assert proc.returncode != 0 and "MAC" in proc.stderr
