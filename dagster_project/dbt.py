"""The dbt project as Dagster assets: one `dbt build` (seeds, models, tests) per run, into the run's build."""

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import scrs_dbt_project
from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse
from scrs.db import connect, memory_limit, rows, run, table_exists, value
from scrs.freshness import FULL_REFRESH_ENV, project_checksum
from scrs.publish import build_connection, prepare_build

# Staging models built incrementally (by key), with the raw table they read.
INCREMENTAL_STAGING = {"incidents": "stg_storm__incidents", "crimes": "stg_crime_system__crimes"}
DBT_STATE_TABLE = "meta.dbt_state"
# A full rebuild asked for: `scrs run --full-refresh` sets FULL_REFRESH_ENV, the scheduled rebuild this run tag.
FULL_REFRESH_TAG = "scrs/full_refresh"


def asked_full_refresh(run_tags: Mapping[str, str]) -> str | None:
    """Why a full rebuild was asked for in this run, or None: the incremental models are then rebuilt from
    the whole history and every data test reads every row, as on any full refresh."""
    if os.environ.get(FULL_REFRESH_ENV) == "1":
        return "asked for (scrs run --full-refresh)"
    if run_tags.get(FULL_REFRESH_TAG) == "true":
        return "asked for (the scheduled full rebuild)"
    return None


def full_refresh_reason(con: duckdb.DuckDBPyConnection, run_id: str, checksum: str) -> str | None:
    """Why the incremental staging models can't be trusted to equal a full rebuild in this run, or None.

    They recompute the keys with rows loaded at or after the newest load time they hold. That equals a full
    rebuild when: they were built by this same dbt project and vars (checksum recorded at publication), raw
    still holds exactly the rows it held then plus this run's, and this run's rows were loaded no earlier
    than the rows already in staging (a clock set back between runs would break it)."""
    if not table_exists(con, "meta", "dbt_state"):
        return "no record of an earlier dbt build"
    state = next(iter(rows(con, f"select * from {DBT_STATE_TABLE}")), None)
    if state is None or state["project_checksum"] != checksum:
        return "the dbt project or its vars changed"
    for kind, model in INCREMENTAL_STAGING.items():
        if not table_exists(con, "staging", model) or not table_exists(con, "raw", kind):
            return f"staging.{model} or raw.{kind} is missing"
        total = value(con, f"select count(*) from raw.{kind}")
        [(new, first_new)] = run(con, f"select count(*), min(_loaded_at) from raw.{kind} where _run_id = ?", [run_id])
        if total - new != int(state[f"{kind}_rows"]):
            return f"raw.{kind} does not hold exactly the rows of the last build plus this run's"
        if new and first_new < value(con, f"select max(_loaded_at) from staging.{model}"):
            return f"raw.{kind}: this run's rows are stamped earlier than rows already in staging"
    return None


def record_dbt_state(con: duckdb.DuckDBPyConnection, checksum: str) -> None:
    """What the built tables were made from, for the next run's full_refresh_reason."""
    counts = {kind: value(con, f"select count(*) from raw.{kind}") for kind in INCREMENTAL_STAGING}
    con.execute("create schema if not exists meta")
    con.execute(
        f"create or replace table {DBT_STATE_TABLE} as select ?::varchar as project_checksum, "
        + ", ".join(f"?::bigint as {kind}_rows" for kind in counts),
        [checksum, *counts.values()],
    )


DELIVERY_SCOPE_TABLE = "meta.delivery_scope"
REJUDGED_TABLE = "meta.rejudged_records"  # written during the dbt build (dbt macro remember_rejudged)


def write_delivery_scope(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The records an incremental run re-judges start from these (dbt macro rejudged_keys): the incidents
    and crimes that received raw rows in this run, and the incident each such crime linked to before this
    run, read from staging before dbt rebuilds it (an incident that loses its crime must be re-judged too).
    Keys as staging has them (trimmed)."""
    con.execute("create schema if not exists meta")
    con.execute(f"drop table if exists {REJUDGED_TABLE}")
    con.execute(
        f"""
        create or replace table {DELIVERY_SCOPE_TABLE} as
        with delivered_crimes as (select distinct trim(crime_id) as crime_id from raw.crimes where _run_id = $run)
        select 'incident' as record_kind, trim(incident_id) as record_key from raw.incidents where _run_id = $run
        union
        select 'crime', crime_id from delivered_crimes
        union
        select 'incident', incident_id from staging.stg_crime_system__crimes
        where incident_id is not null and crime_id in (select crime_id from delivered_crimes)
        """,
        {"run": run_id},
    )


def drop_delivery_scope(con: duckdb.DuckDBPyConnection) -> None:
    """No scope: dbt re-judges every record (a full refresh, or dbt run by hand on a published file)."""
    for table in (REJUDGED_TABLE, DELIVERY_SCOPE_TABLE):
        con.execute(f"drop table if exists {table}")


scrs_dbt_project.prepare_if_dev()


class _SeedChecksLeftOut(logging.Filter):
    """Drop Dagster's warning that a blocking check on a seed (asset key `reference/...`) emitted no result:
    an incremental run leaves the seeds' own tests out on purpose (seed_only_tests), once per test and run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith("Blocking asset check 'reference/")


logging.getLogger("dagster._core.execution.plan.active").addFilter(_SeedChecksLeftOut())


def seed_only_tests(manifest_path: Path) -> list[str]:
    """The dbt data tests that read nothing but seeds (an incremental run leaves them out, with the seeds)."""
    nodes = json.loads(Path(manifest_path).read_text())["nodes"]
    seeds = {key for key, node in nodes.items() if node["resource_type"] == "seed"}
    return sorted(
        node["name"]
        for node in nodes.values()
        if node["resource_type"] == "test" and node["depends_on"]["nodes"] and set(node["depends_on"]["nodes"]) <= seeds
    )


@dbt_assets(manifest=scrs_dbt_project.manifest_path, project=scrs_dbt_project)
def scrs_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: ScrsWarehouse) -> Iterator:
    """Seeds, staging, rules and marts, built and tested in the run's private build file."""
    settings = warehouse.settings()
    build = prepare_build(settings, context.run_id)
    # dbt re-parses the whole project (about 2.5 s) whenever its profile differs from the last parse, and the
    # profile holds the database path. So dbt works on the build under a name that is the same in every run
    # (a hard link to the run's build file, removed afterwards), and keeps its target folder, with the
    # partial-parse state, per warehouse rather than a new one per run.
    stable = build.path.with_name("dbt.duckdb")
    for stale in (stable, Path(f"{stable}.wal")):
        stale.unlink(missing_ok=True)
    os.link(build.path, stable)
    os.environ["SCRS_DUCKDB_PATH"] = str(stable)
    os.environ["SCRS_DUCKDB_MEMORY_LIMIT"] = memory_limit()  # profiles.yml reads it
    # Unit tests check the SQL's logic, not the data: they run in the test suite (`make test`), not per run.
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(settings.dbt_vars())]
    # One model at a time (`SCRS_DBT_THREADS`, default 1): DuckDB already runs each query on every core, and
    # concurrent models on a national history compete for the cores and the memory limit (make bench: ten
    # years' verdict models took 73 s with 4 dbt threads, 54 s with 1; one year was the same either way).
    args += ["--threads", os.environ.get("SCRS_DBT_THREADS", "1")]
    with build_connection(settings, context.run_id) as con:
        reason = asked_full_refresh(context.run.tags) or full_refresh_reason(
            con, context.run_id, project_checksum(settings.dbt_vars())
        )
        if reason:
            drop_delivery_scope(con)
        else:
            write_delivery_scope(con, context.run_id)
    if reason:
        args.append("--full-refresh")
    else:
        # Incremental: the seeds in the build are those the last build loaded and tested (same project and
        # vars, or this would be a full refresh), so they are neither reloaded nor retested. Every model is
        # rebuilt and tested, with its tests against the seeds; the full set runs on every full refresh.
        args[1:3] = ["--exclude-resource-type", "unit_test", "seed"]
        args += ["--exclude", " ".join(seed_only_tests(scrs_dbt_project.manifest_path))]
    report(
        context,
        "dbt build: staging, rules, marts and data tests"
        + (f" (full refresh: {reason})" if reason else " (incremental: seeds and their own tests as last published)"),
    )
    target = settings.warehouse_dir / ".dbt" / "target"
    (target / "dbt.log").unlink(missing_ok=True)  # dbt appends to it: keep the latest run's only
    try:
        yield from dbt.cli(args, context=context, target_path=target).stream()
        # The scope was this run's only; without it, dbt run by hand re-judges every record (correct, slow).
        # Opening the file also replays dbt's last writes if they were not yet checkpointed.
        with connect(stable) as con:
            drop_delivery_scope(con)
        report(context, "dbt build: done, every data test passed")
    finally:
        # Not on failure: dbt may still hold the file, and opening it would hide dbt's own error behind a lock
        # error. A failed run's build is discarded anyway (runner.run_pipeline).
        stable.unlink(missing_ok=True)
        Path(f"{stable}.wal").unlink(missing_ok=True)


def built_models() -> list[AssetKey]:
    """The dbt assets every run builds: all but the seeds (schema `reference`), which an incremental run
    leaves as last published."""
    seeds = {
        node["name"]
        for node in json.loads(Path(scrs_dbt_project.manifest_path).read_text())["nodes"].values()
        if node["resource_type"] == "seed"
    }
    return [key for key in scrs_dbt_models.keys if not (key.path[0] == "reference" and key.path[-1] in seeds)]
