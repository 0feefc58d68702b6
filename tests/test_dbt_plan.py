"""Recording and replaying an incremental dbt build (dagster_project/dbt_plan.py), on hand-made dbt logs and a
small DuckDB file. The pipeline's own replayed runs, compared with a full rebuild, are in test_incremental.py."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.dbt_plan import PlannedNode, ReplayError, load_plan, plan_key, record_plan, replay

MODEL, TEST = "model.scrs.counts", "test.scrs.counts_rules.abc"


def event(name: str, unique_id: str = "", sql: str | None = None) -> dict:
    data: dict = {"node_info": {"unique_id": unique_id}} if unique_id else {}
    if sql is not None:
        data["sql"] = f'/* {{"app": "dbt", "node_id": "{unique_id}"}} */\n{sql}'
    return {"info": {"name": name}, "data": data}


def write_run(tmp_path: Path, events: list[dict], statuses: dict[str, str]) -> tuple[Path, Path]:
    log, results = tmp_path / "dbt.log", tmp_path / "run_results.json"
    log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    results.write_text(
        json.dumps(
            {"results": [{"unique_id": u, "status": s, "compiled_code": f"-- {u}"} for u, s in statuses.items()]}
        )
    )
    return log, results


MANIFEST = {"nodes": {MODEL: {"depends_on": {"nodes": []}}, TEST: {"depends_on": {"nodes": [MODEL]}}}}
COUNT_QUERY = (
    "select\n  count(*) as failures,\n  count(*) != 0 as should_warn,\n  count(*) != 0 as should_error from (x)"
)


def a_build() -> list[dict]:
    """What dbt's debug log holds for a table model and its test, with dbt's set-up and introspection."""
    return [
        event("SQLQuery", sql="select schema_name from information_schema.schemata"),
        event("SQLQuery", sql='create schema if not exists "dbt"."marts"'),
        event("NodeStart", MODEL),
        event("SQLQuery", MODEL, "BEGIN"),
        event("SQLQuery", MODEL, "create table marts.counts as select 1 as n"),
        event("SQLQuery", MODEL, "SELECT index_name FROM duckdb_indexes()"),
        event("SQLQuery", MODEL, "COMMIT"),
        event("NodeStart", "exposure.scrs.dashboard"),
        event("NodeStart", TEST),
        event("SQLQuery", TEST, "select table_name from duckdb_constraints()"),
        event("SQLQuery", TEST, COUNT_QUERY),
    ]


def test_a_build_is_recorded_without_dbts_introspection_and_transactions(tmp_path):
    log, results = write_run(tmp_path, a_build(), {MODEL: "success", TEST: "pass", "exposure.scrs.dashboard": "no-op"})
    assert record_plan(log, results, MANIFEST, tmp_path / "plans" / "k.json") is None
    plan = load_plan(tmp_path / "plans" / "k.json")
    assert plan == [
        PlannedNode("", "setup", ('create schema if not exists "dbt"."marts"',)),
        PlannedNode(MODEL, "model", ("create table marts.counts as select 1 as n",)),
        PlannedNode(TEST, "test", (COUNT_QUERY,), f"-- {TEST}"),
    ]


@pytest.mark.parametrize(
    ("events", "statuses", "why"),
    [
        (a_build(), {MODEL: "success", TEST: "fail"}, "did not succeed"),
        (a_build() + [event("SQLQuery", TEST, COUNT_QUERY)], {MODEL: "success", TEST: "pass"}, "one query"),
        (
            [event("NodeStart", TEST), event("SQLQuery", TEST, COUNT_QUERY), event("NodeStart", MODEL)],
            {MODEL: "success", TEST: "pass"},
            "started before a node it depends on",
        ),
        ([event("SQLQuery", sql="select 1")], {}, "names no node"),
    ],
    ids=["a node failed", "a test ran two queries", "out of order", "not a debug log"],
)
def test_a_build_that_cannot_be_replayed_is_not_recorded(tmp_path, events, statuses, why):
    log, results = write_run(tmp_path, events, statuses)
    reason = record_plan(log, results, MANIFEST, tmp_path / "k.json")
    assert reason is not None and why in reason, reason
    assert not (tmp_path / "k.json").exists()


def plan(test_query: str, model_sql: str = "create table marts.counts as select 1 as n") -> list[PlannedNode]:
    return [
        PlannedNode("", "setup", ("create schema if not exists marts",)),
        PlannedNode(MODEL, "model", (model_sql,)),
        PlannedNode(TEST, "test", (test_query,), "select * from marts.counts where n < 0"),
    ]


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]


def test_a_replay_that_passes_commits(tmp_path):
    con = duckdb.connect(str(tmp_path / "dbt.duckdb"))
    outcomes = replay(con, plan("select count(*) as failures, false, false from marts.counts where n < 0"))
    assert [(o.node.unique_id, o.failures, o.should_error) for o in outcomes] == [
        (MODEL, None, False),
        (TEST, 0, False),
    ]
    con.close()
    assert tables(duckdb.connect(str(tmp_path / "dbt.duckdb"))) == ["counts"], "committed"


def test_a_replayed_test_that_fails_stops_with_the_transaction_open_for_its_detail(tmp_path):
    con = duckdb.connect(str(tmp_path / "dbt.duckdb"))
    failing = "select count(*) as failures, count(*) != 0, count(*) != 0 from marts.counts where n > 0"
    outcomes = replay(
        con, plan(failing) + [PlannedNode("model.scrs.after", "model", ("create table later as select 1",))]
    )
    assert (outcomes[-1].node.unique_id, outcomes[-1].failures, outcomes[-1].should_error) == (TEST, 1, True)
    assert tables(con) == ["counts"], "the build as the failed test saw it, and nothing after it"
    con.execute("rollback")
    assert tables(con) == []


def test_a_statement_that_fails_rolls_the_whole_replay_back(tmp_path):
    con = duckdb.connect(str(tmp_path / "dbt.duckdb"))
    bad = plan("select 0, false, false")
    bad.insert(2, PlannedNode("model.scrs.broken", "model", ("insert into no_such_table values (1)",)))
    with pytest.raises(ReplayError, match="model.scrs.broken"):
        replay(con, bad)
    assert (
        tables(con) == []
        and con.execute("select count(*) from duckdb_schemas() where schema_name = 'marts'").fetchone()[0] == 0
    )


def test_the_plan_key_changes_with_what_the_sql_depends_on(tmp_path):
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    key = plan_key(con, "checksum", ["seed_tests"])
    assert plan_key(con, "checksum", ["seed_tests"]) == key, "the same state: the same plan"
    assert plan_key(con, "other", ["seed_tests"]) != key, "another project or vars"
    assert plan_key(con, "checksum", ["seed_tests", "improvement"]) != key, "another selection"
    con.execute("create table t (n int)")
    assert plan_key(con, "checksum", ["seed_tests"]) != key, "another relation (dbt's is_incremental, load_relation)"
    other = duckdb.connect(str(tmp_path / "b.duckdb"))
    other.execute("create table t (n int)")
    assert plan_key(other, "checksum", ["seed_tests"]) == plan_key(con, "checksum", ["seed_tests"]), "not the file name"


def test_only_the_most_recently_used_plans_are_kept(tmp_path):
    """A recording keeps the KEEP_PLANS plans most recently recorded or replayed (a replay touches its plan)."""
    import os

    from dagster_project.dbt_plan import KEEP_PLANS

    log, results = write_run(tmp_path, a_build(), {MODEL: "success", TEST: "pass"})
    plans = tmp_path / "plans"
    for i in range(KEEP_PLANS):
        assert record_plan(log, results, MANIFEST, plans / f"p{i}.json") is None
        os.utime(plans / f"p{i}.json", (1_000 + i, 1_000 + i))
    (plans / "p0.json").touch()  # replayed just now
    assert record_plan(log, results, MANIFEST, plans / "new.json") is None
    assert sorted(p.name for p in plans.glob("*.json")) == sorted(["p0.json", "p2.json", "p3.json", "new.json"])
