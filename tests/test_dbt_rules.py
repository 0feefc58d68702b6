"""The dbt project's SCRS rules, end to end, on a hand-built raw layer.

One `dbt build --selector compliance` (module-scoped fixture) runs over a temporary DuckDB file whose raw
tables are created by hand (docs/architecture.md types) with the awkward cases: clock changes, fiscal
boundaries, later extracts that change a record, every No Crime reason, TEST2's fallback to the initial
type, and crafted populations for the Wilson check values of docs/domain.md. The marts are then compared
with values worked out by hand. `dbt parse` must also work with no raw tables at all.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from scrs.reconcile import snapshot_into_build
from scrs.reviews import ReviewStore
from tests.dbt_helpers import DBT_PROJECT_DIR, REPO_ROOT, create_raw_schema, fetch_dicts, insert_rows, run_dbt

Z = 1.959964
DB_NAME = "scrs-rules-test.duckdb"  # a hyphen in the name: the database name must be quoted

# ----------------------------------------------------------------------------------------------- data
EXTRACT_1 = "2021-06-01 00:00:00"  # the current extract for most rows
EXTRACT_0 = "2021-05-02 00:00:00"  # an older extract, superseded


def incident(incident_id: str, division: str, created_at: str, disposal: str | None, **extra) -> dict:
    row = {
        "incident_id": incident_id,
        "division_code": division,
        "created_at": created_at,
        "grade": "PROMPT",
        "channel": "999",
        "initial_type_code": "ASSAULT",
        "final_type_code": "ASSAULT",
        "closed_at": None if disposal is None else created_at,
        "disposal_code": disposal,
        "closing_unit": None if disposal is None else "LOCAL_POLICING",
        "cyber_flag": "N",
        "extracted_at": EXTRACT_1,
    }
    row.update(extra)
    return row


def crime(crime_id: str, division: str, reported_at: str, recorded_at: str, **extra) -> dict:
    row = {
        "crime_id": crime_id,
        "incident_id": None,
        "division_code": division,
        "reported_at": reported_at,
        "recorded_at": recorded_at,
        "crime_code": "0301",
        "recording_unit": "LOCAL_POLICING",
        "cyber_marker": "N",
        "status": "RECORDED",
        "source_system": "LEGACY",
        "extracted_at": EXTRACT_1,
    }
    row.update(extra)
    return row


VALID_NO_CRIME = {
    "status": "NO_CRIME",
    "no_crime_at": "2021-05-20 10:00:00",
    "no_crime_reason": "CREDIBLE_INFORMATION",
    "no_crime_requested_by": "P-A",
    "no_crime_authorised_by": "P-B",
    "no_crime_authoriser_role": "CRIME_REGISTRAR",
    "complainer_informed": "Y",
}


def no_crime(crime_id: str, **changes) -> dict:
    """A NO_CRIME crime in division P (victim-based 0301), valid unless `changes` break a rule."""
    return crime(crime_id, "P", "2021-05-01 10:00:00", "2021-05-01 11:00:00", **{**VALID_NO_CRIME, **changes})


def wilson_population(prefix: str, division: str, examined: int, compliant: int) -> list[dict]:
    """TIMELY72-only crimes (no incident) reported in 2020/21 Q3: `compliant` in 1 h, the rest in 100 h."""
    rows = []
    for n in range(examined):
        hours_late = 1 if n < compliant else 100
        reported = f"2020-11-{1 + n % 28:02d} 08:00:00"
        recorded = duckdb.sql(
            f"select strftime(timestamp '{reported}' + interval {hours_late} hour, '%Y-%m-%d %H:%M:%S')"
        ).fetchall()[0][0]
        rows.append(crime(f"{prefix}-{n:03d}", division, reported, recorded))
    return rows


INCIDENTS = [
    # TEST1: linked by a NO_CRIME crime of another division (K) -> compliant (any status, any division)
    incident("INC-T1-LINKED", "G", "2021-01-15 10:00:00", "SC01"),
    # TEST1: no crime -> CRIME_NOT_RECORDED; the last second of 2020/21 Q4 and the first of 2021/22 Q1
    incident("INC-T1-MISSING", "G", "2021-03-31 23:59:59", "SC01"),
    incident("INC-T1-APR", "G", "2021-04-01 00:00:00", "SC01"),
    # TEST1: NC01 in an older extract, SC01 in the current one -> examined (fails: no crime)
    incident("INC-T1-HIST", "G", "2021-01-20 10:00:00", "NC01", extracted_at=EXTRACT_0),
    incident("INC-T1-HIST", "G", "2021-01-20 10:00:00", "SC01"),
    # SC01 in an older extract, NC02 now -> not examined
    incident("INC-T1-REVERSED", "G", "2021-01-21 10:00:00", "SC01", extracted_at=EXTRACT_0),
    incident("INC-T1-REVERSED", "G", "2021-01-21 10:00:00", "NC02"),
    # not crime related, or still open -> not examined
    incident("INC-NC", "G", "2021-01-22 10:00:00", "NC02"),
    incident("INC-OPEN", "G", "2021-01-23 10:00:00", None, final_type_code=None),
    # TEST2: no final type -> initial THEFT; and a final type THEFT overriding initial ASSAULT
    incident("INC-T2-FALLBACK", "G", "2021-05-10 09:00:00", "SC01", initial_type_code="THEFT", final_type_code=None),
    incident(
        "INC-T2-FINAL",
        "G",
        "2021-05-11 09:00:00",
        "SC01",
        initial_type_code="ASSAULT",
        final_type_code="THEFT",
    ),
    # CYBER: flagged incident, disposal not crime related (any disposal counts)
    incident("INC-CY", "E", "2021-05-12 09:00:00", "NC02", cyber_flag="Y", initial_type_code="FRAUD"),
]

CRIMES = [
    crime(
        "CR-T1-K",
        "K",
        "2021-01-15 10:30:00",
        "2021-01-15 11:00:00",
        incident_id="INC-T1-LINKED",
        crime_code="0110",
        **{**VALID_NO_CRIME, "no_crime_at": "2021-02-01 09:00:00"},
    ),
    crime(
        "CR-T2-OK",
        "G",
        "2021-05-10 09:30:00",
        "2021-05-10 10:00:00",
        incident_id="INC-T2-FALLBACK",
        crime_code="0340",
    ),
    crime(
        "CR-T2-BAD",
        "G",
        "2021-05-10 09:30:00",
        "2021-05-10 10:00:00",
        incident_id="INC-T2-FALLBACK",
        crime_code="0110",
    ),
    crime(
        "CR-T2-FINAL",
        "G",
        "2021-05-11 09:30:00",
        "2021-05-11 10:00:00",
        incident_id="INC-T2-FINAL",
        crime_code="0110",
    ),
    crime("CR-CY-NO", "E", "2021-05-12 09:30:00", "2021-05-12 10:00:00", incident_id="INC-CY", crime_code="0330"),
    crime(
        "CR-CY-YES",
        "E",
        "2021-05-12 09:30:00",
        "2021-05-12 10:00:00",
        incident_id="INC-CY",
        crime_code="0330",
        cyber_marker="Y",
    ),
    # NOCRIME: RECORDED in an older extract, NO_CRIME (with an invalid reason) in the current one
    crime("CR-NC-HIST", "P", "2021-05-01 10:00:00", "2021-05-01 11:00:00", extracted_at=EXTRACT_0),
    no_crime("CR-NC-HIST", no_crime_reason="bogus"),
    # NO_CRIME in an older extract, RECORDED again now -> not examined
    no_crime("CR-NC-REVERTED", no_crime_reason=None, extracted_at=EXTRACT_0),
    crime("CR-NC-REVERTED", "P", "2021-05-01 10:00:00", "2021-05-01 11:00:00"),
    no_crime("CR-NC-OK"),
    no_crime("CR-NC-OK-TRIM", no_crime_reason="  OUT_OF_JURISDICTION "),
    no_crime("CR-NC-OK-NONVICTIM", crime_code="0501", no_crime_reason="PROCEDURAL_ERROR", complainer_informed=None),
    no_crime("CR-NC-INVALID", no_crime_reason="credible_information"),
    no_crime("CR-NC-PROC", no_crime_reason="PROCEDURAL_ERROR"),
    no_crime("CR-NC-MISSING", no_crime_requested_by=None),
    no_crime("CR-NC-SELF", no_crime_authorised_by="P-A"),
    no_crime("CR-NC-ROLE", no_crime_authoriser_role="SUPERVISOR"),
    no_crime("CR-NC-COMPL", complainer_informed="N"),
    no_crime(
        "CR-NC-ALL4",
        no_crime_reason="WHATEVER",
        no_crime_requested_by=None,
        no_crime_authoriser_role="OTHER",
        complainer_informed="N",
    ),
    no_crime(
        "CR-NC-PROC4",
        no_crime_reason="PROCEDURAL_ERROR",
        no_crime_authorised_by="P-A",
        no_crime_authoriser_role="SUPERVISOR",
        complainer_informed=None,
    ),
    # TIMELY72 across clock changes and at the limit (division U, no incident)
    crime("CR-TM-SPRING", "U", "2021-03-27 10:00:00", "2021-03-30 10:30:00"),  # 71.5 h real
    crime("CR-TM-AUTUMN", "U", "2020-10-24 12:00:00", "2020-10-27 11:30:00"),  # 72.5 h real
    crime("CR-TM-EXACT", "U", "2021-06-01 09:00:00", "2021-06-04 09:00:00"),  # 72:00:00
    crime("CR-TM-OVER", "U", "2021-06-01 09:00:00", "2021-06-04 09:00:01"),  # 72:00:01
    # Wilson check values, TIMELY72 in 2020/21 Q3
    *wilson_population("CR-WA", "A", 133, 111),
    *wilson_population("CR-WE", "E", 100, 96),
    *wilson_population("CR-WN", "N", 10, 10),
    *wilson_population("CR-WC", "C", 10, 0),
]


def training(staff: str, course: str, status: str, extracted_at: str, completed_on: str | None = None) -> dict:
    """A training row of unit G's frontline, assigned on 4 January 2021."""
    row = {
        "staff_pseudonym": staff,
        "unit_code": "G",
        "role_cluster": "FRONTLINE",
        "course_code": course,
        "status": status,
        "assigned_on": "2021-01-04",
        "extracted_at": f"{extracted_at} 00:00:00",
    }
    return row if completed_on is None else {**row, "completed_on": completed_on}


TRAINING = [
    training("P-1", "SCRS_TUTOR", "ASSIGNED", "2021-01-31"),
    training("P-1", "SCRS_TUTOR", "COMPLETED", "2021-04-30", completed_on="2021-03-01"),
    training("P-2", "SCRS_TUTOR", "IN_PROGRESS", "2021-04-30"),
    training("P-3", "SCRS_TUTOR", "ASSIGNED", "2021-04-30"),
    training("P-1", "COS_CRIME", "COMPLETED", "2021-04-30", completed_on="2021-02-01"),
]

# Every failing record outside the Wilson populations, with its reasons in the contract's order.
EXPECTED_FAILURES = {
    ("TEST1", "INC-T1-MISSING"): "CRIME_NOT_RECORDED",
    ("TEST1", "INC-T1-APR"): "CRIME_NOT_RECORDED",
    ("TEST1", "INC-T1-HIST"): "CRIME_NOT_RECORDED",
    ("TEST2", "CR-T2-BAD"): "WRONG_CLASSIFICATION",
    ("TEST2", "CR-T2-FINAL"): "WRONG_CLASSIFICATION",
    ("CYBER", "CR-CY-NO"): "CYBER_MARKER_MISSING",
    ("NOCRIME", "CR-NC-HIST"): "INVALID_REASON",
    ("NOCRIME", "CR-NC-INVALID"): "INVALID_REASON",
    ("NOCRIME", "CR-NC-PROC"): "PROCEDURAL_ERROR_ON_VICTIM_CRIME",
    ("NOCRIME", "CR-NC-MISSING"): "MISSING_REQUESTER_OR_AUTHORISER",
    ("NOCRIME", "CR-NC-SELF"): "SELF_AUTHORISED",
    ("NOCRIME", "CR-NC-ROLE"): "UNAUTHORISED_ROLE",
    ("NOCRIME", "CR-NC-COMPL"): "COMPLAINER_NOT_INFORMED",
    ("NOCRIME", "CR-NC-ALL4"): (
        "INVALID_REASON;MISSING_REQUESTER_OR_AUTHORISER;UNAUTHORISED_ROLE;COMPLAINER_NOT_INFORMED"
    ),
    ("NOCRIME", "CR-NC-PROC4"): (
        "PROCEDURAL_ERROR_ON_VICTIM_CRIME;SELF_AUTHORISED;UNAUTHORISED_ROLE;COMPLAINER_NOT_INFORMED"
    ),
    ("TIMELY72", "CR-TM-AUTUMN"): "NOT_RECORDED_WITHIN_72H",
    ("TIMELY72", "CR-TM-OVER"): "NOT_RECORDED_WITHIN_72H",
}

# The figure columns every compliance mart ends with (contract section 4).
FIGURE_COLUMNS = ["examined", "compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "status"]
MART_COLUMNS = {
    "compliance_by_division_test": [
        "fiscal_year", "fiscal_quarter", "division_code", "division_name", "command_area", "test_code",
        *FIGURE_COLUMNS,
    ],
    "compliance_by_command_area_test": ["fiscal_year", "fiscal_quarter", "command_area", "test_code", *FIGURE_COLUMNS],
    "compliance_national_test": ["fiscal_year", "fiscal_quarter", "test_code", *FIGURE_COLUMNS],
    "record_failures": [
        "test_code", "record_id", "division_code", "fiscal_year", "fiscal_quarter", "event_date", "failure_reasons",
        "incident_id", "crime_id", "incident_type_code", "disposal_code", "closing_unit", "crime_code",
        "crime_category", "recording_unit", "reported_at", "recorded_at", "hours_to_record", "status",
        "no_crime_reason", "no_crime_authoriser_role", "complainer_informed", "source_system",
    ],
    "training_coverage": [
        "unit_code", "role_cluster", "course_code", "people", "assigned", "in_progress", "completed", "completion_pct",
    ],
}  # fmt: skip


def wilson(compliant: int, examined: int) -> tuple[float, float]:
    """Wilson score interval in percent (an independent Python version of the dbt macro)."""
    p = compliant / examined
    denom = 1 + Z * Z / examined
    centre = p + Z * Z / (2 * examined)
    margin = Z * math.sqrt(p * (1 - p) / examined + Z * Z / (4 * examined * examined))
    return max(0.0, 100 * (centre - margin) / denom), min(100.0, 100 * (centre + margin) / denom)


def expected_figures(compliant: int, examined: int, target: float = 95.0) -> dict:
    lower, upper = wilson(compliant, examined)
    status = "meets" if lower >= target else "below" if upper < target else "not_distinguishable"
    return {
        "examined": examined,
        "compliant": compliant,
        "compliance_pct": round(100 * compliant / examined, 2),
        "ci_lower_pct": round(lower, 2),
        "ci_upper_pct": round(upper, 2),
        "status": status,
    }


# -------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def dbt_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the compliance selection once over the hand-built raw layer; the work dir (database, target/)."""
    work = tmp_path_factory.mktemp("dbt_rules")
    db_path = work / DB_NAME
    con = duckdb.connect(str(db_path))
    create_raw_schema(con)
    insert_rows(con, "incidents", INCIDENTS)
    insert_rows(con, "crimes", CRIMES)
    insert_rows(con, "training", TRAINING)
    con.close()
    # The review store's copy (empty here) that the worklist views join (docs/worklist.md).
    snapshot_into_build(ReviewStore(work / "state" / "reviews.sqlite"), db_path, "dbt-rules")

    result = run_dbt(["build", "--selector", "compliance"], db_path, work, reuse_parse=True)
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
    print(f"dbt build (compliance selection) took {result.seconds:.1f} s")
    return work


@pytest.fixture(scope="module")
def warehouse(dbt_work: Path):
    """A read-only connection to the built compliance selection."""
    ro = duckdb.connect(str(dbt_work / DB_NAME), read_only=True)
    yield ro
    ro.close()


def dbt_artifact(dbt_work: Path, name: str) -> dict:
    """An artifact of the fixture's build (manifest.json: the whole project; run_results.json: what ran)."""
    return json.loads((dbt_work / "target" / name).read_text())


def mart(con: duckdb.DuckDBPyConnection, name: str, where: str = "true") -> list[dict]:
    return fetch_dicts(con, f"select * from marts.{name} where {where}")


def one(rows: list[dict]) -> dict:
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.dbt
def test_dbt_parse_needs_no_raw_tables(tmp_path: Path) -> None:
    result = run_dbt(["parse"], tmp_path / "absent.duckdb", tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert not (tmp_path / "absent.duckdb").exists()


def test_schemas_and_mart_columns_in_contract_order(warehouse) -> None:
    schemas = {r["schema_name"] for r in fetch_dicts(warehouse, "select schema_name from information_schema.schemata")}
    assert {"raw", "reference", "staging", "intermediate", "marts"} <= schemas
    for table, columns in MART_COLUMNS.items():
        actual = [
            r["column_name"]
            for r in fetch_dicts(
                warehouse,
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position",
                [table],
            )
        ]
        assert actual == columns, table


def test_seed_codes_keep_their_form(warehouse) -> None:
    codes = {r["crime_code"]: r for r in fetch_dicts(warehouse, "select * from reference.crime_codes")}
    assert codes["0101"]["legacy_group"] == "1"
    assert codes["0901"]["legacy_group"] == "COVID"
    channels = [r["channel"] for r in fetch_dicts(warehouse, "select channel from reference.channels")]
    assert "999" in channels and "101" in channels


def test_dbt_vars_agree_with_settings() -> None:
    from scrs.settings import Settings

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    defaults = Settings(landing_dir=REPO_ROOT, warehouse_dir=REPO_ROOT)
    assert project["vars"]["compliance_target_pct"] == defaults.compliance_target_pct
    assert project["vars"]["timely_limit_hours"] == defaults.timely_limit_hours
    assert project["vars"]["disclosure_min_records"] == defaults.disclosure_min_records
    assert project["vars"]["wilson_z"] == Z


def test_staging_takes_the_latest_extract(warehouse) -> None:
    crimes = {r["crime_id"]: r for r in fetch_dicts(warehouse, "select * from staging.stg_crime_system__crimes")}
    assert crimes["CR-NC-HIST"]["crime_status"] == "NO_CRIME"
    assert crimes["CR-NC-REVERTED"]["crime_status"] == "RECORDED"
    incidents = {r["incident_id"]: r for r in fetch_dicts(warehouse, "select * from staging.stg_storm__incidents")}
    assert incidents["INC-T1-HIST"]["disposal_code"] == "SC01"
    assert incidents["INC-T1-REVERSED"]["disposal_code"] == "NC02"
    assert len(crimes) == len({c["crime_id"] for c in CRIMES})
    assert len(incidents) == len({i["incident_id"] for i in INCIDENTS})


def test_every_failure_reason_in_record_failures(warehouse) -> None:
    rows = mart(warehouse, "record_failures", "record_id not like 'CR-W%'")
    actual = {(r["test_code"], r["record_id"]): r["failure_reasons"] for r in rows}
    assert actual == EXPECTED_FAILURES


def test_record_failures_carry_what_a_crime_manager_needs(warehouse) -> None:
    rows = {(r["test_code"], r["record_id"]): r for r in mart(warehouse, "record_failures")}
    autumn = rows[("TIMELY72", "CR-TM-AUTUMN")]
    assert autumn["hours_to_record"] == 72.5
    assert (autumn["division_code"], autumn["fiscal_year"], autumn["fiscal_quarter"]) == ("U", "2020/21", 3)
    over = rows[("TIMELY72", "CR-TM-OVER")]
    assert over["hours_to_record"] == 72.0  # 72:00:01, rounded for display, still a failure
    wrong = rows[("TEST2", "CR-T2-BAD")]
    assert (wrong["incident_id"], wrong["incident_type_code"], wrong["crime_category"]) == (
        "INC-T2-FALLBACK",
        "THEFT",
        "VIOLENCE",
    )
    assert wrong["disposal_code"] == "SC01"
    assert rows[("TEST2", "CR-T2-FINAL")]["incident_type_code"] == "THEFT"
    nocrime = rows[("NOCRIME", "CR-NC-HIST")]
    assert (nocrime["status"], nocrime["no_crime_reason"], nocrime["event_date"].isoformat()) == (
        "NO_CRIME",
        "bogus",
        "2021-05-20",
    )
    assert nocrime["hours_to_record"] == 1.0  # every crime's hours, whatever test it fails
    missing = rows[("TEST1", "INC-T1-MISSING")]
    assert (missing["fiscal_year"], missing["fiscal_quarter"], missing["crime_id"]) == ("2020/21", 4, None)
    april = rows[("TEST1", "INC-T1-APR")]
    assert (april["fiscal_year"], april["fiscal_quarter"]) == ("2021/22", 1)
    cyber = rows[("CYBER", "CR-CY-NO")]
    assert (cyber["division_code"], cyber["disposal_code"]) == ("E", "NC02")


def test_clock_changes_and_the_72_hour_limit(warehouse) -> None:
    verdicts = {
        r["record_id"]: r
        for r in fetch_dicts(
            warehouse, "select * from intermediate.int_timely72_verdicts where record_id like 'CR-TM%'"
        )
    }
    assert verdicts["CR-TM-SPRING"]["hours_to_record"] == 71.5 and verdicts["CR-TM-SPRING"]["is_compliant"]
    assert verdicts["CR-TM-AUTUMN"]["hours_to_record"] == 72.5 and not verdicts["CR-TM-AUTUMN"]["is_compliant"]
    assert verdicts["CR-TM-EXACT"]["seconds_to_record"] == 72 * 3600 and verdicts["CR-TM-EXACT"]["is_compliant"]
    assert verdicts["CR-TM-OVER"]["seconds_to_record"] == 72 * 3600 + 1
    assert not verdicts["CR-TM-OVER"]["is_compliant"]


@pytest.mark.parametrize(
    ("division", "compliant", "examined", "lower", "upper"),
    [
        ("A", 111, 133, 76.22, 88.82),
        ("E", 96, 100, 90.16, 98.43),
        ("N", 10, 10, 72.25, 100.00),
        ("C", 0, 10, 0.00, 27.75),
    ],
)
def test_wilson_check_values_by_division(warehouse, division, compliant, examined, lower, upper) -> None:
    row = one(
        mart(
            warehouse,
            "compliance_by_division_test",
            "test_code = 'TIMELY72' and fiscal_year = '2020/21' and fiscal_quarter = 3 "
            f"and division_code = '{division}'",
        )
    )
    assert (row["examined"], row["compliant"]) == (examined, compliant)
    assert (row["ci_lower_pct"], row["ci_upper_pct"]) == (lower, upper)
    assert row["compliance_pct"] == round(100 * compliant / examined, 2)
    if division == "A":
        assert row["compliance_pct"] == 83.46
    assert row["status"] == expected_figures(compliant, examined)["status"]


def test_division_rows_per_quarter_and_test(warehouse) -> None:
    rows = {
        (r["fiscal_year"], r["fiscal_quarter"], r["division_code"], r["test_code"]): r
        for r in mart(warehouse, "compliance_by_division_test")
    }
    expected = {
        ("2020/21", 4, "G", "TEST1"): (1, 3),  # LINKED passes; MISSING (31 Mar 23:59:59) and HIST fail
        ("2021/22", 1, "G", "TEST1"): (2, 3),  # APR (1 Apr 00:00:00) fails; FALLBACK and FINAL pass
        ("2020/21", 4, "K", "TEST2"): (1, 1),  # crime's division, dated by the incident
        ("2021/22", 1, "G", "TEST2"): (1, 3),
        ("2020/21", 4, "K", "NOCRIME"): (1, 1),
        ("2021/22", 1, "P", "NOCRIME"): (3, 12),  # OK, OK-TRIM, OK-NONVICTIM pass
        ("2021/22", 1, "E", "CYBER"): (1, 2),
        ("2020/21", 4, "U", "TIMELY72"): (1, 1),  # spring clock change
        ("2020/21", 3, "U", "TIMELY72"): (0, 1),  # autumn clock change
        ("2021/22", 1, "U", "TIMELY72"): (1, 2),  # exactly 72 h passes, 72 h + 1 s fails
    }
    for key, (compliant, examined) in expected.items():
        row = rows[key]
        assert (row["compliant"], row["examined"]) == (compliant, examined), key
        figures = expected_figures(compliant, examined)
        assert {k: row[k] for k in figures} == figures, key
    assert rows[("2020/21", 4, "G", "TEST1")]["division_name"] == "Greater Glasgow"
    assert rows[("2020/21", 4, "G", "TEST1")]["command_area"] == "West"
    assert ("2020/21", 4, "G", "CYBER") not in rows  # no row without examined records
    # INC-T1-REVERSED, INC-NC and INC-OPEN are not examined: G's TEST1 rows hold 3 + 3 incidents only
    assert sum(r["examined"] for k, r in rows.items() if k[2] == "G" and k[3] == "TEST1") == 6


def test_command_area_and_national_roll_up(warehouse) -> None:
    where = "test_code = 'TIMELY72' and fiscal_year = '2020/21' and fiscal_quarter = 3"
    areas = {r["command_area"]: r for r in mart(warehouse, "compliance_by_command_area_test", where)}
    expected_areas = {"North": (121, 143), "East": (96, 110), "West": (0, 1)}  # A+N, E+C, U (autumn)
    assert set(areas) == set(expected_areas)
    for area, (compliant, examined) in expected_areas.items():
        figures = expected_figures(compliant, examined)
        assert {k: areas[area][k] for k in figures} == figures, area
    national = one(mart(warehouse, "compliance_national_test", where))
    figures = expected_figures(217, 254)
    assert {k: national[k] for k in figures} == figures

    # every area and national row is the sum of its divisions
    sums = fetch_dicts(
        warehouse,
        """
        select
            (select sum(examined) from marts.compliance_by_division_test) as divisions,
            (select sum(examined) from marts.compliance_by_command_area_test) as areas,
            (select sum(examined) from marts.compliance_national_test) as nation
        """,
    )[0]
    assert sums["divisions"] == sums["areas"] == sums["nation"]


def test_training_coverage_from_current_state(warehouse) -> None:
    rows = {(r["unit_code"], r["role_cluster"], r["course_code"]): r for r in mart(warehouse, "training_coverage")}
    tutor = rows[("G", "FRONTLINE", "SCRS_TUTOR")]
    assert (tutor["people"], tutor["assigned"], tutor["in_progress"], tutor["completed"]) == (3, 1, 1, 1)
    assert tutor["completion_pct"] == 33.33
    cos = rows[("G", "FRONTLINE", "COS_CRIME")]
    assert (cos["people"], cos["completed"], cos["completion_pct"]) == (1, 1, 100.0)


# ------------------------------------------------------------------------- selectors and exposures
def dbt_relations_read(paths: list[Path], manifest: dict) -> set[str]:
    """The dbt-built relations (`schema.name`) that the Python files under `paths` name in their SQL."""
    built = {
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }
    files = [f for p in paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    named = {
        f"{schema}.{name}".lower()
        for f in files
        for schema, name in re.findall(r"\b(marts|reference|intermediate|staging)\.(\w+)", f.read_text())
    }
    return named & built


def exposure_relations(manifest: dict, exposure: str) -> set[str]:
    nodes = manifest["exposures"][f"exposure.scrs.{exposure}"]["depends_on"]["nodes"]
    return {f"{manifest['nodes'][n]['schema']}.{manifest['nodes'][n]['alias']}" for n in nodes}


def test_exposures_name_every_relation_the_dashboard_and_exports_read(dbt_work: Path) -> None:
    manifest = dbt_artifact(dbt_work, "manifest.json")
    dashboard = dbt_relations_read([REPO_ROOT / "streamlit_app"], manifest)
    exports = dbt_relations_read([REPO_ROOT / "scrs" / "export.py"], manifest)
    # the reader names the marts it serves: a grep that finds nothing would make this test pass vacuously
    assert {"marts.compliance_national_test", "marts.record_failures", "reference.divisions"} <= dashboard
    assert {"marts.compliance_by_division_test", "marts.record_failures"} <= exports

    assert dashboard <= exposure_relations(manifest, "scrs_compliance_dashboard")
    packs = exposure_relations(manifest, "scrs_division_export") | exposure_relations(manifest, "scrs_committee_pack")
    assert exports <= packs
    # the committee gets no record-level data (contract section 5)
    assert "marts.record_failures" not in exposure_relations(manifest, "scrs_committee_pack")


def test_compliance_selector_builds_exactly_what_the_compliance_marts_need(dbt_work: Path) -> None:
    """The selection: every model the five marts and the worklist marts (docs/worklist.md) are built from,
    the reference seeds of contract section 2 (seeds/_seeds.yml) and the worklist's words
    (seeds/_review_seeds.yml), nothing of the improvement plan."""
    manifest = dbt_artifact(dbt_work, "manifest.json")
    ran = {r["unique_id"] for r in dbt_artifact(dbt_work, "run_results.json")["results"]}
    marts = [
        f"model.scrs.{m}"
        for m in (
            "compliance_by_division_test",
            "compliance_by_command_area_test",
            "compliance_national_test",
            "record_failures",
            "training_coverage",
            "worklist",
            "review_open_failures",
            "review_outcomes",
        )
    ]
    needed: set[str] = set()
    todo = list(marts)
    while todo:
        node = todo.pop()
        if node in needed or node not in manifest["nodes"]:
            continue  # sources are not run
        needed.add(node)
        todo.extend(manifest["nodes"][node]["depends_on"].get("nodes", []))
    contract_seeds = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "seed" and node["patch_path"].endswith("seeds/_seeds.yml")
    }
    review_seeds = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "seed" and node["patch_path"].endswith("seeds/_review_seeds.yml")
    }
    built = {uid for uid in ran if uid.split(".")[0] in ("model", "seed")}
    assert built == {n for n in needed if n.startswith("model.")} | contract_seeds | review_seeds
    assert len(contract_seeds) == 18
    assert review_seeds == {"seed.scrs.failure_reasons", "seed.scrs.review_states"}
    assert not any("improvement" in uid for uid in ran)


def rules_tests(manifest: dict) -> list[dict]:
    """The project's per-model rules tests (generic test `column_rules`, one per model, seed and source table)."""
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "column_rules"
    ]


def broken_rules(db_path: Path, work: Path, test_name: str) -> dict[str, int]:
    """Rule -> rows breaking it, from the compiled rules test run on `db_path` (the failing rows dbt counted)."""
    compiled = next((work / "target" / "compiled").rglob(f"{test_name}.sql")).read_text()
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {rule: count for rule, _, count in con.execute(compiled).fetchall()}


def test_every_model_has_one_rules_test_naming_only_its_own_columns(dbt_work: Path) -> None:
    """One data-test node per model, named `<model>_rules` (the Dagster check's name), and every column its rules
    name is a column of the built relation: a typo would check nothing it claims."""
    manifest = dbt_artifact(dbt_work, "manifest.json")
    tests = rules_tests(manifest)
    generic = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("test_metadata")]
    assert tests == generic, "every generic data test is a rules test"
    on = [node["attached_node"] or node["depends_on"]["nodes"][0] for node in tests]  # a source's: no attached node
    assert len(on) == len(set(on)), "one rules test per model"
    with duckdb.connect(str(dbt_work / DB_NAME), read_only=True) as con:
        columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns()"
        ).fetchall():
            columns.setdefault((schema, table), set()).add(column)
    checked = 0
    for node, uid in zip(tests, on, strict=True):
        parent = manifest["nodes"].get(uid) or manifest["sources"][uid]
        expected_name = (
            f"{parent['source_name']}_{parent['name']}_rules"
            if parent["resource_type"] == "source"
            else f"{parent['name']}_rules"
        )
        assert node["name"] == expected_name
        built = columns.get((parent["schema"], parent["alias"] if "alias" in parent else parent["identifier"]))
        if built is None:
            continue  # not in the compliance selection (improvement plan, registrar audit, committee paper)
        kwargs = node["test_metadata"]["kwargs"]
        named = set(kwargs.get("not_null", [])) | set(kwargs.get("unique", []))
        named |= set(kwargs.get("accepted_values", {})) | set(kwargs.get("relationships", {}))
        named |= {c for combination in kwargs.get("unique_combinations", []) for c in combination}
        assert named <= built, (node["name"], named - built)
        checked += 1
    assert checked >= 40


def test_rules_tests_name_each_broken_rule_with_the_old_tests_null_handling(dbt_work: Path, tmp_path: Path) -> None:
    """One fault per kind of rule, each in a model of its own, in a copy of the build; one `dbt test` over them.
    Each model's rules test fails naming exactly the rule broken and the rows planted; NULLs pass where dbt's
    unique, accepted_values and relationships let them (and the old expression_is_true did not)."""
    broken = tmp_path / DB_NAME
    broken.write_bytes((dbt_work / DB_NAME).read_bytes())
    with duckdb.connect(str(broken)) as con:

        def plant(table: str, assignment: str, rows: int) -> None:
            """Change the first `rows` rows of `table` (as stored)."""
            con.execute(
                f"update {table} set {assignment} where rowid in (select rowid from {table} order by rowid limit ?)",
                [rows],
            )
            assert con.execute(f"select count(*) from {table}").fetchone()[0] >= rows, table

        def duplicate_first_row(table: str) -> None:
            con.execute(f"insert into {table} select * from {table} where rowid = (select min(rowid) from {table})")

        plant("staging.stg_storm__incidents", "created_at = null", 1)  # not_null
        plant("intermediate.int_test2_verdicts", "record_id = null", 2)  # not_null breaks, unique ignores NULLs
        duplicate_first_row("intermediate.int_timely72_verdicts")  # unique
        plant("marts.record_failures", "fiscal_quarter = 5", 3)  # accepted_values
        plant("intermediate.int_nocrime_verdicts", "division_code = 'ZZ'", 2)  # relationships: an orphan
        duplicate_first_row("marts.compliance_by_division_test")  # unique combination
        plant("intermediate.int_cyber_verdicts", "is_compliant = not is_compliant", 1)  # expression false
        plant("intermediate.int_test1_verdicts", "linked_crime_count = null", 1)  # expression NULL
        # NULLs that pass: in a relationship column (only its not_null breaks), in accepted values with no not_null
        plant("marts.compliance_national_test", "test_code = null", 1)
        plant("reference.crime_system_go_live", "is_synthetic = null", 3)
        plant("reference.legacy_crime_groups", "crime_or_offence = null", 1)

    models = [
        "stg_storm__incidents", "int_test2_verdicts", "int_timely72_verdicts", "record_failures",
        "int_nocrime_verdicts", "compliance_by_division_test", "int_cyber_verdicts", "int_test1_verdicts",
        "compliance_national_test", "crime_system_go_live", "legacy_crime_groups",
    ]  # fmt: skip
    # the singular tests, which compare models with each other, see the faults too: not what is tested here
    args = ["test", "--select", *models, "--exclude", "test_type:singular", "--exclude-resource-type", "unit_test"]
    result = run_dbt(args, broken, tmp_path, reuse_parse=True)
    assert result.returncode != 0
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"].split(".")[2]: r for r in results}
    assert {f"{m}_rules" for m in models} <= set(ran)
    failed = {name: broken_rules(broken, tmp_path, name) for name, r in ran.items() if r["status"] == "fail"}
    assert failed == {
        "stg_storm__incidents_rules": {"created_at not null": 1},
        "int_test2_verdicts_rules": {"record_id not null": 2},
        "int_timely72_verdicts_rules": {"record_id unique": 1},
        "record_failures_rules": {"fiscal_quarter in (1, 2, 3, 4) or null": 3},
        "int_nocrime_verdicts_rules": {"division_code in divisions.division_code or null": 2},
        "compliance_by_division_test_rules": {"fiscal_year, fiscal_quarter, division_code, test_code unique": 1},
        "int_cyber_verdicts_rules": {"is_compliant = (failure_reasons is null)": 1},
        "int_test1_verdicts_rules": {"linked_crime_count >= 0": 1},
        "compliance_national_test_rules": {"test_code not null": 1},
    }, result.stdout[-3000:]
    # dbt counts one failing row per broken rule
    assert {name: ran[name]["failures"] for name in failed} == {name: len(rules) for name, rules in failed.items()}
    assert ran["crime_system_go_live_rules"]["status"] == ran["legacy_crime_groups_rules"]["status"] == "pass"


def test_worklist_rules_name_each_broken_rule_and_count_its_rows(dbt_work: Path, tmp_path: Path) -> None:
    """The worklist view's rules test (named `rules`, one query over the view) fails with one row
    per broken rule, naming it and counting the rows that break it; every column a rule names is a column of
    its model. Planted in a copy: a review state not in the seed, a failure reason with no words, a record
    failing twice (each on a different record), and nothing that breaks the other rules."""
    manifest = dbt_artifact(dbt_work, "manifest.json")
    kwargs = next(node for node in rules_tests(manifest) if node["name"] == "worklist_rules")["test_metadata"]["kwargs"]
    with duckdb.connect(str(dbt_work / DB_NAME), read_only=True) as con:
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = 'worklist'"
            ).fetchall()
        }
    assert {name.split()[0] for name in kwargs["rules"]} <= columns
    assert {c for combination in kwargs["unique_combinations"] for c in combination} <= columns

    broken = tmp_path / DB_NAME
    broken.write_bytes((dbt_work / DB_NAME).read_bytes())
    with duckdb.connect(str(broken)) as con:
        records = con.execute(
            "select test_code, record_id, division_code from marts.record_failures order by all limit 3"
        ).fetchall()
        assert len(records) == 3 and len({r[:2] for r in records}) == 3
        (t1, r1, d1), (t2, r2, _), (t3, r3, _) = records
        con.execute(
            "insert into review.review_state (test_code, record_id, division_code, state, first_seen_failing) "
            "values (?, ?, ?, 'lost', null)",
            [t1, r1, d1],
        )
        con.execute(
            "update marts.record_failures set failure_reasons = 'NO_SUCH_REASON' where test_code = ? and record_id = ?",
            [t2, r2],
        )
        con.execute(
            "insert into marts.record_failures "
            "select * from marts.record_failures where test_code = ? and record_id = ?",
            [t3, r3],
        )
    result = run_dbt(["test", "--select", "worklist_rules"], broken, tmp_path, reuse_parse=True)
    assert result.returncode != 0
    assert re.search(r"FAIL 3 worklist_rules", result.stdout), result.stdout[-3000:]
    found = broken_rules(broken, tmp_path, "worklist_rules")
    assert found == {"review_state a known state": 1, "reasons_in_words not null": 1, "test_code, record_id unique": 1}
