"""The resident runner's protocol and its client (`scrs run` submitting to `scrs serve`), with no Dagster import.

Every `scrs run` used to pay the same fixed cost before its first step: starting Python and importing Dagster,
dagster-dbt with the manifest, and Great Expectations (about 8 CPU-s on this machine, a third of a monthly
run at a quarter of national scale: docs/benchmarks.md). `scrs serve` (dagster_project/resident.py) pays it
once and then runs each submitted run in its own process, exactly as `scrs run` would run it
(`dagster_project.runner.run_pipeline`). `scrs run` submits to it when one is listening on the warehouse's
socket, and runs the pipeline itself otherwise (or when asked to, `--in-process`).

The protocol is JSON lines over a Unix socket that only the runner's own user can open (mode 0600, and the
runner checks the peer's uid): the client sends one request, the runner answers with progress lines and one
outcome. A request carries the client's `SCRS_*` settings (and the few other variables the pipeline's libraries
read), which replace the runner's own for that run only, so a submitted run is configured exactly as the same
command run in-process would be.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOCKET_ENV = "SCRS_RUNNER_SOCKET"
SOCKET_NAME = ".runner.sock"
# Unix socket paths are limited to 107 bytes (sun_path); a deep warehouse folder needs SCRS_RUNNER_SOCKET.
MAX_SOCKET_PATH = 107
# What a request carries from the client's environment: the product's settings, and the variables its
# libraries read (no phone-home calls).
FORWARDED_PREFIXES = ("SCRS_",)
FORWARDED_NAMES = ("DO_NOT_TRACK", "GX_ANALYTICS_ENABLED", "DBT_SEND_ANONYMOUS_USAGE_STATS")


class RunnerError(RuntimeError):
    """The resident runner could not take or finish the run (not a failed gate: that is an outcome)."""


@dataclass(frozen=True)
class SubmittedOutcome:
    """What the runner answered: as `dagster_project.runner.RunOutcome`, or an error the CLI maps to an exit
    code (`kind`: busy, usage or internal)."""

    published: bool
    run_id: str
    reason: str
    steps: tuple[tuple[str, float, float], ...] = ()
    error_kind: str | None = None


def socket_path(warehouse_dir: Path) -> Path:
    """Where the warehouse's resident runner listens: `SCRS_RUNNER_SOCKET`, else `<warehouse>/.runner.sock`."""
    given = os.environ.get(SOCKET_ENV, "").strip()
    return Path(given) if given else Path(warehouse_dir).resolve() / SOCKET_NAME


def forwarded_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The client's variables a submitted run is configured with."""
    environ = dict(os.environ if environ is None else environ)
    return {
        name: value for name, value in environ.items() if name.startswith(FORWARDED_PREFIXES) or name in FORWARDED_NAMES
    }


def encode(message: dict) -> bytes:
    return (json.dumps(message) + "\n").encode()


def connect(path: Path, timeout: float = 2.0) -> socket.socket | None:
    """A connection to the runner at `path`, or None when none is listening there (no socket file, or a
    stale one left by a runner that was killed)."""
    if len(os.fsencode(path)) > MAX_SOCKET_PATH or not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError, PermissionError, TimeoutError, OSError):
        sock.close()
        return None
    sock.settimeout(None)  # a run takes as long as it takes; the runner reports progress meanwhile
    return sock


def messages(sock: socket.socket) -> Iterator[dict]:
    """The runner's answer, one message per line, until it closes the connection."""
    with sock.makefile("r", encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def request(landing_dir: Path, warehouse_dir: Path, progress: bool) -> bytes:
    """A run's request: where from, where to, whether to send progress lines, and the caller's settings."""
    return encode(
        {
            "landing": str(Path(landing_dir).resolve()),
            "warehouse": str(Path(warehouse_dir).resolve()),
            "progress": progress,
            "env": forwarded_environment(),
        }
    )


def submit(
    landing_dir: Path,
    warehouse_dir: Path,
    *,
    progress: bool = True,
    progress_stream=sys.stderr,  # noqa: ANN001 (a text stream)
) -> SubmittedOutcome | None:
    """Submit a run to the warehouse's resident runner and follow it to its outcome; None when no runner is
    listening (the caller then runs the pipeline itself). Progress lines are printed as they come."""
    sock = connect(socket_path(warehouse_dir))
    if sock is None:
        return None
    with sock:
        sock.sendall(request(landing_dir, warehouse_dir, progress))
        sock.shutdown(socket.SHUT_WR)
        for message in messages(sock):
            if "progress" in message:
                print(message["progress"], file=progress_stream, flush=True)
            elif "outcome" in message:
                o = message["outcome"]
                steps = tuple((str(k), float(s), float(e)) for k, s, e in o.get("steps", ()))
                return SubmittedOutcome(bool(o["published"]), str(o["run_id"]), str(o["reason"]), steps)
            elif "error" in message:
                e = message["error"]
                if e.get("kind") == "stale":  # its imported project is out of date: run in the caller's process
                    print(f"scrs run: {e['message']} (restart it): running in this process", file=progress_stream)
                    return None
                return SubmittedOutcome(False, "", str(e["message"]), (), str(e.get("kind", "internal")))
    raise RunnerError("the resident runner closed the connection before the run's outcome (see its log)")


def hand_over(landing_dir: Path, warehouse_dir: Path) -> bool:
    """Hand a run to the warehouse's resident runner without waiting for it (the landing sensor: a tick must
    not last a run); False when no runner listens. The runner reports the outcome as for any run: the
    publication, or the failure marker and an ERROR line in its log."""
    sock = connect(socket_path(warehouse_dir))
    if sock is None:
        return False
    with sock:
        sock.sendall(request(landing_dir, warehouse_dir, progress=False))
    return True
