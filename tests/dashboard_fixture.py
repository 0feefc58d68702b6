"""A small published warehouse for the dashboard's tests, built without the pipeline.

`build_fixture_warehouse(dir)` writes `dir/warehouse.duckdb` with the tables and columns that
docs/architecture.md fixes for the served file: the five marts, `reference.divisions`,
`reference.audit_tests`, `reference.units`, `reference.training_courses` and
`reference.crime_system_go_live` (loaded from the seeds CSVs), `raw.load_registry`, `quality.check_results`,
`quality.expectation_catalogue` and `meta.publication`. Values are plausible for two financial years
(2019/20 and 2020/21, every quarter), drawn from a seeded generator so every build is identical.

Counts are generated first; rates, Wilson intervals and statuses are derived from them here, the way the
contract defines them, so the marts are internally consistent (national = sum of divisions, and so on).
The dashboard reads these tables; the tests query them independently to know what the pages must show.

Deliberate features the tests rely on:
- Argyll and West Dunbartonshire (L) has small No Crime and cyber counts (some below 10, some zero: a
  division/quarter/test with nothing examined has no row, as the contract says).
- Timeliness failures are concentrated in Resolution Teams (the source paper's finding).
- The second of three quality runs failed a blocking check and was not published.

The quality tables and meta.publication have the columns scrs/quality/history.py and scrs/publish.py write.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"

FISCAL_YEARS = ("2019/20", "2020/21")
TESTS = ("TEST1", "TEST2", "NOCRIME", "TIMELY72", "CYBER")
Z = 1.959964
TARGET = 95.0
PUBLISHED_RUN_ID = "run-20210502-0600"

# Expected compliance by test and year (national level, before division offsets).
_BASE_RATE = {
    ("TEST1", "2019/20"): 0.925,
    ("TEST1", "2020/21"): 0.945,
    ("TEST2", "2019/20"): 0.915,
    ("TEST2", "2020/21"): 0.935,
    ("NOCRIME", "2019/20"): 0.9486,
    ("NOCRIME", "2020/21"): 0.9781,
    ("TIMELY72", "2019/20"): 0.905,
    ("TIMELY72", "2020/21"): 0.915,
    ("CYBER", "2019/20"): 0.93,
    ("CYBER", "2020/21"): 0.9464,
}
# Records examined per quarter nationally, spread by each division's share of crime.
_VOLUME = {"TEST1": 2400, "TEST2": 2100, "NOCRIME": 330, "TIMELY72": 6000, "CYBER": 220}
# Division offsets (HMICS 2020: timeliness from 70.7% in Dumfries and Galloway to 98.6% in Highlands).
_OFFSET = {"V": -0.06, "N": 0.045, "U": -0.02, "G": -0.01, "E": 0.015, "P": 0.03, "D": 0.025}
_TIMELY_OFFSET = {"V": -0.14, "N": 0.07}

_REASONS = {
    "TEST1": ["CRIME_NOT_RECORDED"],
    "TEST2": ["WRONG_CLASSIFICATION"],
    "NOCRIME": [
        "INVALID_REASON",
        "PROCEDURAL_ERROR_ON_VICTIM_CRIME",
        "MISSING_REQUESTER_OR_AUTHORISER",
        "SELF_AUTHORISED",
        "UNAUTHORISED_ROLE",
        "COMPLAINER_NOT_INFORMED",
    ],
    "TIMELY72": ["NOT_RECORDED_WITHIN_72H"],
    "CYBER": ["CYBER_MARKER_MISSING"],
}
_NOCRIME_WEIGHTS = [1, 1, 2, 1, 2, 5]
_UNITS = ["RESOLUTION_TEAM", "LOCAL_POLICING", "CIMU", "SPECIALIST"]
_LATE_UNIT_WEIGHTS = [55, 30, 8, 7]
_OTHER_UNIT_WEIGHTS = [25, 55, 12, 8]


def read_served(warehouse_dir: Path, query: str, params: list | None = None) -> pd.DataFrame:
    """Independent read of a served warehouse file (short-lived, read-only, like the app)."""
    con = duckdb.connect(str(warehouse_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(query, params or []).df()
    finally:
        con.close()


def wilson(compliant: int, examined: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval as fractions (0-1)."""
    p = compliant / examined
    denom = 1 + z * z / examined
    centre = (p + z * z / (2 * examined)) / denom
    half = z * math.sqrt(p * (1 - p) / examined + z * z / (4 * examined * examined)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_columns(compliant: int, examined: int) -> dict[str, object]:
    lower, upper = wilson(compliant, examined)
    if lower * 100 >= TARGET:
        status = "meets"
    elif upper * 100 < TARGET:
        status = "below"
    else:
        status = "not_distinguishable"
    return {
        "examined": examined,
        "compliant": compliant,
        "compliance_pct": round(100 * compliant / examined, 2),
        "ci_lower_pct": round(100 * lower, 2),
        "ci_upper_pct": round(100 * upper, 2),
        "status": status,
    }


def _quarter_start(fiscal_year: str, quarter: int) -> date:
    start_year = int(fiscal_year[:4])
    month = 4 + 3 * (quarter - 1)
    return date(start_year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if rng.random() < p)


def _division_counts(divisions: pd.DataFrame, rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for fiscal_year in FISCAL_YEARS:
        for quarter in (1, 2, 3, 4):
            for div in divisions.itertuples():
                for test in TESTS:
                    examined = round(_VOLUME[test] * float(div.crime_share_2021) * rng.uniform(0.85, 1.15))
                    if div.division_code == "L" and test in ("NOCRIME", "CYBER"):
                        examined = [0, 4, 7, 9, 12, 6, 3, 8][(quarter - 1 + 4 * FISCAL_YEARS.index(fiscal_year))]
                    if examined == 0:
                        continue
                    offset = (_TIMELY_OFFSET if test == "TIMELY72" else _OFFSET).get(div.division_code, 0.0)
                    p = min(0.999, _BASE_RATE[(test, fiscal_year)] + offset + rng.uniform(-0.01, 0.01))
                    rows.append(
                        {
                            "fiscal_year": fiscal_year,
                            "fiscal_quarter": quarter,
                            "division_code": div.division_code,
                            "division_name": div.division_name,
                            "command_area": div.command_area,
                            "test_code": test,
                            "examined": examined,
                            "compliant": _binomial(rng, examined, p),
                        }
                    )
    return rows


def _rollup(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = counts.groupby(keys, as_index=False)[["examined", "compliant"]].sum()
    return _with_rates(grouped)


def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    extra = [rate_columns(int(c), int(e)) for c, e in zip(counts["compliant"], counts["examined"], strict=True)]
    rates = pd.DataFrame(extra, index=counts.index)
    return pd.concat([counts.drop(columns=["examined", "compliant"]), rates], axis=1)


def _record_failures(division_counts: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    rows = []
    serial = 0
    for row in division_counts.itertuples():
        start = _quarter_start(row.fiscal_year, row.fiscal_quarter)
        for _ in range(int(row.examined) - int(row.compliant)):
            serial += 1
            event = start + timedelta(days=rng.randrange(0, 90))
            reported = datetime(event.year, event.month, event.day, rng.randrange(0, 24), rng.randrange(0, 60))
            test = row.test_code
            if test == "NOCRIME":
                picked = set(rng.choices(_REASONS[test], weights=_NOCRIME_WEIGHTS, k=rng.choice([1, 1, 1, 2])))
                reasons = [r for r in _REASONS[test] if r in picked]
            else:
                reasons = _REASONS[test]
            late = test == "TIMELY72"
            unit = rng.choices(_UNITS, weights=_LATE_UNIT_WEIGHTS if late else _OTHER_UNIT_WEIGHTS)[0]
            hours = rng.uniform(72.5, 400.0) if late else rng.uniform(0.2, 70.0)
            yy = str(int(row.fiscal_year[:4]) + (1 if event.month < 4 else 0))[2:]
            incident_id = f"PS-{event:%Y%m%d}-{serial:05d}"
            crime_id = None if test == "TEST1" else f"CR/{row.division_code}/{serial:07d}/{yy}"
            rows.append(
                {
                    "test_code": test,
                    "record_id": incident_id if test == "TEST1" else crime_id,
                    "division_code": row.division_code,
                    "fiscal_year": row.fiscal_year,
                    "fiscal_quarter": row.fiscal_quarter,
                    "event_date": event,
                    "failure_reasons": ";".join(reasons),
                    "incident_id": incident_id if test != "NOCRIME" or rng.random() < 0.8 else None,
                    "crime_id": crime_id,
                    "incident_type_code": rng.choice(["ASSAULT", "THEFT", "DOMESTIC", "FRAUD", "VANDALISM"]),
                    "disposal_code": "SC01",
                    "closing_unit": rng.choice(["ACR", "RESOLUTION_TEAM", "LOCAL_POLICING", "SPECIALIST"]),
                    "crime_code": None if test == "TEST1" else rng.choice(["0140", "0340", "0410", "0601"]),
                    "crime_category": None if test == "TEST1" else "DISHONESTY",
                    "recording_unit": None if test == "TEST1" else unit,
                    "reported_at": None if test == "TEST1" else reported,
                    "recorded_at": None if test == "TEST1" else reported + timedelta(hours=hours),
                    "hours_to_record": None if test == "TEST1" else round(hours, 2),
                    "status": None if test == "TEST1" else ("NO_CRIME" if test == "NOCRIME" else "RECORDED"),
                    "no_crime_reason": "CREDIBLE_INFORMATION" if test == "NOCRIME" else None,
                    "no_crime_authoriser_role": "SUPERVISOR" if test == "NOCRIME" else None,
                    "complainer_informed": "N" if test == "NOCRIME" else None,
                    "source_system": "LEGACY",
                }
            )
    return pd.DataFrame(rows)


def _training(divisions: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    courses = pd.read_csv(SEEDS_DIR / "training_courses.csv", dtype=str)
    unit_clusters = {code: ["CRIME_MANAGEMENT", "PROBATIONER", "FRONTLINE"] for code in divisions.division_code}
    unit_clusters |= {"C3": ["C3"], "SCD": ["SPECIALIST", "CRIME_MANAGEMENT"], "OSD": ["SPECIALIST", "FRONTLINE"]}
    rows = []
    for unit, clusters in unit_clusters.items():
        for cluster in clusters:
            for course in courses.itertuples():
                if course.meant_for not in ("ALL", cluster):
                    continue
                people = rng.randrange(4, 160)
                completed = round(people * rng.uniform(0.45, 0.95))
                in_progress = round((people - completed) * rng.uniform(0.2, 0.8))
                assigned = people - completed - in_progress
                rows.append(
                    {
                        "unit_code": unit,
                        "role_cluster": cluster,
                        "course_code": course.course_code,
                        "people": people,
                        "assigned": assigned,
                        "in_progress": in_progress,
                        "completed": completed,
                        "completion_pct": round(100 * completed / people, 2),
                    }
                )
    return pd.DataFrame(rows)


_CATALOGUE = [
    # extract, field, check_name, expectation_type, why, severity, owner
    ("incidents", "incident_id", "column_exists", "expect_column_to_exist", "Key column present", "blocking",
     "C3 systems"),
    ("incidents", "incident_id", "unique_in_file", "expect_column_values_to_be_unique", "Key unique within a file",
     "blocking", "C3 systems"),
    ("incidents", "division_code", "known_code", "expect_column_values_to_be_in_set", "Known division code",
     "blocking", "C3 systems"),
    ("incidents", "closed_at", "not_before_created", "expect_column_pair_values_a_to_be_greater_than_b",
     "closed_at not before created_at", "blocking", "C3 systems"),
    ("incidents", "disposal_code", "known_code", "expect_column_values_to_be_in_set", "Known disposal code",
     "blocking", "C3 systems"),
    ("crimes", "crime_id", "unique_in_file", "expect_column_values_to_be_unique", "Key unique within a file",
     "blocking", "Crime registrar"),
    ("crimes", "crime_code", "known_code", "expect_column_values_to_be_in_set", "Known crime code", "blocking",
     "Crime registrar"),
    ("crimes", "recorded_at", "not_before_reported", "expect_column_pair_values_a_to_be_greater_than_b",
     "recorded_at not before reported_at", "blocking", "Crime registrar"),
    ("crimes", "no_crime_at", "present_when_no_crime", "expect_column_values_to_not_be_null",
     "NO_CRIME has no_crime_at", "blocking", "Crime registrar"),
    ("crimes", "incident_id", "incident_crime_related", "expect_column_values_to_be_in_set",
     "Linked incident not closed as non-crime", "warning", "Crime manager"),
    ("training", "course_code", "known_code", "expect_column_values_to_be_in_set", "Known course code",
     "blocking", "Learning and development"),
    ("training", "completed_on", "present_when_completed", "expect_column_values_to_not_be_null",
     "Completed course has a completion date", "warning", "Learning and development"),
]  # fmt: skip


def _quality() -> tuple[pd.DataFrame, pd.DataFrame]:
    """quality.check_results and quality.expectation_catalogue, columns as scrs/quality/history.py writes."""
    catalogue = pd.DataFrame(
        [
            {
                "suite": extract,
                "extract": extract,
                "position": position,
                "check_name": check,
                "expectation_type": etype,
                "column_name": field,
                "field": field,
                "severity": severity,
                "owner": owner,
                "why": why,
                "kwargs_json": json.dumps({"column": field}),
            }
            for position, (extract, field, check, etype, why, severity, owner) in enumerate(_CATALOGUE)
        ]
    )
    runs = [
        ("run-20210430-0600", datetime(2021, 4, 30, 6, 0), {}),
        ("run-20210501-0600", datetime(2021, 5, 1, 6, 0), {"crimes.recorded_at": 3, "crimes.incident_id": 12}),
        (PUBLISHED_RUN_ID, datetime(2021, 5, 2, 6, 0), {"crimes.incident_id": 7, "training.completed_on": 2}),
    ]
    rows = []
    for run_id, checked_at, failures in runs:
        for entry in catalogue.itertuples():
            unexpected = failures.get(f"{entry.extract}.{entry.field}", 0)
            rows.append(
                {
                    "run_id": run_id,
                    "file_name": f"{entry.extract}_{checked_at:%Y_%m}.csv",
                    "suite": entry.suite,
                    "source": "gx",
                    "expectation_type": entry.expectation_type,
                    "check_name": entry.check_name,
                    "column_name": entry.column_name,
                    "field": entry.field,
                    "severity": entry.severity,
                    "success": unexpected == 0,
                    "unexpected_count": unexpected,
                    "sample_lines": list(range(2, 2 + min(unexpected, 5))),
                    "owner": entry.owner,
                    "why": entry.why,
                    "message": f"{unexpected} rows failed" if unexpected else None,
                    "position": entry.position,
                    "rows_checked": 4000,
                    "checked_at": checked_at,
                }
            )
    return pd.DataFrame(rows), catalogue


_DDL = """
CREATE SCHEMA reference; CREATE SCHEMA marts; CREATE SCHEMA quality; CREATE SCHEMA meta; CREATE SCHEMA raw;
CREATE TABLE marts.compliance_by_division_test (fiscal_year VARCHAR, fiscal_quarter INTEGER,
  division_code VARCHAR, division_name VARCHAR, command_area VARCHAR, test_code VARCHAR, examined BIGINT,
  compliant BIGINT, compliance_pct DOUBLE, ci_lower_pct DOUBLE, ci_upper_pct DOUBLE, status VARCHAR);
CREATE TABLE marts.compliance_by_command_area_test (fiscal_year VARCHAR, fiscal_quarter INTEGER,
  command_area VARCHAR, test_code VARCHAR, examined BIGINT, compliant BIGINT, compliance_pct DOUBLE,
  ci_lower_pct DOUBLE, ci_upper_pct DOUBLE, status VARCHAR);
CREATE TABLE marts.compliance_national_test (fiscal_year VARCHAR, fiscal_quarter INTEGER, test_code VARCHAR,
  examined BIGINT, compliant BIGINT, compliance_pct DOUBLE, ci_lower_pct DOUBLE, ci_upper_pct DOUBLE,
  status VARCHAR);
CREATE TABLE marts.record_failures (test_code VARCHAR, record_id VARCHAR, division_code VARCHAR,
  fiscal_year VARCHAR, fiscal_quarter INTEGER, event_date DATE, failure_reasons VARCHAR, incident_id VARCHAR,
  crime_id VARCHAR, incident_type_code VARCHAR, disposal_code VARCHAR, closing_unit VARCHAR, crime_code VARCHAR,
  crime_category VARCHAR, recording_unit VARCHAR, reported_at TIMESTAMP, recorded_at TIMESTAMP,
  hours_to_record DOUBLE, status VARCHAR, no_crime_reason VARCHAR, no_crime_authoriser_role VARCHAR,
  complainer_informed VARCHAR, source_system VARCHAR);
CREATE TABLE marts.training_coverage (unit_code VARCHAR, role_cluster VARCHAR, course_code VARCHAR,
  people BIGINT, assigned BIGINT, in_progress BIGINT, completed BIGINT, completion_pct DOUBLE);
CREATE TABLE quality.check_results (run_id VARCHAR, file_name VARCHAR, suite VARCHAR, source VARCHAR,
  expectation_type VARCHAR, check_name VARCHAR, column_name VARCHAR, field VARCHAR, severity VARCHAR,
  success BOOLEAN, unexpected_count BIGINT, sample_lines BIGINT[], owner VARCHAR, why VARCHAR, message VARCHAR,
  position BIGINT, rows_checked BIGINT, checked_at TIMESTAMP);
CREATE TABLE quality.expectation_catalogue (suite VARCHAR, extract VARCHAR, position BIGINT,
  check_name VARCHAR, expectation_type VARCHAR, column_name VARCHAR, field VARCHAR, severity VARCHAR,
  owner VARCHAR, why VARCHAR, kwargs_json VARCHAR);
CREATE TABLE meta.publication (run_id VARCHAR, published_at TIMESTAMP, latest_extracted_at TIMESTAMP,
  files_loaded BIGINT, latest_extracted_at_by_extract VARCHAR);
CREATE TABLE raw.load_registry (file_name VARCHAR, extract_kind VARCHAR, checksum_sha256 VARCHAR,
  row_count BIGINT, loaded_at TIMESTAMP, run_id VARCHAR);
"""


def _load_registry() -> pd.DataFrame:
    rows = []
    for fiscal_year in FISCAL_YEARS:
        for quarter in (1, 2, 3, 4):
            start = _quarter_start(fiscal_year, quarter)
            for kind, count in (("incidents", 1_100_000), ("crimes", 120_000), ("training", 5_000)):
                rows.append(
                    {
                        "file_name": f"{kind}_{start:%Y_%m}.csv",
                        "extract_kind": kind,
                        "checksum_sha256": hashlib.sha256(f"{kind}{start}".encode()).hexdigest(),
                        "row_count": count // 4,
                        "loaded_at": datetime(2021, 4, 30, 6, 1),
                        "run_id": "run-20210430-0600",
                    }
                )
    return pd.DataFrame(rows)


def build_fixture_warehouse(directory: Path | str, *, seed: int = 20210331) -> Path:
    """Create `directory/warehouse.duckdb` (replacing any file there) and return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    divisions = pd.read_csv(SEEDS_DIR / "divisions.csv", dtype={"division_code": str})
    division_counts = pd.DataFrame(_division_counts(divisions, rng))
    by_division = _with_rates(division_counts)
    by_area = _rollup(division_counts, ["fiscal_year", "fiscal_quarter", "command_area", "test_code"])
    national = _rollup(division_counts, ["fiscal_year", "fiscal_quarter", "test_code"])
    failures = _record_failures(division_counts, rng)
    training = _training(divisions, rng)
    checks, catalogue = _quality()
    registry = _load_registry()
    publication = pd.DataFrame(
        [
            {
                "run_id": PUBLISHED_RUN_ID,
                "published_at": datetime(2021, 5, 2, 6, 4, 31),
                "latest_extracted_at": datetime(2021, 4, 30, 23, 15),
                "files_loaded": len(registry),
                "latest_extracted_at_by_extract": json.dumps(
                    {
                        "incidents": "2021-04-30 23:15:00",
                        "crimes": "2021-04-30 23:10:00",
                        "training": "2021-04-01 05:00:00",
                    }
                ),
            }
        ]
    )

    target = directory / "warehouse.duckdb"
    scratch = directory / "warehouse.duckdb.building"
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    try:
        con.execute(_DDL)
        for seed_name in ("divisions", "audit_tests", "units", "training_courses", "crime_system_go_live"):
            con.execute(
                f"CREATE TABLE reference.{seed_name} AS SELECT * FROM read_csv(?, header = true)",
                [str(SEEDS_DIR / f"{seed_name}.csv")],
            )
        for table, frame in (
            ("marts.compliance_by_division_test", by_division),
            ("marts.compliance_by_command_area_test", by_area),
            ("marts.compliance_national_test", national),
            ("marts.record_failures", failures),
            ("marts.training_coverage", training),
            ("quality.check_results", checks),
            ("quality.expectation_catalogue", catalogue),
            ("meta.publication", publication),
            ("raw.load_registry", registry),
        ):
            columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            con.register("frame_in", frame[columns])
            con.execute(f"INSERT INTO {table} SELECT * FROM frame_in")
            con.unregister("frame_in")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    scratch.replace(target)  # like the pipeline: the served file appears atomically
    return target


if __name__ == "__main__":  # pragma: no cover - manual use: python tests/dashboard_fixture.py DIR
    import sys

    print(build_fixture_warehouse(sys.argv[1] if len(sys.argv) > 1 else "data/fixture-warehouse"))
