"""The two registrar-audit extracts through the gate (contract section 6): every structural fault of
`audit_outcomes` is caught with its line; samples delivered earlier or in the same run both count;
`audited_by` is pseudonymised; the current verdict is the latest extract's. Fast: DuckDB in memory, the
pipeline's own ingest and validation functions (the end-to-end quarantine runs are in
tests/test_publication.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from scrs.audit.sampling import OUTCOME_COLUMNS, SAMPLE_COLUMNS
from tests.test_quality import Batch, failed

SID = "2020-21-Q4-test0001"


def sample_row(test_code: str, record_id: str, division: str = "G", **kw: str) -> dict[str, str]:
    row = dict.fromkeys(SAMPLE_COLUMNS, "")
    row |= {
        "sample_id": SID,
        "test_code": test_code,
        "record_id": record_id,
        "division_code": division,
        "fiscal_year": "2020/21",
        "fiscal_quarter": "4",
        "stratum_population": "40",
        "stratum_sample_size": "30",
        "event_date": "2021-01-14",
        "extracted_at": "2021-04-10 09:00:00",
    }
    return row | kw


def outcome(test_code: str, record_id: str, verdict: str = "COMPLIANT", reasons: str = "", **kw: str):
    row = {
        "sample_id": SID,
        "test_code": test_code,
        "record_id": record_id,
        "verdict": verdict,
        "failure_reasons": reasons,
        "audited_by": "SN998877",
        "audited_at": "2021-05-03 14:00:00",
        "extracted_at": "2021-05-31 18:00:00",
    }
    return row | kw


def write(path: Path, columns, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, list(columns), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


SAMPLE = [
    sample_row("TEST1", "PS-20210114-00001"),
    sample_row("TEST1", "PS-20210114-00002"),
    sample_row("TEST2", "CR/G/0000001/21"),
    sample_row("NOCRIME", "CR/G/0000002/21"),
    sample_row("NOCRIME", "CR/G/0000003/21"),
]


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_a_good_sample_and_its_outcomes_pass_in_the_same_run(con, tmp_path):
    batch = Batch(con, tmp_path)
    write(batch.landing / f"audit_sample_{SID}.csv", SAMPLE_COLUMNS, SAMPLE)
    write(
        batch.landing / "audit_outcomes_2021_05.csv",
        OUTCOME_COLUMNS,
        [
            outcome("TEST1", "PS-20210114-00001"),
            outcome("TEST2", "CR/G/0000001/21", "NON_COMPLIANT", "WRONG_CLASSIFICATION"),
            outcome("NOCRIME", "CR/G/0000002/21", "NON_COMPLIANT", "SELF_AUTHORISED; UNAUTHORISED_ROLE"),
        ],
    )
    _, faults, results = batch.check("audit_sample")
    assert not faults and not failed(results), failed(results)
    _, faults, results = batch.check("audit_outcomes")
    assert not faults and not failed(results), failed(results)
    (who,) = {r[0] for r in con.sql("select audited_by from landing.audit_outcomes").fetchall()}
    assert who.startswith("P-") and "998877" not in who


# case -> (rows after a good first row, expected (check, lines))
FAULTS = {
    "unknown_sample": ([outcome("TEST1", "PS-20210114-00002", sample_id="2020-21-Q4-nosuch00")], "sample_known"),
    "record_not_in_sample": ([outcome("TEST1", "PS-20210114-09999")], "record_in_sample"),
    "record_of_another_test": ([outcome("TEST2", "PS-20210114-00002")], "record_in_sample"),
    "verdict_not_in_list": ([outcome("TEST1", "PS-20210114-00002", verdict="PASS")], "verdict_in_list"),
    "reason_not_in_list": (
        [outcome("TEST1", "PS-20210114-00002", "NON_COMPLIANT", "CRIME_NOT_RECORDED;NOT_A_REASON")],
        "reason_code_in_list",
    ),
    "reason_of_another_test": (
        [outcome("TEST2", "CR/G/0000001/21", "NON_COMPLIANT", "CRIME_NOT_RECORDED")],
        "reason_belongs_to_test",
    ),
    "reasons_on_compliant": (
        [outcome("TEST1", "PS-20210114-00002", "COMPLIANT", "CRIME_NOT_RECORDED")],
        "no_reasons_on_compliant",
    ),
    "no_reasons_on_non_compliant": (
        [outcome("TEST1", "PS-20210114-00002", "NON_COMPLIANT", "")],
        "reasons_on_non_compliant",
    ),
    "duplicate_key": (
        [outcome("TEST1", "PS-20210114-00001", "NON_COMPLIANT", "CRIME_NOT_RECORDED")],
        "key_unique_in_file",
    ),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_each_structural_fault_of_audit_outcomes_blocks_with_its_line(con, tmp_path, case):
    batch = Batch(con, tmp_path)
    write(batch.landing / f"audit_sample_{SID}.csv", SAMPLE_COLUMNS, SAMPLE)
    batch.load("audit_sample")  # registered in an earlier run: raw, not landing
    con.execute("drop table landing.audit_sample")
    rows, check = FAULTS[case]
    good = outcome("TEST1", "PS-20210114-00001")
    write(batch.landing / "audit_outcomes_bad.csv", OUTCOME_COLUMNS, [good, *rows])
    _, faults, results = batch.check("audit_outcomes")
    blocking = failed(results, "blocking")
    expected_lines = [2, 3] if case == "duplicate_key" else [3]
    assert [(c, lines) for _, c, _, _, lines in blocking] == [(check, expected_lines)]


def test_an_unknown_sample_is_one_fault_not_two(con, tmp_path):
    batch = Batch(con, tmp_path)
    write(
        batch.landing / "audit_outcomes_x.csv",
        OUTCOME_COLUMNS,
        [outcome("TEST1", "PS-1", "NON_COMPLIANT", "CRIME_NOT_RECORDED", sample_id="nosuch")],
    )
    _, _, results = batch.check("audit_outcomes")  # no sample was ever registered
    assert [c for _, c, *_ in failed(results)] == ["sample_known"]


def test_reasons_are_checked_code_by_code_and_empty_parts_are_faults(con, tmp_path):
    batch = Batch(con, tmp_path)
    write(batch.landing / f"audit_sample_{SID}.csv", SAMPLE_COLUMNS, SAMPLE)
    write(
        batch.landing / "audit_outcomes_x.csv",
        OUTCOME_COLUMNS,
        [
            outcome("NOCRIME", "CR/G/0000002/21", "NON_COMPLIANT", "INVALID_REASON;COMPLAINER_NOT_INFORMED"),
            outcome("NOCRIME", "CR/G/0000003/21", "NON_COMPLIANT", "INVALID_REASON;"),
        ],
    )
    batch.check("audit_sample")
    _, _, results = batch.check("audit_outcomes")
    assert [(c, lines) for _, c, _, _, lines in failed(results)] == [("reason_code_in_list", [3])]


def test_a_later_verdict_is_current_and_a_redelivery_changes_nothing(con, tmp_path):
    batch = Batch(con, tmp_path)
    write(batch.landing / f"audit_sample_{SID}.csv", SAMPLE_COLUMNS, SAMPLE)
    batch.load("audit_sample")
    first = write(
        batch.landing / "audit_outcomes_2021_05.csv", OUTCOME_COLUMNS, [outcome("TEST1", "PS-20210114-00001")]
    )
    batch.load("audit_outcomes", "run-2")
    # the same content again, under another name: skipped, nothing appended
    (batch.landing / "audit_outcomes_2021_05_again.csv").write_bytes(first.read_bytes())
    files, _, _ = batch.check("audit_outcomes", "run-3")
    assert files == []
    write(
        batch.landing / "audit_outcomes_2021_06.csv",
        OUTCOME_COLUMNS,
        [
            outcome(
                "TEST1", "PS-20210114-00001", "NON_COMPLIANT", "CRIME_NOT_RECORDED", extracted_at="2021-06-30 18:00:00"
            )
        ],
    )
    batch.load("audit_outcomes", "run-4")
    rows = con.sql("select verdict, extracted_at from raw.audit_outcomes order by extracted_at").fetchall()
    assert [r[0] for r in rows] == ["COMPLIANT", "NON_COMPLIANT"]
    # raw keeps both; the staging model takes the latest extracted_at (tests/test_audit_marts.py)
