"""An incremental run equals a full rebuild (issue 15), on a scripted sequence of deliveries onto a published
warehouse: a record moving quarter and a crime re-linked to another incident (run 1), then a late No Crime
and a re-delivered file (run 2), then three more deliveries of crimes, whose dbt statements run 2 recorded
(dagster_project/dbt_plan.py): the crime re-linked back, replayed (run 3); a recorded statement made to fail,
so dbt runs instead (run 4); a replayed data test made to fail, which publishes nothing (run 5, then taken
out of the landing folder). Each delivery's effect is checked against what the test computes by hand,
then every mart of the incrementally built warehouse must equal, row for row and column for column, a full
rebuild of the same landing folder into an empty warehouse.

The warehouse it starts from is where tests/test_publication.py's runs left it (tests/publication_sequence.py:
a rejected run, a run killed mid-build and a good incremental run after them), so the comparison with the full
rebuild covers those runs too (formerly test_publication.py's own full rebuild, of four compliance marts).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests import extract_factory as xf
from tests.conftest import run_scrs

TS = "%Y-%m-%d %H:%M:%S"
LATE_EXTRACT = "2021-06-01 00:00:00"  # after every extract of the test data (which ends 2021-04)
TEST1_VERDICT = "select is_compliant from intermediate.int_test1_verdicts where incident_id = ?"
MARTS = "select table_name from duckdb_tables() where schema_name = 'marts'"
VERDICT_MODELS = [f"int_{test}_verdicts" for test in ("test1", "test2", "nocrime", "timely72", "cyber")]


def served(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return row[0] if len(row) == 1 else row


def latest_row(landing: Path, kind: str, key: str, value: str) -> dict[str, str]:
    """The record as last delivered, read from the landing CSV files (not from the warehouse)."""
    con = duckdb.connect()
    cur = con.execute(
        f"""select * exclude (filename) from read_csv('{landing}/{kind}_*.csv', all_varchar = true,
                                                     filename = true, header = true)
            where {key} = ? qualify row_number() over (order by extracted_at desc, filename desc) = 1""",
        [value],
    )
    columns = [d[0] for d in cur.description]
    return dict(zip(columns, cur.fetchone(), strict=True))


def fiscal(ts: str) -> tuple[str, int]:
    """Financial year and quarter of a local timestamp, by hand (April starts the year)."""
    t = datetime.strptime(ts, TS)
    start = t.year if t.month >= 4 else t.year - 1
    return f"{start}/{(start + 1) % 100:02d}", (t.month - 4) % 12 // 3 + 1


def shifted(ts: str, days: int) -> str:
    return (datetime.strptime(ts, TS) + timedelta(days=days)).strftime(TS)


def run(landing: Path, warehouse: Path) -> str:
    proc = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


@pytest.fixture(scope="module")
def sequence(publication_sequence, tmp_path_factory) -> dict:
    """The deliveries below, on a copy of where tests/test_publication.py's runs left the landing folder and
    warehouse (tests/publication_sequence.py: a rejected run, a killed one, then a good incremental run)."""
    base = tmp_path_factory.mktemp("incremental")
    landing, warehouse = base / "landing", base / "warehouse"
    shutil.copytree(publication_sequence / "landing", landing)
    shutil.copytree(publication_sequence / "warehouse", warehouse)
    with served(warehouse) as con:
        moved = one(
            con,
            "select incident_id from intermediate.int_test1_verdicts where fiscal_year = '2019/20' "
            "and fiscal_quarter = 1 and event_at < '2019-06-01' order by incident_id limit 1",
        )
        # a crime that is the only one linked to its crime-related incident, and an incident with none
        relinked, old_incident = one(
            con,
            """select c.crime_id, c.incident_id from staging.stg_crime_system__crimes c
               join intermediate.int_test1_verdicts v on v.incident_id = c.incident_id
               where v.fiscal_year = '2020/21' and v.incident_id <> ?
                 and (select count(*) from staging.stg_crime_system__crimes o where o.incident_id = c.incident_id) = 1
               order by c.crime_id limit 1""",
            [moved],
        )
        new_incident = one(
            con,
            "select incident_id from intermediate.int_test1_verdicts where not is_compliant "
            "and fiscal_year = '2020/21' and incident_id not in (?, ?) order by incident_id limit 1",
            [moved, old_incident],
        )
        no_crime = one(
            con,
            """select crime_id from staging.stg_crime_system__crimes c
               join reference.crime_codes k on k.crime_code = c.crime_code
               where c.crime_status = 'RECORDED' and k.victim_based = 'Y' and c.crime_id <> ?
                 and c.recorded_at < '2021-03-01' and coalesce(c.incident_id, '') not in (?, ?, ?)
               order by c.crime_id limit 1""",
            [relinked, moved, old_incident, new_incident],
        )
    ids = {"moved": moved, "relinked": relinked, "old": old_incident, "new": new_incident, "no_crime": no_crime}
    with served(warehouse) as con:
        before_first = {"old": one(con, TEST1_VERDICT, [old_incident]), "new": one(con, TEST1_VERDICT, [new_incident])}

    # Run 1: the incident's creation time corrected into the next quarter; the crime re-linked. (Files named
    # 2099_03 and 2099_04: the publication sequence's good run delivered incidents_ and crimes_2099_02.csv, and a
    # file delivered again under its name with other content would be loaded twice here, once by a rebuild.)
    incident = latest_row(landing, "incidents", "incident_id", moved)
    incident["created_at"] = shifted(incident["created_at"], 92)
    if incident["closed_at"]:
        incident["closed_at"] = shifted(incident["closed_at"], 92)
    incident["extracted_at"] = LATE_EXTRACT
    crime = latest_row(landing, "crimes", "crime_id", relinked)
    crime["incident_id"], crime["extracted_at"] = new_incident, LATE_EXTRACT
    xf.write_incidents(landing / "incidents_2099_03.csv", [incident])
    xf.write_crimes(landing / "crimes_2099_03.csv", [crime])
    # ... and one more update of the improvement plan's first action, four weeks after its last: run 1 rebuilds
    # the improvement models, run 2 (crimes only) leaves them as published (dagster_project.dbt.nodes_left_out).
    update = latest_row(landing, "improvement_updates", "action_id", "1.1")
    update["update_date"] = (datetime.strptime(update["update_date"], "%Y-%m-%d") + timedelta(days=28)).strftime(
        "%Y-%m-%d"
    )
    update["extracted_at"] = shifted(update["extracted_at"], 28)
    with served(warehouse) as con:
        updates_before = one(
            con, "select updates_received from marts.improvement_action_status where action_id = '1.1'"
        )
    (landing / "improvement_updates_2099_03.csv").write_bytes(xf.csv_bytes([update], list(update)))
    first = run(landing, warehouse)
    first_plans = {p.name for p in (warehouse / ".dbt" / "plans").glob("*.json")}
    with served(warehouse) as con:
        after_first = {
            "moved": con.execute(
                "select fiscal_year, fiscal_quarter from intermediate.int_test1_verdicts where incident_id = ?", [moved]
            ).fetchall(),
            "link": one(con, "select incident_id from staging.stg_crime_system__crimes where crime_id = ?", [relinked]),
            "old": one(
                con, "select is_compliant from intermediate.int_test1_verdicts where incident_id = ?", [old_incident]
            ),
            "new": one(
                con, "select is_compliant from intermediate.int_test1_verdicts where incident_id = ?", [new_incident]
            ),
            "updates": (
                updates_before,
                one(con, "select updates_received from marts.improvement_action_status where action_id = '1.1'"),
            ),
        }

    # Run 2: a file delivered again under another name (alone, nothing is new), then with a late No Crime.
    shutil.copyfile(sorted(landing.glob("crimes_2019_*.csv"))[0], landing / "crimes_2019_redelivered.csv")
    again = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse))
    officers = one(
        duckdb.connect(),
        f"""select no_crime_requested_by, no_crime_authorised_by from read_csv('{landing}/crimes_*.csv',
            all_varchar = true) where status = 'NO_CRIME' and no_crime_requested_by <> no_crime_authorised_by
            and no_crime_requested_by <> '' and no_crime_authorised_by <> '' limit 1""",
    )
    late = latest_row(landing, "crimes", "crime_id", no_crime)
    late.update(
        status="NO_CRIME",
        no_crime_at=shifted(late["recorded_at"], 10),
        no_crime_reason="CREDIBLE_INFORMATION",
        no_crime_requested_by=officers[0],
        no_crime_authorised_by=officers[1],
        no_crime_authoriser_role="CRIME_REGISTRAR",
        complainer_informed="Y",
        extracted_at=LATE_EXTRACT,
    )
    xf.write_crimes(landing / "crimes_2099_04.csv", [late])
    second = run(landing, warehouse)
    with served(warehouse) as con:
        after_second = {
            "no_crime": con.execute(
                "select fiscal_year, fiscal_quarter, is_compliant from intermediate.int_nocrime_verdicts "
                "where record_id = ?",
                [no_crime],
            ).fetchall(),
            "files": [r[0] for r in con.execute("select file_name from raw.load_registry").fetchall()],
        }

    # Runs 3-5 deliver crimes only, as run 2 did: the same dbt selection, so they may replay the statements dbt
    # ran in run 2 (dagster_project/dbt_plan.py). Run 3 replays them: the crime re-linked back to its first
    # incident, both incidents re-judged.
    plans = warehouse / ".dbt" / "plans"
    recorded = {p.name: p.read_text() for p in plans.glob("*.json")}
    crime = latest_row(landing, "crimes", "crime_id", relinked)
    crime["incident_id"], crime["extracted_at"] = old_incident, shifted(LATE_EXTRACT, 1)
    xf.write_crimes(landing / "crimes_2099_05.csv", [crime])
    third = run(landing, warehouse)
    with served(warehouse) as con:
        after_third = {
            "link": one(con, "select incident_id from staging.stg_crime_system__crimes where crime_id = ?", [relinked]),
            "old": one(con, TEST1_VERDICT, [old_incident]),
            "new": one(con, TEST1_VERDICT, [new_incident]),
        }
    plans_after_third = {p.name: p.read_text() for p in plans.glob("*.json")}

    # Run 4: a recorded statement that fails (the plan tampered with): the replay is rolled back, dbt runs and
    # records the plan again. The late No Crime delivered again a day later, unchanged.
    [plan_file] = [plans / name for name in recorded if name in plans_after_third and name not in first_plans]
    plan = json.loads(plan_file.read_text())
    model = next(n for n in plan["nodes"] if n["unique_id"] == "model.scrs.int_nocrime_verdicts")
    model["statements"][-1] = "insert into no_such_schema.no_such_table values (1)"
    plan_file.write_text(json.dumps(plan))
    xf.write_crimes(landing / "crimes_2099_06.csv", [{**late, "extracted_at": shifted(LATE_EXTRACT, 2)}])
    fourth = run(landing, warehouse)
    rerecorded = plan_file.read_text()

    # Run 4b: incidents alone (the moved incident delivered again a day later, unchanged). The records it
    # re-judges are listed by stg_crime_system__crimes' post-hooks, so that model is rebuilt after
    # stg_storm__incidents even when no crime arrived.
    xf.write_incidents(landing / "incidents_2099_06.csv", [{**incident, "extracted_at": shifted(LATE_EXTRACT, 2)}])
    incidents_alone = run(landing, warehouse)

    # Run 5: a replayed data test that fails (tampered to find two rows) fails the run as dbt's would, and
    # publishes nothing. Its delivery is then taken out of the landing folder, as an engineer would.
    plan = json.loads(rerecorded)
    test = next(n for n in plan["nodes"] if n["unique_id"].startswith("test.scrs.record_failures_rules"))
    test["statements"] = ["select 2 as failures, true as should_warn, true as should_error"]
    test["compiled_code"] = "select 1 as failing union all select 2"
    plan_file.write_text(json.dumps(plan))
    xf.write_crimes(landing / "crimes_2099_07.csv", [{**late, "extracted_at": shifted(LATE_EXTRACT, 3)}])
    served_before = (warehouse / "warehouse.duckdb").read_bytes()
    fifth = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse))
    served_unchanged = (warehouse / "warehouse.duckdb").read_bytes() == served_before
    (landing / "crimes_2099_07.csv").unlink()
    plan_file.write_text(rerecorded)

    full = base / "full"
    rebuilt = run(landing, full)
    return {
        "ids": ids,
        "incident": incident,
        "late": late,
        "progress": (first, second, rebuilt),
        "again": again,
        "after_first": after_first,
        "after_second": after_second,
        "before_first": before_first,
        "replayed": {
            "progress": (second, third, fourth),
            "incidents_alone": incidents_alone,
            "after_third": after_third,
            "plans": (first_plans, recorded, plans_after_third),
            "rerecorded": rerecorded,
            "fifth": fifth,
            "served_unchanged": served_unchanged,
        },
        "incremental": warehouse,
        "full": full,
    }


def test_each_delivery_did_what_it_says(sequence):
    ids, first, second = sequence["ids"], sequence["after_first"], sequence["after_second"]
    assert first["moved"] == [fiscal(sequence["incident"]["created_at"])], "the incident moved quarter"
    assert first["link"] == ids["new"], "the crime now links to the other incident"
    assert first["new"] is True, "the incident that had no crime now has one"
    assert first["old"] is False, "the incident that lost its only crime now fails TEST1"
    assert first["updates"][1] == first["updates"][0] + 1, "the improvement update delivered with run 1 counts"
    year, quarter = fiscal(sequence["late"]["no_crime_at"])
    assert second["no_crime"] == [(year, quarter, True)], "the late No Crime entered NOCRIME in its quarter"
    assert "crimes_2019_redelivered.csv" not in second["files"]
    assert sequence["again"].returncode == 0 and sequence["again"].stdout.startswith("nothing new")


def test_the_runs_were_incremental(sequence):
    first, second, _ = sequence["progress"]
    for progress in (first, second):
        assert "dbt build:" in progress and "full refresh" not in progress, progress[-2000:]
    # Run 2 delivered crimes only: the other kinds' ingest and quality steps were left out of it.
    assert "ingest crimes:" in second and "quality crimes:" in second, second[-2000:]
    assert "ingest incidents:" not in second and "ingest training:" not in second, second[-2000:]
    assert "ingest improvement_updates:" in first, "run 1 delivered an improvement update"
    # Run 1 delivered an improvement update, run 2 only crimes: run 2 leaves more models as published (the
    # improvement plan's); every mart still equals a full rebuild (test_every_mart_equals_a_full_rebuild).
    left = [int(re.search(r"; (\d+) models no new rows reach", p).group(1)) for p in (first, second)]
    assert 0 < left[0] < left[1], left


def test_the_tests_tagged_full_refresh_only_run_on_a_full_refresh_only(sequence):
    """The two tests of the worklist's per-division views (unique by construction; each evaluates the whole
    worklist) are left out of an incremental dbt build and its recorded plan, and run on a full refresh;
    the worklist's own rules test runs in both."""
    tagged = {"review_open_failures_rules", "review_outcomes_rules"}

    def tests_run(warehouse: Path) -> set[str]:
        results = json.loads((warehouse / ".dbt" / "target" / "run_results.json").read_text())["results"]
        return {r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith("test.")}

    incremental, full = tests_run(sequence["incremental"]), tests_run(sequence["full"])
    assert "worklist_rules" in incremental and "worklist_rules" in full
    assert tagged <= full, full
    assert not tagged & incremental, incremental
    plans = list((sequence["incremental"] / ".dbt" / "plans").glob("*.json"))
    assert plans
    for plan in plans:
        nodes = json.loads(plan.read_text())["nodes"]
        replayed = {n["unique_id"].split(".")[2] for n in nodes if n["unique_id"].startswith("test.")}
        assert "worklist_rules" in replayed and not tagged & replayed, plan.name


def test_every_mart_equals_a_full_rebuild(sequence):
    """Every mart, and the verdicts and counts under them (incremental since issue 15), row for row, after the
    publication sequence's rejected, killed and good runs and these two deliveries. (Other intermediate models
    carry each row's load lineage, which differs between the two builds by design.)"""
    with served(sequence["full"]) as con:
        tables = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() where schema_name = 'marts' "
                "or (schema_name = 'intermediate' and table_name in (?, ?, ?, ?, ?, 'int_compliance_counts'))",
                VERDICT_MODELS,
            ).fetchall()
        ]
    assert {"marts.compliance_by_division_test", "marts.record_failures", "marts.compliance_national_test"} <= set(
        tables
    )
    assert {f"intermediate.{model}" for model in VERDICT_MODELS} <= set(tables)
    results = []
    for warehouse in (sequence["incremental"], sequence["full"]):
        with served(warehouse) as con:
            results.append({t: con.execute(f"select * from {t} order by all").fetchall() for t in tables})
    incremental, rebuilt = results
    for table in tables:
        assert incremental[table] == rebuilt[table], table


def test_incremental_rules_tests_read_the_rebuilt_rows_and_whole_parents(sequence):
    """In an incremental run, a verdict model's rules test (dbt/data-tests/generic/column_rules.sql) reads only the
    records the run re-judged (get_where_subquery, dbt/macros/scoped_tests.sql), but the parent of its
    relationship, the divisions seed, whole: as dbt's own relationships test did."""
    compiled = next((sequence["incremental"] / ".dbt" / "target" / "run").rglob("int_nocrime_verdicts_rules.sql"))
    sql = compiled.read_text()
    scoped = r'\(select \* from "[^"]+"\."intermediate"\."int_nocrime_verdicts" '
    scoped += r"where \(record_id in \(select record_id"
    assert re.search(r"from \(select \* from " + scoped, sql), sql
    assert re.search(r'not exists \(select 1 from "[^"]+"\."reference"\."divisions" as parent where', sql), sql
    # the raw extract's rules (not_null only) read the rows this run loaded: its load time is the newest
    source = next((sequence["incremental"] / ".dbt" / "target" / "run").rglob("crime_system_crimes_rules.sql"))
    loaded = r'where \(_loaded_at >= \(select max\(_loaded_at\) from "[^"]+"\."raw"\."crimes"\)\)'
    assert re.search(loaded, source.read_text()), source.read_text()
    # the one singular test that asks for the scope reads the rebuilt failures; a full refresh reads them all
    name = "assert_failure_reasons_known_and_in_contract_order.sql"
    reasons = next((sequence["incremental"] / ".dbt" / "target" / "run").rglob(name)).read_text()
    assert re.search(r"where \(test_code = 'TEST1' and record_id in \(select record_id from", reasons), reasons
    # incident keys are looked up with their range as well, which DuckDB checks more cheaply than the keys
    # themselves (macro in_keys: references carry their date); crime keys, and an `or` over both, plainly
    test1 = next((sequence["incremental"] / ".dbt" / "target" / "run").rglob("int_test1_verdicts_rules.sql"))
    ranged = r"\(\(record_id in \(select record_id from [^)]+\)\s+and record_id between \(select min\(k\) from"
    assert re.search(ranged, test1.read_text()), test1.read_text()
    assert "between" not in reasons and "between" not in sql, reasons
    full = next((sequence["full"] / ".dbt" / "target" / "run").rglob(name)).read_text()
    assert "rejudged_records" not in full and "record_id in" not in full, full
    # the worklist view's rules test: the re-judged records of either kind, one `in` DuckDB can push into the view
    worklist = next((sequence["incremental"] / ".dbt" / "target" / "run").rglob("worklist_rules.sql")).read_text()
    scoped = r'"marts"\."worklist" where \(record_id in \(select record_id from "[^"]+"\."meta"\."rejudged_records"\)\)'
    assert re.search(scoped, worklist), worklist
    full = next((sequence["full"] / ".dbt" / "target" / "run").rglob("worklist_rules.sql")).read_text()
    assert "rejudged_records" not in full, full


def test_a_later_run_with_the_same_selection_replays_what_dbt_ran(sequence):
    """Run 2 ran dbt and recorded its statements; run 3 (crimes again) replayed them without dbt, recorded
    nothing new, and re-judged both incidents of the crime re-linked back (test_every_mart_equals_a_full_rebuild
    then compares everything with a full rebuild)."""
    second, third, _ = sequence["replayed"]["progress"]
    assert "replaying" not in second, second[-2000:]
    assert "replaying the statements dbt ran for this selection before" in third, third[-2000:]
    assert re.search(r"dbt build: done, every data test passed \(\d+ models and \d+ data tests replayed", third)
    first_plans, recorded, after_third = sequence["replayed"]["plans"]
    assert set(recorded) - first_plans, "run 2 recorded a plan"
    assert after_third == recorded, "run 3 replayed, it did not record"
    ids, before, after = sequence["ids"], sequence["before_first"], sequence["replayed"]["after_third"]
    assert after["link"] == ids["old"], "the crime links to its first incident again"
    assert (after["old"], after["new"]) == (before["old"], before["new"]), "both incidents judged as before run 1"


def test_a_recorded_statement_that_fails_falls_back_to_dbt(sequence):
    _, _, fourth = sequence["replayed"]["progress"]
    assert "replaying the recorded statements failed (rolled back); dbt runs instead" in fourth, fourth[-2000:]
    assert "dbt build: done, every data test passed" in fourth
    assert "no_such_table" not in sequence["replayed"]["rerecorded"], "dbt recorded the plan again"


def test_a_replayed_data_test_that_fails_stops_publication_with_its_reason(sequence):
    fifth = sequence["replayed"]["fifth"]
    assert fifth.returncode == 1, fifth.stderr[-2000:]
    last = fifth.stderr.strip().splitlines()[-1]
    assert "dbt data test failed: record_failures_rules: 2 failing rows" in last, last
    assert "Traceback" not in fifth.stderr
    assert sequence["replayed"]["served_unchanged"], "nothing may be published"


def test_a_delivery_of_incidents_alone_is_judged_incrementally(sequence):
    """No crime arrived: the crimes' staging model still runs (its post-hooks list the re-judged records), and
    test_every_mart_equals_a_full_rebuild covers the result."""
    progress = sequence["replayed"]["incidents_alone"]
    assert "ingest incidents:" in progress and "ingest crimes:" not in progress, progress[-2000:]
    assert "dbt build:" in progress and "full refresh" not in progress, progress[-2000:]
