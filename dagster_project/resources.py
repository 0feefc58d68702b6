"""Resources, configured from the environment with safe local defaults."""

from __future__ import annotations

import os

from dagster import ConfigurableResource

from scrs.settings import Settings


def duckdb_config() -> dict[str, str]:
    """Settings of every DuckDB connection the pipeline opens (dbt's too, through profiles.yml): a memory
    limit, so that ten years of history spill to disk rather than grow the process (DuckDB's default is 80% of
    RAM). `SCRS_DUCKDB_MEMORY_LIMIT`, default 2GB: with Dagster's own process the pipeline stays under 4 GB."""
    return {"memory_limit": os.environ.get("SCRS_DUCKDB_MEMORY_LIMIT", "2GB")}


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
