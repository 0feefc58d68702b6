"""dbt in the resident runner's own process (issue 15), instead of a new `dbt` process per run.

dagster-dbt starts dbt as a subprocess and reads its JSON log lines from stdout. Each start costs about 4.5 s
of CPU on this machine before dbt builds anything (importing dbt and the adapter, loading the partial-parse
state, writing the manifest; measured with a build that selects nothing). In the resident runner
(`dagster_project/resident.py`), `enable()` gives dagster-dbt a stand-in for that subprocess: dbt's own
programmatic API (`dbtRunner`) runs the same command line in a thread of this process, with the project
parsed once per set of vars, and its events are handed to dagster-dbt as the same JSON lines, so everything
downstream (Dagster's materialisations and checks, the error messages, the exit status) is unchanged.

Two things differ from a subprocess and are handled here: dbt-duckdb keeps one environment for the whole
process, which closes the database when its last handle closes unless the profile says `keep_open`; it is
dropped after each command all the same, so the next run's build file (which has the same name) can never
get the old file's handle; and dbt reads its `DBT_*` settings from the environment, so dagster-dbt's are set
for the command and put back afterwards.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

log = logging.getLogger("scrs.resident")
_manifests: dict[tuple[str, str, str], Any] = {}  # (vars, project dir, database) -> the parsed dbt Manifest
_LEVELS = {"info", "warn", "error"}  # what a dbt subprocess prints on stdout (its debug events go to dbt.log)


def enable() -> None:
    """From now on, dagster-dbt runs dbt in this process (the resident runner calls this once)."""
    from dagster_dbt.core import dbt_cli_invocation

    dbt_cli_invocation.subprocess = SimpleNamespace(Popen=InProcessDbt, PIPE=subprocess.PIPE, STDOUT=subprocess.STDOUT)


class _Lines:
    """The stand-in's stdout: dbt's JSON log lines as bytes, until dbt's command ends."""

    def __init__(self, lines: queue.SimpleQueue) -> None:
        self._lines = lines
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._lines.get()) is not None:
            yield line
        self.closed = True

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True


class InProcessDbt:
    """What dagster-dbt needs of `subprocess.Popen(dbt ...)`: `args`, `stdout`, `wait`, `returncode`,
    `send_signal`; the command runs in a thread of this process through `dbtRunner`."""

    def __init__(
        self, args: list[str], stdout: Any = None, stderr: Any = None, env: dict | None = None, cwd: Any = None
    ):
        self.args = list(args)
        self.returncode: int | None = None
        self._lines: queue.SimpleQueue = queue.SimpleQueue()
        self.stdout = _Lines(self._lines)
        self._thread = threading.Thread(
            target=self._invoke, args=(self.args[1:], dict(env or {}), Path(cwd or ".")), name="dbt", daemon=True
        )
        self._thread.start()

    def _emit(self, msg: Any) -> None:  # noqa: ANN401 (dbt's EventMsg)
        from dbt_common.events.functions import msg_to_json

        if msg.info.level in _LEVELS:
            self._lines.put(msg_to_json(msg).encode())

    def _invoke(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        from dbt.cli.main import dbtRunner

        settings = {k: v for k, v in env.items() if k.startswith(("DBT_", "DAGSTER_DBT")) and os.environ.get(k) != v}
        settings["DBT_QUIET"] = "true"  # dbt's own stdout lines would only repeat what it hands us
        log.info("dbt %s in the runner's own process", args[0] if args else "")
        try:
            with _overlaid(settings):
                manifest = _manifest(args, cwd)
                result = dbtRunner(manifest=manifest, callbacks=[self._emit]).invoke(args)
            self.returncode = 0 if result.success else (2 if result.exception is not None else 1)
            if result.exception is not None:
                self._error(f"dbt failed: {result.exception}")
        except BaseException as exc:  # noqa: BLE001 (reported to dagster-dbt as dbt's own error would be)
            log.exception("dbt failed in the resident runner")
            self.returncode = 2
            self._error(f"dbt failed in the resident runner: {type(exc).__name__}: {exc}")
        finally:
            _close_duckdb()
            self._lines.put(None)

    def _error(self, message: str) -> None:
        line = {"info": {"level": "error", "msg": message, "name": "ScrsInProcessError"}, "data": {}}
        self._lines.put(json.dumps(line).encode())

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else self.returncode

    def send_signal(self, signum: int) -> None:
        """dbt in a thread cannot be interrupted: the runner stops after the run (dagster_project/resident.py)."""
        log.info("signal %s for dbt in the resident runner: it ends with the runner", signum)


def _manifest(args: list[str], cwd: Path) -> Any:  # noqa: ANN401 (dbt's Manifest)
    """The project parsed once per set of vars (the runner restarts when the project changes)."""
    from dbt.cli.main import dbtRunner

    project_dir = os.environ.get("DBT_PROJECT_DIR") or str(cwd)
    dbt_vars = args[args.index("--vars") + 1] if "--vars" in args else "{}"
    # The database's name is the file's stem (the pipeline's build is always `dbt.duckdb`) and is in the manifest.
    key = (dbt_vars, project_dir, Path(os.environ.get("SCRS_DUCKDB_PATH", "")).stem)
    if key not in _manifests:
        result = dbtRunner().invoke(["parse", "--vars", dbt_vars, "--project-dir", project_dir, "--quiet"])
        if not result.success:
            raise RuntimeError(f"dbt could not parse the project: {result.exception}")
        _manifests[key] = result.result
    return _manifests[key]


def warm(project_dir: Path, dbt_vars: str, target_path: Path) -> None:
    """Parse the project now, for the vars a run will most likely pass, so the first run does not wait for it."""
    overrides = {
        "SCRS_DUCKDB_PATH": str(target_path / "dbt.duckdb"),  # named as every build is; not opened by a parse
        "DBT_PROJECT_DIR": str(project_dir),
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(target_path),
    }
    with _overlaid(overrides):
        _manifest(["--vars", dbt_vars], project_dir)


@contextlib.contextmanager
def _overlaid(overrides: dict[str, str]) -> Iterator[None]:
    """These variables set for a span, then each put back as it was. Only these: dbt runs in a thread of the
    runner, so the rest of the process's environment is not touched."""
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _close_duckdb() -> None:
    """Drop dbt-duckdb's process-wide environment after a command, closing its database if it is still open
    (see the module's docstring): the build file is renamed into place by the publish step, the next run's is
    a new file under the same name."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            try:
                DuckDBConnectionManager._ENV.close()
            finally:
                DuckDBConnectionManager._ENV = None
