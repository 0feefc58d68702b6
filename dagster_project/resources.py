"""Resources, configured from the environment with safe local defaults."""

from __future__ import annotations

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
        the same time: the second fails at once with "another pipeline run is in progress"."""
        with run_lock(self.settings()):
            yield self
