"""The bench's CPU count (scrs.bench.measure): it bounds the wall time a run could reach on the machine's cores,
so it must count every process that does a run's work, and only those. Checked against busy loops whose CPU time
the test fixes itself."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from scrs.bench.measure import measure

BUSY = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass\n"


def test_the_cpu_of_the_commands_whole_tree_is_counted() -> None:
    """0.6 s of CPU in a grandchild, 0.3 s in the child, while the bench itself only waits."""
    grandchild = BUSY.format(s=0.6)
    child = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {grandchild!r}])\n" + BUSY.format(s=0.3)
    m = measure([sys.executable, "-c", child])
    assert m.ok, m.stderr
    assert m.cpu_seconds is not None and 0.85 <= m.cpu_seconds <= 0.9 + 0.6, m.cpu_seconds  # + interpreter starts


def test_the_cpu_a_helper_spends_during_the_run_is_counted_and_not_before(tmp_path: Path) -> None:
    """The resident runner does a submitted run's work: its CPU during the run counts (0.5 s once the command
    has started), its CPU before does not (0.7 s spent before the measurement)."""
    go = tmp_path / "go"
    helper_code = (
        BUSY.format(s=0.7)
        + f"import pathlib\nwhile not pathlib.Path({str(go)!r}).exists(): time.sleep(0.01)\n"
        + BUSY.format(s=0.5)
        + "time.sleep(30)\n"
    )
    helper = subprocess.Popen([sys.executable, "-c", helper_code])
    try:
        time.sleep(1.5)  # the helper's first 0.7 s are spent
        command = f"import pathlib, time\npathlib.Path({str(go)!r}).touch()\ntime.sleep(1.5)\n"
        m = measure([sys.executable, "-c", command], also=helper.pid)
    finally:
        helper.kill()
        helper.wait()
    assert m.ok, m.stderr
    assert m.cpu_seconds is not None and 0.5 <= m.cpu_seconds <= 0.5 + 0.4, m.cpu_seconds  # + the command's start
