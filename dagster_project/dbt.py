"""The dbt project as Dagster assets: one `dbt build` (seeds, models, tests) per run, into the run's build."""

import functools
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    Failure,
    Output,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets, get_asset_key_for_model
from dagster_dbt.asset_utils import get_asset_check_key_for_test
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from dagster_project.dbt_plan import (
    NodeOutcome,
    PlannedNode,
    ReplayError,
    load_plan,
    plan_key,
    plan_path,
    record_plan,
    replay,
    replay_enabled,
)
from dagster_project.dbt_project import scrs_dbt_project
from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse
from scrs.db import connect, memory_limit, rows, run, table_exists, value
from scrs.freshness import FULL_REFRESH_ENV, project_checksum
from scrs.publish import build_connection, prepare_build

log = logging.getLogger(__name__)

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

    They take the raw rows loaded since they were built plus each affected key's current built row
    (dbt/macros/staging_helpers.sql). That equals a full rebuild when: they were built by this same dbt project
    and vars (checksum recorded at publication), raw still holds exactly the rows it held then plus this run's,
    and this run's rows were loaded no earlier than the rows already in staging (a clock set back between runs
    would break it)."""
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
        built_until = value(con, f"select max(_loaded_at) from staging.{model}")
        if new and built_until is not None and first_new < built_until:
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
# and the re-judged crimes' rows, the re-judged incidents' and those the crimes link to (remember_rejudged_rows)
REJUDGED_ROW_TABLES = ("meta.rejudged_crime_rows", "meta.rejudged_incident_rows")


def write_delivery_scope(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The records an incremental run re-judges start from these (dbt macro rejudged_keys): the incidents
    and crimes that received raw rows in this run, and the incident each such crime linked to before this
    run, read from staging before dbt rebuilds it (an incident that loses its crime must be re-judged too).
    Keys as staging has them (trimmed)."""
    con.execute("create schema if not exists meta")
    for table in (REJUDGED_TABLE, *REJUDGED_ROW_TABLES):
        con.execute(f"drop table if exists {table}")
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
    for table in (REJUDGED_TABLE, *REJUDGED_ROW_TABLES, DELIVERY_SCOPE_TABLE):
        con.execute(f"drop table if exists {table}")


scrs_dbt_project.prepare_if_dev()


class _ChecksLeftOut(logging.Filter):
    """Drop Dagster's warning that a blocking check emitted no result, for the checks an incremental run leaves
    out on purpose, once per test and run: those on the seeds (asset keys `reference/...`: seed_only_tests),
    those on the models it leaves as published (`left_out`, set per run: nodes_left_out), and those tagged
    full_refresh_only (`checks_left_out`, by check key)."""

    left_out: frozenset[str] = frozenset()
    checks_left_out: frozenset[str] = frozenset()

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.getMessage())
        if not message.startswith("Blocking asset check '"):
            return True
        check = message.removeprefix("Blocking asset check '").split("'", 1)[0]
        asset = check.split(":", 1)[0]
        return not (asset.startswith("reference/") or asset in self.left_out or check in self.checks_left_out)


_checks_left_out = _ChecksLeftOut()
logging.getLogger("dagster._core.execution.plan.active").addFilter(_checks_left_out)


@functools.lru_cache(maxsize=1)  # the manifest in use (a new version replaces it)
def _parsed_manifest(path: str, mtime_ns: int, size: int) -> dict:
    return json.loads(Path(path).read_text())


def read_manifest(path: Path | str) -> dict:
    """dbt's manifest.json, parsed once per version of the file (1.5 MB, about 8 ms to parse, which a run did
    six times). Shared between callers: read it, do not change it."""
    stat = Path(path).stat()
    return _parsed_manifest(str(path), stat.st_mtime_ns, stat.st_size)


def nodes_left_out(con: duckdb.DuckDBPyConnection, run_id: str, manifest_path: Path) -> list[dict]:
    """The models and data tests an incremental run can leave as published: those no source with rows from this
    run reaches (a month's incidents and crimes leave the improvement plan, training and registrar audit
    models alone). The review copy counts as new in every run, since the store changes between runs; seeds and
    vars are those of the last build (else the run is a full refresh). No model reads the clock, so a model whose
    inputs did not change would be rebuilt as it is. Manifest nodes: models in dependency order, then tests."""
    manifest = read_manifest(manifest_path)
    fresh = [
        uid
        for uid, source in manifest["sources"].items()
        if source["schema"] != "raw"
        or (
            table_exists(con, "raw", source["identifier"])
            and value(con, f"select count(*) from raw.{source['identifier']} where _run_id = ?", [run_id])
        )
    ]
    reached: set[str] = set()
    stack = list(fresh)
    while stack:
        for child in manifest["child_map"].get(stack.pop(), []):
            if child not in reached:
                reached.add(child)
                stack.append(child)
    left = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] in ("model", "test")} - reached
    ordered: list[str] = []  # models in dependency order (each after the left-out models it reads), then tests
    pending = sorted(uid for uid in left if manifest["nodes"][uid]["resource_type"] == "model")
    while pending:
        ready = [uid for uid in pending if not set(manifest["nodes"][uid]["depends_on"]["nodes"]) & set(pending)]
        ordered += ready
        pending = [uid for uid in pending if uid not in ready]
    ordered += sorted(uid for uid in left if manifest["nodes"][uid]["resource_type"] == "test")
    return [manifest["nodes"][uid] for uid in ordered]


def failed_tests_reason(database: Path, run_results: Path, manifest_path: Path) -> str | None:
    """One line saying which data tests failed and, for a model's rules test (`column_rules`), which of its
    rules broke on how many rows: the test's own query run again on the build dbt left, before the build is
    discarded. dbt itself reports only "Got N results"; Dagster only the test's name. None when the run's
    results name no failed test (dbt failed for another reason, said in its own error)."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None
    failed = [r for r in results if r["unique_id"].startswith("test.") and r["status"] in ("fail", "error")]
    if not failed:
        return None
    nodes = read_manifest(manifest_path)["nodes"]
    parts = []
    try:
        con = connect(database, read_only=True)
    except duckdb.Error:
        con = None  # dbt still holds it: the tests' names only
    try:
        for result in failed:
            parts.append(f"{_test_label(nodes, result['unique_id'])}: {_failed_test_detail(con, result)}")
    finally:
        if con is not None:
            con.close()
    return f"dbt data test{'s' if len(parts) > 1 else ''} failed: " + "; ".join(parts)


def failed_nodes_reason(run_results: Path) -> str:
    """One line for a dbt build that failed for another reason than a failed data test: the nodes that errored
    with the first line of dbt's message for each (a model's SQL error, say), for the engineer; not the
    exception's class path. The full output stays in the run's log file."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        results = []
    errored = [r for r in results if r.get("status") == "error"]
    if not errored:
        return "the dbt build failed before it reported any node (dbt's own output is in the run's log)"
    parts = []
    for result in errored[:3]:
        # dbt's message opens with "Runtime Error in model <name> (<its file>)"; what went wrong comes next
        lines = [line.strip() for line in str(result.get("message") or "").splitlines() if line.strip()]
        said = [line for line in lines if not re.match(r"\w+ Error in \w+ \S+ \(", line)]
        parts.append(f"{result['unique_id'].split('.')[-1]}: {said[0] if said else 'error'}")
    more = f" (and {len(errored) - 3} more)" if len(errored) > 3 else ""
    return f"the dbt build failed on {len(errored)} node{'s' if len(errored) != 1 else ''}: " + "; ".join(parts) + more


def _failed_test_detail(con: duckdb.DuckDBPyConnection | None, result: dict) -> str:
    """The broken rules with their row counts, else the number of failing rows, or dbt's message for a test
    that could not run."""
    message = " ".join(str(result.get("message") or "").split())
    if result["status"] == "error" or con is None or not result.get("compiled_code"):
        return message or result["status"]
    return test_failure_detail(con, result["compiled_code"], result["unique_id"]) or message or "failed"


def test_failure_detail(con: duckdb.DuckDBPyConnection, compiled_code: str, unique_id: str) -> str | None:
    """A failed data test's own query run again: for a rules test (`column_rules`: rows rule, condition,
    broken_rows) the broken rules with their row counts, else the number of failing rows; None if it cannot
    be run."""
    try:
        cursor = con.execute(compiled_code)
        columns = [d[0] for d in cursor.description]
        found = cursor.fetchall()
    except duckdb.Error as error:
        log.warning("re-running %s for its detail failed: %s", unique_id, error)
        return None
    if columns[:3] == ["rule", "condition", "broken_rows"]:
        broken = [f"{rule} ({n:,} row{'s' if n != 1 else ''})" for rule, _, n in found if n]
        return ", ".join(broken) if broken else None
    return f"{len(found):,} failing row{'s' if len(found) != 1 else ''}"


def _test_label(manifest_nodes: dict, unique_id: str) -> str:
    """A data test's name, with the model it tests when the name does not already say it."""
    node = manifest_nodes.get(unique_id, {})
    attached = (node.get("attached_node") or "").rsplit(".", 1)[-1]
    name = node.get("name", unique_id)
    return f"{name} on {attached}" if attached and attached not in name else name


def seed_only_tests(manifest_path: Path) -> list[str]:
    """The dbt data tests that read nothing but seeds (an incremental run leaves them out, with the seeds)."""
    nodes = read_manifest(manifest_path)["nodes"]
    seeds = {key for key, node in nodes.items() if node["resource_type"] == "seed"}
    return sorted(
        node["name"]
        for node in nodes.values()
        if node["resource_type"] == "test" and node["depends_on"]["nodes"] and set(node["depends_on"]["nodes"]) <= seeds
    )


FULL_REFRESH_ONLY_TAG = "full_refresh_only"


def full_refresh_only_tests(manifest_path: Path) -> dict[str, AssetCheckKey]:
    """The dbt data tests tagged `full_refresh_only`, by name, with their Dagster check keys: tests of what a
    model's SQL guarantees by construction over a view an incremental run cannot scope (each would evaluate
    the whole view again for nothing). They run on every full refresh, the scheduled rebuild included."""
    manifest = read_manifest(manifest_path)
    return {
        node["name"]: get_asset_check_key_for_test(
            manifest, DagsterDbtTranslator(), node["unique_id"], project=scrs_dbt_project
        )
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and FULL_REFRESH_ONLY_TAG in node.get("tags", [])
    }


def dbt_threads(full_refresh: bool) -> str:
    """dbt's `--threads`: `SCRS_DBT_THREADS` when set; otherwise one model at a time on a full refresh and two
    on an incremental run.

    DuckDB already runs each query on every core, and on a full refresh concurrent models over a national
    history compete for the cores and the memory limit (make bench: ten years' verdict models took 73 s with 4
    dbt threads, 54 s with 1). An incremental run is mostly small models and tests, each costing dbt tens of
    milliseconds of its own, which a second thread overlaps with another node's query: a national month
    handed to the runner, alternating pairs on a quiet machine (29 Nov), dbt 5.0-5.6 s with one thread and
    4.2-4.6 s with two onto one year, 12.2-13.7 s and 11.0-12.2 s onto ten years, the runner's peak memory
    the same (2.6 GB at ten years)."""
    return os.environ.get("SCRS_DBT_THREADS") or ("1" if full_refresh else "2")


@dbt_assets(manifest=scrs_dbt_project.manifest_path, project=scrs_dbt_project)
def scrs_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: ScrsWarehouse) -> Iterator:
    """Seeds, staging, rules and marts, built and tested in the run's private build file."""
    settings = warehouse.settings()
    build = prepare_build(settings, context.run.run_id)
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
    # dbt.log at info (each node's start and result, warnings, errors), not debug: the debug log is ~2,000
    # JSON lines (every query, every connection) for a month, 3,400 for a year, and formatting them cost about
    # 1.4 CPU-s of a national month's ~15 (runner CPU, three alternating pairs, 28 Nov). Debug only in the
    # run that records its statements for later runs to replay (dagster_project/dbt_plan.py).
    checksum = project_checksum(settings.dbt_vars())
    plan_file: Path | None = None
    with build_connection(settings, context.run.run_id) as con:
        reason = asked_full_refresh(context.run.tags) or full_refresh_reason(con, context.run.run_id, checksum)
        if reason:
            drop_delivery_scope(con)
            left_out: list[dict] = []
            full_refresh_only: dict[str, AssetCheckKey] = {}
        else:
            write_delivery_scope(con, context.run.run_id)
            left_out = nodes_left_out(con, context.run.run_id, scrs_dbt_project.manifest_path)
            # Incremental: the seeds in the build are those the last build loaded and tested (same project and
            # vars, or this would be a full refresh), so they are neither reloaded nor retested; nor are the
            # models and tests no new rows reach (nodes_left_out), nor the tests tagged full_refresh_only. Every
            # other model is rebuilt and tested, with its tests against the seeds; the full set runs on every
            # full refresh.
            full_refresh_only = full_refresh_only_tests(scrs_dbt_project.manifest_path)
            excluded = (
                seed_only_tests(scrs_dbt_project.manifest_path)
                + sorted(full_refresh_only)
                + [node["name"] for node in left_out]
            )
            # A run of a subset of the assets (chosen in Dagster's UI) runs dbt: dagster-dbt narrows its selection.
            if replay_enabled() and not context.is_subset:
                plan_file = plan_path(settings.dbt_plans_dir, plan_key(con, checksum, excluded))
    args += ["--threads", dbt_threads(full_refresh=bool(reason))]
    if reason:
        args.append("--full-refresh")
    else:
        args[1:3] = ["--exclude-resource-type", "unit_test", "seed"]
        args += ["--exclude", " ".join(excluded)]
    left_out_models = [
        get_asset_key_for_model([scrs_dbt_models], node["name"])
        for node in left_out
        if node["resource_type"] == "model"
    ]
    _checks_left_out.left_out = frozenset(key.to_user_string() for key in left_out_models)
    _checks_left_out.checks_left_out = frozenset(key.to_user_string() for key in full_refresh_only.values())
    kept = f"; {len(left_out_models)} models no new rows reach" if left_out_models else ""
    plan = load_plan(plan_file) if plan_file else None
    report(
        context,
        "dbt build: staging, rules, marts and data tests"
        + (
            f" (full refresh: {reason})"
            if reason
            else f" (incremental: seeds and their own tests as last published{kept}"
            + ("; replaying the statements dbt ran for this selection before" if plan else "")
            + ")"
        ),
    )
    target = settings.dbt_target_dir
    try:
        # The models left as published first, in dependency order: a model dbt rebuilds may read one of them.
        for key in left_out_models:
            yield Output(
                None,
                output_name=context.assets_def.get_output_name_for_asset_key(key),
                metadata={"rebuilt": False, "why": "no source it reads received rows in this run: as published"},
            )
        if plan is not None and plan_file is not None:
            try:
                yield from _replayed(context, stable, plan)
                plan_file.touch()  # in use: the plans kept are the most recently used (KEEP_PLANS)
                return
            except ReplayError as error:
                context.log.warning(
                    f"replaying dbt plan {plan_file.name} failed, rolled back; dbt runs instead: {error}"
                )
                report(context, "dbt build: replaying the recorded statements failed (rolled back); dbt runs instead")
                plan_file.unlink(missing_ok=True)
        recording = plan_file is not None
        args += ["--log-level-file", "debug" if recording else "info", "--log-format-file", "json"]
        (target / "dbt.log").unlink(missing_ok=True)  # dbt appends to it: keep the latest run's only
        # A dbt that dies before writing its results must not leave the last run's for failed_tests_reason to read.
        (target / "run_results.json").unlink(missing_ok=True)
        try:
            yield from dbt.cli(args, context=context, target_path=target).stream()
        except DagsterDbtCliRuntimeError as error:
            reason = failed_tests_reason(
                stable, target / "run_results.json", scrs_dbt_project.manifest_path
            ) or failed_nodes_reason(target / "run_results.json")
            raise Failure(description=reason, metadata={"reason": reason}) from error
        if recording and plan_file is not None:
            manifest = read_manifest(scrs_dbt_project.manifest_path)
            why_not = record_plan(target / "dbt.log", target / "run_results.json", manifest, plan_file)
            if why_not:
                context.log.warning(f"dbt's statements not recorded for replay: {why_not}")
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


def _replayed(context: AssetExecutionContext, stable: Path, plan: list[PlannedNode]) -> Iterator:
    """The recorded statements run on the build (under dbt's name for it, so they read as recorded), then the
    events dbt's run would have given Dagster: each model's output and each data test's check result. A data
    test that fails fails the run as under dbt, with the same detail (failed_tests_reason)."""
    started = time.perf_counter()
    manifest = read_manifest(scrs_dbt_project.manifest_path)
    failure: str | None = None
    with connect(stable) as con:
        outcomes = replay(con, plan)
        if outcomes and outcomes[-1].should_error:
            failed = outcomes[-1].node
            detail = test_failure_detail(con, failed.compiled_code, failed.unique_id) if failed.compiled_code else None
            con.execute("rollback")
            failure = (
                f"dbt data test failed: {_test_label(manifest['nodes'], failed.unique_id)}: "
                f"{detail or f'{outcomes[-1].failures:,} failing rows'}"
            )
        else:
            drop_delivery_scope(con)
    translator = DagsterDbtTranslator()
    selected_checks = context.selected_asset_check_keys
    for outcome in outcomes:
        if outcome.node.resource_type == "model" and failure is None:
            key = get_asset_key_for_model([scrs_dbt_models], outcome.node.unique_id.rsplit(".", 1)[-1])
            yield Output(
                None,
                output_name=context.assets_def.get_output_name_for_asset_key(key),
                metadata={
                    "unique_id": outcome.node.unique_id,
                    "Execution Duration": round(outcome.seconds, 3),
                    "replayed": True,
                },
            )
        elif outcome.node.resource_type == "test":
            yield from _check_result(manifest, translator, outcome, selected_checks)
    if failure is not None:
        raise Failure(description=failure, metadata={"reason": failure})
    models = sum(o.node.resource_type == "model" for o in outcomes)
    slowest = sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:8]
    context.log.info(
        "replayed dbt build, slowest nodes: " + ", ".join(f"{o.node.unique_id} {o.seconds:.2f} s" for o in slowest)
    )
    report(
        context,
        f"dbt build: done, every data test passed ({models} models and {len(outcomes) - models} data tests "
        f"replayed in {time.perf_counter() - started:.1f} s)",
    )


def _check_result(manifest: dict, translator: DagsterDbtTranslator, outcome: NodeOutcome, selected: set) -> Iterator:
    """A replayed data test as dagster-dbt reports a dbt test: an asset check result when the test is one of
    the run's checks (a test on one model), nothing otherwise."""
    key = get_asset_check_key_for_test(manifest, translator, outcome.node.unique_id, project=scrs_dbt_project)
    if key is None or key not in selected:
        return
    status = "fail" if outcome.should_error else "warn" if outcome.should_warn else "pass"
    yield AssetCheckResult(
        passed=status == "pass",
        asset_key=key.asset_key,
        check_name=key.name,
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        metadata={
            "unique_id": outcome.node.unique_id,
            "status": status,
            "dagster_dbt/failed_row_count": outcome.failures,
        },
    )


def built_models() -> list[AssetKey]:
    """The dbt assets every run builds: all but the seeds (schema `reference`), which an incremental run
    leaves as last published."""
    seeds = {
        node["name"]
        for node in read_manifest(scrs_dbt_project.manifest_path)["nodes"].values()
        if node["resource_type"] == "seed"
    }
    return [key for key in scrs_dbt_models.keys if not (key.path[0] == "reference" and key.path[-1] in seeds)]
