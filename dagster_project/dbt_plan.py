"""An incremental dbt build recorded once and replayed: a month's SQL without dbt's cost per node.

Why: at national volume an incremental month's `dbt build` (about 75 models and data tests) spends as long
in dbt as in DuckDB: dbt renders each node's materialization and context in Python (60-70 ms a node) and
runs two nodes at a time, which then compete for the two cores. The same statements run one after another
on one connection take less than half the time (29 Nov, by hand: one year 5.0 s of dbt against 2.3 s;
ten years 12.8-14.5 s against 8.9 s).

How: the SQL of an incremental build depends only on the dbt project and its vars, the installed dbt,
dbt-duckdb and DuckDB, which nodes the run selects, and which relations exist (dbt's `is_incremental()`,
`load_relation`). It does not depend on the rows: which records a run re-judges is read at run time from
`meta.delivery_scope` (dagster_project/dbt.py). So the first incremental run with a given `plan_key` runs
dbt as always, with dbt's debug log, and records every statement dbt ran, node by node, in dbt's order
(`record_plan`); later runs with the same key run those statements themselves (`replay`), in one
transaction, checking each data test as dbt does (`should_error`). A full refresh always runs dbt, and so
does the scheduled weekly rebuild, which is the standing proof that the incremental path equals a full
build (tests/test_incremental.py compares them after replayed runs too).

What is skipped on replay: dbt's own introspection (a model's `select`s on the catalogue, whose answers
only shaped the statements already recorded) and its transaction statements (the replay is one
transaction). A statement that fails rolls the whole replay back; the plan is then deleted and the run
falls back to dbt, which records a new one. `SCRS_DBT_REPLAY=0` turns replay off.
"""

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb

from scrs.db import rows

log = logging.getLogger(__name__)

REPLAY_ENV = "SCRS_DBT_REPLAY"
PLAN_FORMAT = 1
KEEP_PLANS = 4  # plans least recently recorded or replayed (another selection, an earlier release) beyond this go
_TRANSACTION = {"begin", "begin transaction", "commit", "rollback"}


@dataclass(frozen=True)
class PlannedNode:
    """One dbt node as a recorded build ran it: its statements in order (a data test: its one query)."""

    unique_id: str
    resource_type: str  # "model" or "test"
    statements: tuple[str, ...]
    compiled_code: str | None = None  # a test's own query, for the detail of a failure


@dataclass(frozen=True)
class NodeOutcome:
    node: PlannedNode
    seconds: float
    failures: int | None = None  # a test's failing rows
    should_warn: bool = False
    should_error: bool = False


class ReplayError(Exception):
    """A recorded statement failed: the replay was rolled back and the plan is no longer to be trusted."""


def replay_enabled() -> bool:
    return os.environ.get(REPLAY_ENV, "1") != "0"


def plan_key(con: duckdb.DuckDBPyConnection, project_checksum: str, selection: Iterable[str]) -> str:
    """What an incremental build's SQL depends on (see the module's docstring), hashed: the project and vars
    (their checksum), the versions that render and run it, the run's selection (dbt's arguments less those
    that do not change the SQL) and the relations in the build."""
    relations = rows(
        con,
        """
        select schema_name, table_name as name, 'table' as kind from duckdb_tables()
        where database_name = current_database() and not temporary
        union all
        select schema_name, view_name, 'view' from duckdb_views()
        where database_name = current_database() and not temporary and not internal
        order by all
        """,
    )
    payload = {
        "format": PLAN_FORMAT,
        "project": project_checksum,
        "versions": [version("dbt-core"), version("dbt-duckdb"), duckdb.__version__],
        "selection": list(selection),
        "relations": [[r["schema_name"], r["name"], r["kind"]] for r in relations],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def plan_path(plans_dir: Path, key: str) -> Path:
    return plans_dir / f"{key}.json"


def load_plan(path: Path) -> list[PlannedNode] | None:
    """The recorded plan, or None when there is none (or it cannot be read: dbt runs and records again)."""
    try:
        recorded = json.loads(path.read_text())
        if recorded.get("format") != PLAN_FORMAT:
            return None
        return [
            PlannedNode(n["unique_id"], n["resource_type"], tuple(n["statements"]), n.get("compiled_code"))
            for n in recorded["nodes"]
        ]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("dbt plan %s unreadable, dbt runs instead: %s", path, error)
        return None


def record_plan(dbt_log: Path, run_results: Path, manifest: dict, path: Path) -> str | None:
    """Record the build dbt just ran (its debug log) as the plan at `path`. Returns why it was not recorded,
    or None when it was. Nothing is recorded unless every node succeeded, every data test ran exactly one
    query, and every node comes after the nodes it depends on."""
    try:
        events = [json.loads(line) for line in dbt_log.read_text().splitlines() if line.strip()]
        results = {r["unique_id"]: r for r in json.loads(run_results.read_text())["results"]}
    except (OSError, ValueError, KeyError) as error:
        return f"dbt's log or results unreadable: {error}"
    statements: dict[str, list[str]] = {}
    order: list[str] = []
    for event in events:
        name = event["info"]["name"]
        node_info = event["data"].get("node_info") or {}
        unique_id = node_info.get("unique_id", "")
        if name == "NodeStart" and unique_id:
            order.append(unique_id)
            statements.setdefault(unique_id, [])
        elif name == "SQLQuery":
            sql = _without_comment(event["data"]["sql"])
            statements.setdefault(unique_id, []).append(sql)
    if not order:
        return "dbt's log names no node (was it written at debug level?)"
    nodes: list[PlannedNode] = []
    # dbt's set-up before the first node: only its `create schema if not exists` change the build.
    setup = tuple(s for s in statements.get("", []) if _words(s).startswith("create schema "))
    if setup:
        nodes.append(PlannedNode("", "setup", setup))
    seen: set[str] = set()
    for unique_id in order:
        resource_type = unique_id.split(".", 1)[0]
        if resource_type == "exposure":
            continue  # nothing to run: dbt reports it as a no-op
        result = results.get(unique_id)
        if result is None or result["status"] not in ("success", "pass"):
            return f"{unique_id} did not succeed ({result and result['status']})"
        if resource_type not in ("model", "test"):
            return f"{unique_id}: only models and data tests are replayed"
        parents = set(manifest["nodes"].get(unique_id, {}).get("depends_on", {}).get("nodes", []))
        if parents & (set(order) - seen):
            return f"{unique_id} started before a node it depends on finished"
        kept = [s for s in statements[unique_id] if _words(s) not in _TRANSACTION]
        changes = [s for s in kept if not _words(s).startswith("select ")]  # the rest is introspection
        if resource_type == "model":
            kept = changes
        else:
            kept = [s for s in kept if _words(s).startswith("select count(*) as failures")]
            if len(kept) != 1 or changes:
                return f"{unique_id}: a data test should run one query and change nothing"
        nodes.append(
            PlannedNode(
                unique_id, resource_type, tuple(kept), result.get("compiled_code") if resource_type == "test" else None
            )
        )
        seen.add(unique_id)
    payload = {
        "format": PLAN_FORMAT,
        "recorded_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nodes": [
            {
                "unique_id": n.unique_id,
                "resource_type": n.resource_type,
                "statements": list(n.statements),
                "compiled_code": n.compiled_code,
            }
            for n in nodes
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(payload))
    partial.replace(path)
    for old in sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_PLANS:]:
        old.unlink(missing_ok=True)
    return None


def _words(sql: str) -> str:
    """A statement lower-cased with its whitespace collapsed, to tell its kind."""
    return " ".join(sql.split()).lower()


def _without_comment(sql: str) -> str:
    """dbt's statement without the JSON comment it puts first (node id, versions), stripped."""
    text = sql.strip()
    if text.startswith("/*"):
        text = text.split("*/", 1)[-1]
    return text.strip()


def replay(con: duckdb.DuckDBPyConnection, nodes: list[PlannedNode]) -> list[NodeOutcome]:
    """Run the plan's statements in order in one transaction on `con` (the build, opened under the name dbt
    gives it). Commits when every data test passed (or only warned); on a test that should error, stops,
    leaves the transaction open for the caller to read the failure's detail and roll back, and returns the
    outcomes so far, the failed test last. A failing statement rolls back and raises ReplayError."""
    outcomes: list[NodeOutcome] = []
    con.execute("begin transaction")
    for node in nodes:
        started = time.perf_counter()
        try:
            if node.resource_type == "test":
                [failures, should_warn, should_error] = con.execute(node.statements[0]).fetchone()
            else:
                for statement in node.statements:
                    con.execute(statement)
        except duckdb.Error as error:
            con.execute("rollback")
            raise ReplayError(f"{node.unique_id}: {error}") from error
        seconds = time.perf_counter() - started
        if node.resource_type == "test":
            outcome = NodeOutcome(node, seconds, int(failures), bool(should_warn), bool(should_error))
            outcomes.append(outcome)
            if outcome.should_error:
                return outcomes
        elif node.resource_type == "model":
            outcomes.append(NodeOutcome(node, seconds))
    con.execute("commit")
    return outcomes
