"""Resources, configured from the environment with safe local defaults."""

from __future__ import annotations

from dagster import ConfigurableResource

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
