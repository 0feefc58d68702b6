"""Resources, configured from the environment with safe local defaults."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, InitResourceContext

from scrs.publish import run_lock
from scrs.settings import Settings


class ScrsWarehouse(ConfigurableResource):
    """Where extracts land and where the warehouse lives.

    Empty values fall back to `SCRS_LANDING_DIR` / `SCRS_WAREHOUSE_DIR` (defaults `data/landing`,
    `data/warehouse`). The pseudonymisation key is never configuration: it comes from
    `SCRS_PSEUDONYM_KEY` only, so it can't end up in run config or the Dagster UI.
    """

    landing_dir: str = ""
    warehouse_dir: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(self.landing_dir or None, self.warehouse_dir or None)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[ScrsWarehouse]:
        """The whole run holds the warehouse's run lock, however it was started (`scrs run` takes it first;
        a run the daemon launched takes it here), so a hand-typed `scrs run` and the service never build at
        the same time: the second fails at once with "another pipeline run is in progress".

        Except a run a schedule started (the weekly rebuild, the monthly run): nobody is there to start it
        again, so it waits for the run in progress (a delivery's, in the resident runner) to end, up to
        `SCRS_SCHEDULED_RUN_WAIT_SECONDS`."""
        tags = context.run.tags if context.run else {}
        wait = scheduled_run_wait_seconds() if SCHEDULE_NAME_TAG in tags else 0.0
        with run_lock(self.settings(), wait_seconds=wait):
            yield self


# Set by Dagster on every run a schedule launches (dagster._core.storage.tags.SCHEDULE_NAME_TAG).
SCHEDULE_NAME_TAG = "dagster/schedule_name"


def scheduled_run_wait_seconds() -> float:
    """How long a scheduled run waits for another run to release the warehouse (`SCRS_SCHEDULED_RUN_WAIT_SECONDS`,
    default an hour: a delivery's month takes seconds, a first build of ten years a few minutes)."""
    return float(os.environ.get("SCRS_SCHEDULED_RUN_WAIT_SECONDS", "3600"))
