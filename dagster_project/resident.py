"""`scrs serve`: the resident runner. It imports Dagster, dagster-dbt with the manifest and Great Expectations
once, then runs each run `scrs run` submits (scrs/resident.py has the protocol and the client) in this process,
one at a time, exactly as `scrs run` runs it in-process (`runner.run_pipeline`): same run lock, private build,
gates and atomic publication. What it saves is the start-up every run otherwise pays (docs/benchmarks.md).

A run is configured by the submitting command's settings (its `SCRS_*` variables, in place of this
process's) for that run only; the environment is put back afterwards, so one run's settings never reach the
next. Only this process's user can submit (socket mode 0600, and the peer's uid is checked). A client that
goes away (Ctrl-C) does not stop its run: the run is the warehouse's, and ends as any run does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from dagster_project import progress
from scrs.resident import FORWARDED_PREFIXES, MAX_SOCKET_PATH, connect, encode

log = logging.getLogger("scrs.resident")
REQUEST_TIMEOUT_SECONDS = 10.0
# The runner's own setting (its environment, not a submitted run's): copy each new publication for the next
# run (prepare_standby); "0" turns it off.
STANDBY_ENV = "SCRS_RUNNER_STANDBY"
_loaded_manifest: tuple[int, int] | None = None  # the manifest the imported definitions were built from


class RunnerStartError(RuntimeError):
    """The runner cannot listen where asked (another runner is there, or the path is unusable)."""


def preload() -> None:
    """Import what every run needs, once: the definitions (Dagster, dagster-dbt and the manifest, made first
    if the project changed), Great Expectations with the quality suites' validator, and dbt itself, which
    from now on runs in this process with the project parsed (dagster_project/dbt_in_process.py)."""
    global _loaded_manifest
    from dagster_project.dbt_project import prepare_manifest

    _loaded_manifest = manifest_version(prepare_manifest())
    import dagster_project.definitions  # noqa: F401  (imported after the manifest exists)
    import scrs.quality.validate  # noqa: F401  (Great Expectations, pandas)
    from dagster_project import dbt_in_process
    from scrs.settings import DBT_PROJECT_DIR, Settings

    dbt_in_process.enable()
    _warm_dagster()
    with tempfile.TemporaryDirectory(prefix="scrs-runner-parse-") as target:
        dbt_vars = json.dumps(Settings.from_env().dbt_vars())  # as dagster_project/dbt.py passes them
        dbt_in_process.warm(Path(DBT_PROJECT_DIR), dbt_vars, Path(target))


def _warm_dagster() -> None:
    """Plan the pipeline's job once in a throwaway instance: the imports and caches Dagster otherwise builds on
    the first run (about 0.6 s more before that run's first step)."""
    from dagster import DagsterInstance
    from dagster._core.execution.api import create_execution_plan

    from dagster_project.definitions import defs

    with DagsterInstance.ephemeral():
        create_execution_plan(defs.resolve_job_def("scrs_pipeline"))


def manifest_version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def definitions_are_stale() -> bool:
    """Whether the dbt project changed since this process imported its definitions (the asset graph is built
    from the manifest at import): its manifest is out of date, or was remade since (by a `scrs run` in-process)."""
    from dagster_project.dbt_project import manifest_is_stale, scrs_dbt_project

    return manifest_is_stale() or manifest_version(scrs_dbt_project.manifest_path) != _loaded_manifest


@contextlib.contextmanager
def run_environment(overrides: dict[str, str]) -> Iterator[None]:
    """For one run, the submitting command's `SCRS_*` settings instead of this process's (a setting the
    command did not have is not set, as in the command's own process), and its few other forwarded variables;
    restored afterwards whatever the run set (run_pipeline sets the landing and warehouse folders)."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith(FORWARDED_PREFIXES)]:
            del os.environ[name]
        os.environ.update(overrides)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (Linux SO_PEERCRED: pid, uid, gid)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class _Client:
    """The submitting command's end of the connection. Writes stop quietly once it has gone away: its run
    goes on."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.gone = False

    def send(self, message: dict) -> None:
        if self.gone:
            return
        try:
            self.conn.sendall(encode(message))
        except OSError:
            self.gone = True
            log.info("the submitting command went away; its run goes on")


def _read_request(conn: socket.socket) -> dict:
    conn.settimeout(REQUEST_TIMEOUT_SECONDS)
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.settimeout(None)
    return json.loads(data.decode())


def handle(conn: socket.socket) -> tuple[Path, Path, dict[str, str]] | None:
    """Run one submitted run and answer with its progress and outcome; returns the run's landing folder,
    warehouse folder and settings when a run was made (published or not), for `prepare_standby`."""
    from dagster_project.runner import run_pipeline
    from scrs.publish import RunInProgressError

    client = _Client(conn)
    if peer_uid(conn) != os.getuid():
        client.send({"error": {"kind": "usage", "message": "only the runner's own user may submit runs"}})
        return None
    try:
        request = _read_request(conn)
        landing, warehouse = Path(request["landing"]), Path(request["warehouse"])
        env = {str(k): str(v) for k, v in dict(request.get("env", {})).items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("a request the runner could not read: %s", exc)
        client.send({"error": {"kind": "usage", "message": "the resident runner could not read the request"}})
        return None
    if definitions_are_stale():  # the definitions this process imported are not the project's any more
        log.warning("the dbt project changed since this runner started: restart it; the run goes in-process")
        client.send(
            {"error": {"kind": "stale", "message": "the dbt project changed since the resident runner started"}}
        )
        return None
    started = time.monotonic()
    log.info("run submitted: landing %s, warehouse %s", landing, warehouse)
    try:
        with run_environment(env), progress.forwarded_to(lambda line: client.send({"progress": line})):
            outcome = run_pipeline(landing, warehouse, progress=bool(request.get("progress", True)))
    except RunInProgressError as exc:
        client.send({"error": {"kind": "busy", "message": str(exc)}})
        return None
    except FileNotFoundError as exc:
        client.send({"error": {"kind": "usage", "message": str(exc)}})
        return None
    except Exception:  # noqa: BLE001 (the runner outlives a run that broke: the detail goes to its log)
        log.exception("run on %s failed in the resident runner", warehouse)
        client.send({"error": {"kind": "internal", "message": "the run failed in the resident runner (see its log)"}})
        return landing, warehouse, env
    if outcome.published:
        log.info("run %s on %s: published (%.1f s)", outcome.run_id, warehouse, time.monotonic() - started)
    else:  # as the daemon's failure alert says it (docs/operations.md: what to watch)
        log.error("scrs: pipeline run %s failed: %s", outcome.run_id, outcome.reason)
    client.send(
        {
            "outcome": {
                "published": outcome.published,
                "run_id": outcome.run_id,
                "reason": outcome.reason,
                "steps": [list(step) for step in outcome.steps],
            }
        }
    )
    return landing, warehouse, env


def prepare_standby(landing: Path, warehouse: Path, env: dict[str, str]) -> None:
    """After a run, once its command has its answer: the copy of the publication the next run on `warehouse`
    starts from (scrs.publish.make_standby), made now rather than at that run's start."""
    from scrs.publish import make_standby
    from scrs.settings import Settings

    try:
        with run_environment(env):
            seconds = make_standby(Settings.from_env(landing, warehouse))
    except Exception:  # noqa: BLE001 (the next run copies the publication itself: the detail goes to the log)
        log.exception("could not copy the publication on %s ahead of the next run", warehouse)
        return
    if seconds is not None:
        log.info("a copy of the publication on %s is ready for the next run (%.1f s)", warehouse, seconds)


def listen(path: Path) -> socket.socket:
    """A listening socket at `path` that only this user can connect to. A stale socket file (a runner that was
    killed) is replaced; a live one is an error."""
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise RunnerStartError(
            f"socket path {path} is longer than {MAX_SOCKET_PATH} bytes: set SCRS_RUNNER_SOCKET to a shorter one"
        )
    if path.exists() or path.is_symlink():
        live = connect(path, timeout=1.0)
        if live is not None:
            live.close()
            raise RunnerStartError(f"a resident runner is already listening on {path}")
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # created 0600: no window in which another user could connect
    try:
        server.bind(os.fspath(path))
    finally:
        os.umask(old_umask)
    server.listen(16)
    return server


def _signalled(woken: int) -> bool:
    """Whether SIGTERM or SIGINT arrived since last asked (read from the wake-up fd)."""
    try:
        data = os.read(woken, 4096)
    except BlockingIOError:
        return False
    return any(signum in (signal.SIGTERM, signal.SIGINT) for signum in data)


def serve(path: Path, ready=print, max_runs: int | None = None) -> None:  # noqa: ANN001 (a print-like callable)
    """Listen on `path` and run what is submitted, one run at a time, until SIGTERM or SIGINT (or `max_runs`)."""
    started = time.monotonic()
    preload()
    server = listen(path)
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        log.info("stopping on signal %s", signum)
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    # During a run Dagster puts its own handlers on both signals (a SIGTERM interrupts the run: its build is
    # discarded, the served file untouched), so `stop` does not hear it; the wake-up fd does, whoever handles it.
    woken, wake = os.pipe()
    for fd in (woken, wake):
        os.set_blocking(fd, False)
    previous_wakeup = signal.set_wakeup_fd(wake)
    ready(f"scrs serve: ready on {path} (pid {os.getpid()}, start-up {time.monotonic() - started:.1f} s)")
    runs = 0
    try:
        while not stopping and (max_runs is None or runs < max_runs):
            try:
                conn, _ = server.accept()
            except OSError:
                if stopping:
                    break
                raise
            with conn:
                ran = handle(conn)
            runs += 1
            if ran is not None and not stopping and os.environ.get(STANDBY_ENV, "1") != "0":
                prepare_standby(*ran)
            if _signalled(woken):
                log.info("stopping: a signal came during the run")
                stopping = True
    finally:
        signal.set_wakeup_fd(previous_wakeup)
        os.close(woken)
        os.close(wake)
        server.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
