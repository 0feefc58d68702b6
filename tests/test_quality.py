"""Quality: each blocking fault class is caught with the right check and exact line numbers; warnings never
block; suites are the reviewed JSON (editing a copy changes the outcome); quarantine, history, Data Docs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from scrs.ingest import append_to_raw, discover_new_files, read_into_landing
from scrs.ingest.schema import EXTRACT_COLUMNS
from scrs.quality import CheckResult, blocking_failures, one_line_reason, validate_landing
from scrs.quality.data_docs import build_data_docs
from scrs.quality.history import load_expectation_catalogue, load_history_into, write_history
from scrs.quality.quarantine import quarantine
from scrs.quality.suites import SEED_PARAMETERS, SuiteError, expectation_catalogue, load_suite
from scrs.settings import EXPECTATIONS_DIR, SEEDS_DIR
from tests.extract_factory import (
    INCIDENT_COLUMNS,
    crime,
    incident,
    no_crime,
    numbered,
    training,
    write_crimes,
    write_incidents,
    write_training,
)

KEY = "test-key"
WRITERS = {"incidents": write_incidents, "crimes": write_crimes, "training": write_training}


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


class Batch:
    """Write files, read them into landing and validate them, as the pipeline does."""

    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path, expectations_dir: Path = EXPECTATIONS_DIR):
        self.con = con
        self.landing = root / "landing"
        self.landing.mkdir(parents=True, exist_ok=True)
        self.expectations_dir = expectations_dir

    def write(self, kind: str, name: str, rows: list[dict], **kw) -> Path:
        return WRITERS[kind](self.landing / name, rows, **kw)

    def check(self, kind: str, run_id: str = "run-1"):
        files = discover_new_files(self.con, self.landing, kind)
        faults = read_into_landing(self.con, files, kind, pseudonym_key=KEY)
        results = validate_landing(self.con, kind, files, run_id, expectations_dir=self.expectations_dir)
        return files, faults, results

    def blocking(self, kind: str, check: str | None = None, run_id: str = "run-1") -> list[tuple]:
        """Validate the files of `kind` written so far: their blocking failures (of `check` only, if given)."""
        _, _, results = self.check(kind, run_id)
        return [f for f in failed(results, "blocking") if check is None or f[1] == check]

    def load(self, kind: str, run_id: str = "run-1"):
        files, faults, results = self.check(kind, run_id)
        blocked = blocking_failures(results, faults)
        append_to_raw(self.con, kind, [f for f in files if f.name not in blocked], run_id, KEY)
        return files, faults, results


def failed(results: list[CheckResult], severity: str | None = None) -> list[tuple]:
    """(file, check, column, count, lines) of failing results."""
    return sorted(
        (r.file_name, r.check, r.column, r.unexpected_count, r.sample_lines)
        for r in results
        if not r.success and (severity is None or r.severity == severity)
    )


# ------------------------------------------------------------------------------------------ good files


def test_good_files_pass_every_check(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "incidents",
        "incidents_2021_01.csv",
        numbered(incident, 5, "incident_id", "PS-{:03d}"),
        bom=True,
        crlf=True,
        column_order=list(reversed(INCIDENT_COLUMNS)),
    )
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [
            crime(crime_id="C1", incident_id="PS-001", no_crime_reason="x, y"),
            no_crime(crime_id="C2", incident_id=None),
        ],
        crlf=True,
    )
    b.write(
        "training",
        "training_2021_q1.csv",
        [training(), training(course_code="COS_CRIME", status="IN_PROGRESS", completed_on=None)],
    )
    for kind in ("incidents", "crimes", "training"):
        files, faults, results = b.check(kind)
        assert faults == []
        assert failed(results) == [], kind
        n_exp = len(load_suite(EXPECTATIONS_DIR, kind).suite.expectations)
        assert len(results) == n_exp * len(files)  # one result per expectation and file
        assert {r.run_id for r in results} == {"run-1"}


# ------------------------------------------------------------------------------- blocking fault classes


def test_missing_required_column_fails_column_exists_for_that_file_only(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "incidents",
        "incidents_2021_01.csv",
        [incident()],
        column_order=[c for c in INCIDENT_COLUMNS if c != "grade"],
    )
    b.write("incidents", "incidents_2021_02.csv", [incident(incident_id="PS-2")])
    _, faults, results = b.check("incidents")
    assert faults == []
    assert failed(results, "blocking") == [("incidents_2021_01.csv", "column_exists", "grade", None, [])]
    # the row-level checks on the missing column are not reported again for that file
    assert not [
        r
        for r in results
        if r.file_name == "incidents_2021_01.csv" and r.column == "grade" and r.check != "column_exists"
    ]
    assert set(blocking_failures(results, faults)) == {"incidents_2021_01.csv"}


def test_unparseable_timestamps_and_dates(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    rs = numbered(incident, 6, "incident_id", "PS-{:03d}")
    rs[1]["created_at"] = "2021-02-30 10:00:00"  # line 3: no such day
    rs[3]["created_at"] = "2021-01-14T10:00:00"  # line 5: wrong format
    rs[4]["closed_at"] = "14/01/2021 12:00"  # line 6
    b.write("incidents", "incidents_2021_01.csv", rs)
    got = b.blocking("incidents", "timestamp_valid")
    assert got == [
        ("incidents_2021_01.csv", "timestamp_valid", "closed_at", 1, [6]),
        ("incidents_2021_01.csv", "timestamp_valid", "created_at", 2, [3, 5]),
    ]
    b.write(
        "training",
        "training_2021_q1.csv",
        [training(), training(course_code="COS_CRIME", assigned_on="2021-13-01")],
    )
    assert b.blocking("training", "date_valid") == [("training_2021_q1.csv", "date_valid", "assigned_on", 1, [3])]


def test_leap_day_is_a_real_date(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "incidents",
        "incidents_2020_02.csv",
        [
            incident(incident_id="A", created_at="2020-02-29 23:59:59", closed_at="2020-03-01 00:00:00"),
            incident(incident_id="B", created_at="2021-02-29 10:00:00", closed_at=None),
            incident(incident_id="C", created_at="2000-02-29 10:00:00", closed_at=None),
            incident(incident_id="D", created_at="1900-02-29 10:00:00", closed_at=None),
        ],
    )
    assert b.blocking("incidents", "timestamp_valid") == [
        ("incidents_2020_02.csv", "timestamp_valid", "created_at", 2, [3, 5])
    ]


def test_unknown_codes_fail_reference_set_checks(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "incidents",
        "incidents_2021_01.csv",
        [
            incident(incident_id="A"),
            incident(incident_id="B", division_code="Z"),
            incident(incident_id="C", grade="URGENT", cyber_flag="yes"),
        ],
    )
    codes = b.blocking("incidents", "code_in_reference_set")
    assert codes == [
        ("incidents_2021_01.csv", "code_in_reference_set", "cyber_flag", 1, [4]),
        ("incidents_2021_01.csv", "code_in_reference_set", "division_code", 1, [3]),
        ("incidents_2021_01.csv", "code_in_reference_set", "grade", 1, [4]),
    ]
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [
            crime(crime_id="C1"),
            crime(crime_id="C2", crime_code="9999"),
            crime(crime_id="C3", crime_code="101"),
        ],
    )
    assert b.blocking("crimes", "code_in_reference_set") == [
        (
            "crimes_2021_01.csv",
            "code_in_reference_set",
            "crime_code",
            2,
            [3, 4],
        )  # "101" lost its leading zero
    ]


def test_duplicate_key_within_a_file_but_not_across_files(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [crime(crime_id="C1"), crime(crime_id="C2"), crime(crime_id="C1"), crime(crime_id="C3")],
    )
    b.write("crimes", "crimes_2021_02.csv", [crime(crime_id="C3", extracted_at="2021-03-01 02:00:00")])
    assert b.blocking("crimes") == [("crimes_2021_01.csv", "key_unique_in_file", "crime_id", 2, [2, 4])]
    b.write("training", "training_2021_q1.csv", [training(), training(course_code="COS_CRIME"), training()])
    assert b.blocking("training") == [
        ("training_2021_q1.csv", "key_unique_in_file", "staff_number, course_code", 2, [2, 4])
    ]


def test_time_order_rules(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "incidents",
        "incidents_2021_01.csv",
        [
            incident(incident_id="A"),
            incident(incident_id="B", closed_at="2021-01-14 09:59:59"),  # line 3: closed before created
            incident(incident_id="C", closed_at="2021-01-14 10:00:00"),  # equal is fine
        ],
    )
    assert b.blocking("incidents") == [
        ("incidents_2021_01.csv", "closed_at_not_before_created_at", "closed_at, created_at", 1, [3])
    ]
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [
            crime(crime_id="C1"),
            crime(crime_id="C2", recorded_at="2021-01-13 23:00:00"),  # line 3: recorded before reported
            no_crime(crime_id="C3", no_crime_at="2021-01-14 14:00:00"),  # line 4: no crime before recorded
            no_crime(crime_id="C4", no_crime_at=None),  # line 5: NO_CRIME without no_crime_at
            crime(crime_id="C5", recorded_at="2021-01-10 09:00:00", reported_at="2021-01-12 10:00:00"),  # line 6
        ],
    )
    assert b.blocking("crimes") == [
        ("crimes_2021_01.csv", "no_crime_at_not_before_recorded_at", "no_crime_at, recorded_at", 1, [4]),
        ("crimes_2021_01.csv", "no_crime_has_no_crime_at", "no_crime_at, status", 1, [5]),
        ("crimes_2021_01.csv", "recorded_at_not_before_reported_at", "recorded_at, reported_at", 2, [3, 6]),
    ]
    b.write(
        "training",
        "training_2021_q1.csv",
        [
            training(),
            training(course_code="COS_CRIME", completed_on=None),  # line 3: COMPLETED without completed_on
            training(course_code="SCRS_ODL", completed_on="2021-01-03"),  # line 4: completed before assigned
        ],
    )
    assert b.blocking("training") == [
        ("training_2021_q1.csv", "completed_has_completed_on", "completed_on, status", 1, [3]),
        ("training_2021_q1.csv", "completed_on_not_before_assigned_on", "completed_on, assigned_on", 1, [4]),
    ]


def test_required_values_present(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [crime(crime_id="C1"), crime(crime_id="C2", division_code=""), crime(crime_id=None)],
    )
    got = b.blocking("crimes", "required_value_present")
    assert got == [
        ("crimes_2021_01.csv", "required_value_present", "crime_id", 1, [4]),
        ("crimes_2021_01.csv", "required_value_present", "division_code", 1, [3]),
    ]


def test_header_only_file_fails_file_has_rows(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write("incidents", "incidents_2021_01.csv", [])
    b.write("incidents", "incidents_2021_02.csv", [incident()])
    _, faults, results = b.check("incidents")
    assert faults == []
    assert failed(results, "blocking") == [("incidents_2021_01.csv", "file_has_rows", None, 0, [])]


def test_file_faults_block_with_the_right_check(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    (b.landing / "incidents_2021_01.csv").write_bytes(b"")
    p = b.write("incidents", "incidents_2021_02.csv", numbered(incident, 3, "incident_id", "PS-{:03d}"))
    p.write_bytes(p.read_bytes().replace(b"PS-002,G", "PS-002,Gé".encode("latin-1")))
    p = b.write("incidents", "incidents_2021_03.csv", numbered(incident, 3, "incident_id", "PS-{:03d}"))
    p.write_bytes(p.read_bytes()[:-30])  # truncated last line
    b.write("incidents", "incidents_2021_04.csv", [incident()])
    _, faults, results = b.check("incidents")
    got = sorted((f.file, f.check, f.line_numbers) for f in faults)
    assert got == [
        ("incidents_2021_01.csv", "file_not_empty", []),
        ("incidents_2021_02.csv", "file_is_utf8", [3]),
        ("incidents_2021_03.csv", "row_field_count_matches_header", [4]),
    ]
    assert {r.file_name for r in results} == {"incidents_2021_04.csv"}  # unreadable files are not validated
    blocked = blocking_failures(results, faults)
    assert sorted(blocked) == ["incidents_2021_01.csv", "incidents_2021_02.csv", "incidents_2021_03.csv"]


def test_one_line_reason(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "crimes",
        "crimes_2021_03.csv",
        [
            crime(
                crime_id=f"C{i}",
                recorded_at="2021-01-13 10:00:00" if i in (3, 7, 10) else "2021-01-14 15:00:00",
            )
            for i in range(11)
        ],
    )
    _, faults, results = b.check("crimes")
    reason = one_line_reason(blocking_failures(results, faults))
    assert reason == (
        "crimes_2021_03.csv: blocking check recorded_at_not_before_reported_at failed on 3 rows "
        "(lines 5, 9, 12); file quarantined"
    )
    assert "\n" not in reason
    assert one_line_reason([]) == "no blocking failures"


def test_sample_lines_are_the_first_100_and_count_is_all(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    rows = numbered(incident, 160, "incident_id", "PS-{:04d}")
    for r in rows[10:]:
        r["division_code"] = "Z"  # rows 11..160 -> lines 12..161
    b.write("incidents", "incidents_2021_01.csv", rows)
    _, faults, results = b.check("incidents")
    (r,) = [r for r in results if not r.success]
    assert (r.check, r.column, r.unexpected_count, r.rows_checked) == (
        "code_in_reference_set",
        "division_code",
        150,
        160,
    )
    assert r.sample_lines == list(range(12, 112))
    assert one_line_reason(blocking_failures(results, faults)) == (
        "incidents_2021_01.csv: blocking check code_in_reference_set [division_code] failed on 150 rows "
        "(lines 12, 13, 14, 15, 16, ...); file quarantined"
    )


# ------------------------------------------------------------------------------------------ warnings


def test_cross_extract_warnings_are_recorded_but_never_block(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "incidents",
        "incidents_2021_01.csv",
        [
            incident(incident_id="INC-CRIME", division_code="G"),
            incident(incident_id="INC-NONCRIME", disposal_code="NC02"),
            incident(
                incident_id="INC-OPEN",
                closed_at=None,
                disposal_code=None,
                final_type_code=None,
                closing_unit=None,
                created_at="2020-12-01 08:00:00",
            ),  # open 62 days at extraction
        ],
    )
    _, _, results = b.load("incidents")
    assert failed(results, "blocking") == []
    assert failed(results, "warning") == [
        ("incidents_2021_01.csv", "incident_open_at_most_30_days", "closed_at", 1, [4])
    ]
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [
            crime(crime_id="C1", incident_id="INC-CRIME"),
            crime(crime_id="C2", incident_id="INC-NONCRIME"),  # line 3
            crime(crime_id="C3", incident_id="INC-CRIME", division_code="E"),  # line 4
            crime(crime_id="C4", incident_id="PS-NOT-YET-LOADED"),  # line 5
            crime(crime_id="C5", incident_id=None),
        ],
    )
    files, faults, results = b.check("crimes")
    assert failed(results, "blocking") == []
    assert failed(results, "warning") == [
        ("crimes_2021_01.csv", "division_matches_linked_incident", "division_code", 1, [4]),
        ("crimes_2021_01.csv", "linked_incident_disposal_crime_related", "incident_id", 1, [3]),
        ("crimes_2021_01.csv", "linked_incident_known", "incident_id", 1, [5]),
    ]
    assert blocking_failures(results, faults) == {}
    assert append_to_raw(con, "crimes", files, "run-1", KEY) == {"crimes_2021_01.csv": 5}


def test_crime_sees_incidents_of_the_same_batch_latest_state(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    # loaded earlier: the incident closed as non-crime; in this batch: re-extracted later as crime related
    b.write("incidents", "incidents_2021_01.csv", [incident(incident_id="I1", disposal_code="NC01")])
    b.load("incidents")
    b.write(
        "incidents",
        "incidents_2021_02.csv",
        [incident(incident_id="I1", disposal_code="SC01", extracted_at="2021-03-01 02:00:00")],
    )
    b.check("incidents", "run-2")
    b.write("crimes", "crimes_2021_02.csv", [crime(crime_id="C1", incident_id="I1")])
    _, _, results = b.check("crimes", "run-2")
    assert failed(results) == []


def test_extract_older_than_loaded_is_a_warning(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "crimes",
        "crimes_2021_02.csv",
        [crime(crime_id="C1", incident_id=None, extracted_at="2021-03-01 02:00:00")],
    )
    b.load("crimes")
    b.write(
        "crimes",
        "crimes_2021_01.csv",
        [
            crime(crime_id="C1", incident_id=None, extracted_at="2021-02-01 02:00:00"),
            crime(crime_id="C2", incident_id=None),
        ],
    )
    _, _, results = b.check("crimes", "run-2")
    assert failed(results) == [("crimes_2021_01.csv", "extract_not_older_than_loaded", "extracted_at", 1, [2])]
    assert all(r.severity == "warning" for r in results if not r.success)


# ------------------------------------------------------------------------------- suites are the source


def copy_suites(tmp_path: Path) -> Path:
    d = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, d)
    return d


def edit_suite(d: Path, kind: str, fn) -> None:
    p = d / f"{kind}.json"
    data = json.loads(p.read_text())
    fn(data)
    p.write_text(json.dumps(data, indent=2))


def test_removing_an_expectation_in_a_copy_changes_the_outcome(con, tmp_path: Path):
    d = copy_suites(tmp_path)

    def drop_division_set(data):
        data["expectations"] = [
            e
            for e in data["expectations"]
            if not (e["meta"]["check"] == "code_in_reference_set" and e["kwargs"]["column"] == "division_code")
        ]

    edit_suite(d, "incidents", drop_division_set)
    rows = [incident(incident_id="A", division_code="Z")]
    b1 = Batch(con, tmp_path / "a")
    b1.write("incidents", "incidents_2021_01.csv", rows)
    assert failed(b1.check("incidents")[2], "blocking")  # the repo suite blocks
    con2 = duckdb.connect()
    b2 = Batch(con2, tmp_path / "b", expectations_dir=d)
    b2.write("incidents", "incidents_2021_01.csv", rows)
    assert failed(b2.check("incidents")[2], "blocking") == []


def test_changing_a_threshold_in_a_copy_changes_the_outcome(con, tmp_path: Path):
    d = copy_suites(tmp_path)

    def sixty_days(data):
        for e in data["expectations"]:
            if e["meta"]["check"] == "incident_open_at_most_30_days":
                e["kwargs"]["max_value"] = 60

    edit_suite(d, "incidents", sixty_days)
    rows = [incident(closed_at=None, created_at="2020-12-10 08:00:00")]  # open 52.75 days
    b1 = Batch(con, tmp_path / "a")
    b1.write("incidents", "incidents_2021_01.csv", rows)
    assert [f[1] for f in failed(b1.check("incidents")[2])] == ["incident_open_at_most_30_days"]
    con2 = duckdb.connect()
    b2 = Batch(con2, tmp_path / "b", expectations_dir=d)
    b2.write("incidents", "incidents_2021_01.csv", rows)
    assert failed(b2.check("incidents")[2]) == []


def test_severity_edit_turns_a_warning_into_a_block(con, tmp_path: Path):
    d = copy_suites(tmp_path)

    def block_unknown_incident(data):
        for e in data["expectations"]:
            if e["meta"]["check"] == "linked_incident_known":
                e["meta"]["severity"] = "blocking"

    edit_suite(d, "crimes", block_unknown_incident)
    b = Batch(con, tmp_path, expectations_dir=d)
    b.write("crimes", "crimes_2021_01.csv", [crime(incident_id="NOPE")])
    files, faults, results = b.check("crimes")
    assert list(blocking_failures(results, faults)) == ["crimes_2021_01.csv"]


def test_malformed_suites_are_rejected_not_silently_trimmed(tmp_path: Path):
    d = copy_suites(tmp_path)
    edit_suite(
        d,
        "incidents",
        lambda data: data["expectations"].append(
            {
                "type": "expect_column_values_to_be_in_sett",
                "kwargs": {"column": "grade"},
                "meta": {"severity": "blocking", "field": "grade", "check": "x", "owner": "o", "why": "w"},
            }
        ),
    )
    with pytest.raises(SuiteError, match="rejected"):
        load_suite(d, "incidents")
    d2 = copy_suites(tmp_path / "2")
    edit_suite(d2, "crimes", lambda data: data["expectations"][0]["meta"].pop("owner"))
    with pytest.raises(SuiteError, match="owner"):
        load_suite(d2, "crimes")
    d3 = copy_suites(tmp_path / "3")
    edit_suite(
        d3,
        "training",
        lambda data: data["expectations"][-3]["kwargs"].update(value_set={"$PARAMETER": "no_such_list"}),
    )
    with pytest.raises(SuiteError, match="no_such_list"):
        load_suite(d3, "training")


def test_suites_agree_with_contract_columns_and_take_codes_from_seeds():
    for kind, specs in EXTRACT_COLUMNS.items():
        data = json.loads((EXPECTATIONS_DIR / f"{kind}.json").read_text())
        exists = {
            e["kwargs"]["column"]: e["meta"]["severity"]
            for e in data["expectations"]
            if e["type"] == "expect_column_to_exist"
        }
        assert set(exists) == {c.name for c in specs}
        assert all(exists[c.name] == "blocking" for c in specs if c.required)
        if kind in ("incidents", "crimes", "training"):  # contract section 1: optional columns only warn
            assert all(exists[c.name] == "warning" for c in specs if not c.required)
        for e in data["expectations"]:
            assert set(e["meta"]) >= {"severity", "field", "check", "owner", "why"}
            vs = e["kwargs"].get("value_set")
            if isinstance(vs, list):  # literal lists only for codes that are not reference data
                assert not set(vs) & {"G", "SC01", "0101", "PROMPT", "SCRS_ODL"}, e["meta"]["check"]
    assert all((SEEDS_DIR / f).exists() for f, _ in SEED_PARAMETERS.values())


# -------------------------------------------------------------------------- quarantine, history, docs


def test_quarantine_moves_file_and_writes_reports_without_overwriting(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write(
        "crimes",
        "crimes_2021_03.csv",
        [
            crime(crime_id="C1"),
            crime(crime_id="C2", crime_code="9999"),
            crime(crime_id="C3", recorded_at="2021-01-01 00:00:00"),
        ],
    )
    files, faults, results = b.check("crimes")
    blocked = blocking_failures(results, faults)
    qdir = tmp_path / "landing" / "quarantine"
    target = quarantine(files[0].path, blocked["crimes_2021_03.csv"], qdir)
    assert target == qdir / "crimes_2021_03.csv" and target.exists() and not files[0].path.exists()

    report = json.loads(Path(f"{target}.report.json").read_text())
    assert report["file"] == "crimes_2021_03.csv" and report["run_id"] == "run-1"
    got = sorted(
        (c["check"], c["severity"], c["column"], c["failing_rows"], c["first_lines"]) for c in report["checks"]
    )
    assert got == [
        ("code_in_reference_set", "blocking", "crime_code", 1, [3]),
        ("recorded_at_not_before_reported_at", "blocking", "recorded_at, reported_at", 1, [4]),
    ]
    text = Path(f"{target}.report.txt").read_text()
    assert "crimes_2021_03.csv" in text and "recorded_at_not_before_reported_at" in text
    assert "first 1 line number(s) (header = line 1): 4" in text and "column crime_code" in text

    # the same name quarantined again: the earlier file and report stay
    b.write("crimes", "crimes_2021_03.csv", [crime(crime_code="9999")])
    files, faults, results = b.check("crimes", "run-2")
    target2 = quarantine(files[0].path, blocking_failures(results, faults)["crimes_2021_03.csv"], qdir)
    assert target2 != target and target2.name.startswith("crimes_2021_03.") and target2.suffix == ".csv"
    assert json.loads(Path(f"{target}.report.json").read_text())["run_id"] == "run-1"
    assert json.loads(Path(f"{target2}.report.json").read_text())["run_id"] == "run-2"


def test_quarantine_of_unreadable_file_names_fault_and_lines(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    p = b.write("training", "training_2021_q1.csv", [training(), training(course_code="COS_CRIME")])
    p.write_bytes(p.read_bytes() + b"100235,G\n")
    files, faults, results = b.check("training")
    target = quarantine(p, faults, tmp_path / "q", run_id="run-1")
    report = json.loads(Path(f"{target}.report.json").read_text())
    assert [(c["check"], c["first_lines"]) for c in report["checks"]] == [("row_field_count_matches_header", [4])]
    assert report["checks"][0]["owner"] == "Learning and development"
    assert "100235" not in Path(f"{target}.report.json").read_text()  # no line content echoed


def test_history_append_only_per_run_and_loaded_into_quality_schema(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write("incidents", "incidents_2021_01.csv", [incident(division_code="Z")])
    (b.landing / "crimes_2021_01.csv").write_bytes(b"")
    _, inc_faults, inc_results = b.check("incidents")
    _, cr_faults, cr_results = b.check("crimes")
    hist = tmp_path / "history"
    p1 = write_history(inc_results + inc_faults, hist, "run-1")
    write_history(cr_results + cr_faults, hist, "run-1")  # same run, another kind: added
    write_history(inc_results[:2], hist, "run-2")
    assert sorted(p.name for p in hist.iterdir()) == ["run-1.parquet", "run-2.parquet"]
    assert pq.read_table(p1).num_rows == len(inc_results) + 1

    n = load_history_into(con, hist)
    assert n == len(inc_results) + 1 + 2
    got = con.execute("""SELECT source, check_name, severity, success, unexpected_count, sample_lines
                         FROM quality.check_results WHERE NOT success ORDER BY check_name""").fetchall()
    assert got == [
        ("gx", "code_in_reference_set", "blocking", False, 1, [2]),
        ("file", "file_not_empty", "blocking", False, 0, []),
    ]
    assert load_expectation_catalogue(con) == len(expectation_catalogue(EXPECTATIONS_DIR))
    cat = con.execute(
        """SELECT suite, check_name, column_name, severity, owner FROM quality.expectation_catalogue
           WHERE check_name = 'recorded_at_not_before_reported_at'"""
    ).fetchall()
    assert cat == [
        (
            "crimes",
            "recorded_at_not_before_reported_at",
            "recorded_at, reported_at",
            "blocking",
            "Crime manager",
        )
    ]
    # results join the catalogue on (suite, position)
    joined = con.execute(
        """SELECT count(*) FROM quality.check_results r JOIN quality.expectation_catalogue c
           ON c.suite = r.suite AND c.position = r.position WHERE r.check_name <> c.check_name"""
    )
    assert joined.fetchall() == [(0,)]
    assert load_history_into(con, tmp_path / "nothing-yet") == 0


def test_data_docs_site_is_built(con, tmp_path: Path):
    b = Batch(con, tmp_path)
    b.write("incidents", "incidents_2021_01.csv", [incident(), incident(incident_id="B", grade="X")])
    (b.landing / "incidents_2021_02.csv").write_bytes(b"")
    _, faults, results = b.check("incidents")
    index = build_data_docs(results, tmp_path / "docs", file_faults=faults)
    assert index.exists()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert [p.name for p in pages] == ["incidents_2021_01.csv.html"]
    summary = (tmp_path / "docs" / "run_summary.html").read_text()
    assert "incidents_2021_02.csv" in summary and "file_not_empty" in summary and "code_in_reference_set" in summary


def test_frame_order_repair_helpers():
    import numpy as np
    import pyarrow as pa

    from scrs.quality.frames import _grouped_by_file, _in_rowid_order

    # row groups handed over interleaved (as seen from DuckDB's parallel filtered scan)
    rid = np.array([3, 4, 5, 9, 10, 0, 1, 2, 6, 7, 8])
    t = _in_rowid_order(pa.table({"_rid": rid, "x": rid * 10}))
    assert t.column("_rid").to_pylist() == list(range(11)) and t.column("x").to_pylist()[3] == 30
    files = pa.array(["b", "a", "b", "a"]).dictionary_encode()
    t = _grouped_by_file(pa.table({"_source_file": files, "_source_line": [3, 2, 2, 3]}))
    got = list(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))
    assert sorted(got) == [("a", 2), ("a", 3), ("b", 2), ("b", 3)]
    assert got[0][0] == got[1][0] and got[2][0] == got[3][0]  # each file contiguous
    assert got[0][1] < got[1][1] and got[2][1] < got[3][1]  # in line order


def test_data_docs_index_links_each_extract(tmp_path):
    from scrs.quality.data_docs import write_data_docs_index

    for kind in ("crimes", "incidents"):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "index.html").write_text("<html></html>")
    (tmp_path / "crimes" / "run_summary.html").write_text("<html></html>")
    (tmp_path / "empty").mkdir()
    text = write_data_docs_index(tmp_path).read_text()
    assert 'href="crimes/index.html"' in text and 'href="incidents/index.html"' in text
    assert 'href="crimes/run_summary.html"' in text and "incidents/run_summary.html" not in text
    assert "empty" not in text
