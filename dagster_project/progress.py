"""Progress of a run, for the person waiting on `scrs run` (a national ten-year rebuild takes minutes).

Each step reports what it did through Dagster's log (seen in the Dagster UI) and, when `scrs run` asked
for it (`SCRS_PROGRESS=1`), as one short line on the process's own stderr (`sys.__stderr__`: `scrs run` sends
Dagster's and dbt's output to the run's log file meanwhile), so a terminal shows the run moving without
Dagster's full event log.
"""

import os
import sys
import time

from dagster import AssetCheckExecutionContext, AssetExecutionContext

PROGRESS_ENV = "SCRS_PROGRESS"


def report(context: AssetExecutionContext | AssetCheckExecutionContext, message: str) -> None:
    context.log.info(message)
    if os.environ.get(PROGRESS_ENV) == "1":
        print(f"scrs run: {time.strftime('%H:%M:%S')} {message}", file=sys.__stderr__, flush=True)
