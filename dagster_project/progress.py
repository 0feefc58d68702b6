"""Progress of a run, for the person waiting on `scrs run` (a national ten-year rebuild takes minutes).

Each step reports what it did through Dagster's log (seen in the Dagster UI) and, when `scrs run` asked
for it (`SCRS_PROGRESS=1`), as one short line on the process's own stderr (`sys.__stderr__`: `scrs run` sends
Dagster's and dbt's output to the run's log file meanwhile), so a terminal shows the run moving without
Dagster's full event log. In the resident runner (`scrs serve`) the lines go to the submitting command instead.
"""

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator

from dagster import AssetCheckExecutionContext, AssetExecutionContext

PROGRESS_ENV = "SCRS_PROGRESS"
_forward: Callable[[str], None] | None = None


@contextlib.contextmanager
def forwarded_to(send: Callable[[str], None]) -> Iterator[None]:
    """Progress lines go to `send` instead of this process's stderr, for the duration of one run."""
    global _forward
    _forward = send
    try:
        yield
    finally:
        _forward = None


def report(context: AssetExecutionContext | AssetCheckExecutionContext, message: str) -> None:
    context.log.info(message)
    if os.environ.get(PROGRESS_ENV) == "1":
        line = f"scrs run: {time.strftime('%H:%M:%S')} {message}"
        if _forward is not None:
            _forward(line)
        else:
            print(line, file=sys.__stderr__, flush=True)
