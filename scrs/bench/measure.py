"""Run one job as a subprocess; wall time, CPU time and peak memory of its whole process tree."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measured:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    result: dict = field(default_factory=dict)
    stderr: str = ""
    stdout: str = ""
    cpu_seconds: float | None = None
    """User + system CPU time of the command's process tree and of `also` over the run (None: not measured)."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _cpu_of(proc: psutil.Process | None) -> float:
    """CPU seconds a live process has used, its reaped children's included (dbt's, GX's subprocesses)."""
    if proc is None:
        return 0.0
    times = proc.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _children_cpu() -> float:
    """CPU seconds of this process's reaped children and their reaped descendants (the measured command)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, also: int | None = None
) -> Measured:
    """Run `cmd`; sample the RSS of its process tree (sum over processes) every 50 ms, with the tree of process
    `also` added (the resident runner that does a submitted run's work); and count the CPU time both used, which
    bounds the wall time from below on this machine's cores however the work were overlapped.

    The disk's write-back is flushed first, untimed: a case must not be timed against the writes of the case
    before it, or of a copy the bench made for it. The month onto ten years, right after the bench copied the
    2.7 GB standby file, took 10.7-11.6 s with its replay 6.7-7.4 s; after a `sync`, 10.2 s and 6.0-6.1 s, with
    the same code (29 Nov, 07:14). In service that copy is made a month before the run that uses it."""
    os.sync()
    full_env = {**os.environ, "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false", **(env or {})}
    helper = psutil.Process(also) if also else None
    with tempfile.TemporaryFile(mode="w+") as err, tempfile.TemporaryFile(mode="w+") as out:
        cpu_before = _children_cpu() + _cpu_of(helper)
        t0 = time.perf_counter()
        popen = subprocess.Popen(cmd, env=full_env, cwd=cwd, stdout=out, stderr=err)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            try:
                procs = [psutil.Process(popen.pid), *([psutil.Process(also)] if also else [])]
            except psutil.Error:
                return
            while not done.is_set():
                peak = max(peak, sum(_tree_rss(p) for p in procs))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = popen.wait()
        seconds = time.perf_counter() - t0
        cpu = _children_cpu() + _cpu_of(helper) - cpu_before
        done.set()
        sampler.join()
        err.seek(0)
        stderr = err.read()
        out.seek(0)
        stdout = out.read()
    return Measured(seconds, peak, returncode, stderr=stderr[-4000:], stdout=stdout[-4000:], cpu_seconds=cpu)


def measure_child(
    job: str, *args: str | Path, runs: int | None = None, env: dict[str, str] | None = None, also: int | None = None
) -> Measured:
    """`python -m scrs.bench.child JOB ARGS --out X.json`, with its JSON result attached."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "scrs.bench.child", job, *map(str, args), "--out", str(out)]
        if runs is not None:
            cmd += ["--runs", str(runs)]
        m = measure(cmd, env=env, also=also)
        if out.exists():
            m.result = json.loads(out.read_text())
    return m
