"""The published marts recover, exactly, the compliance the generator planted (issue 2's acceptance).

The truth files are written by the generator from its own construction of each record, independently of
the SQL; here they are compared with what `scrs run` published.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import REPO

Z = 1.959964
KEY = ["fiscal_year", "fiscal_quarter", "division_code", "test_code"]


def served(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)


def truth(pipeline_run: dict[str, Path], name: str) -> pd.DataFrame:
    frame = pd.read_csv(pipeline_run["truth"] / name, dtype={"fiscal_year": str, "division_code": str})
    return frame


def pct(compliant: int, examined: int) -> float:
    """Percentage to 2 dp, halves rounded up as people round them (29/32 = 90.625 -> 90.63)."""
    exact = Decimal(compliant) * 100 / Decimal(examined)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def wilson(compliant: int, examined: int) -> tuple[float, float]:
    """Wilson score interval, written out here independently of the dbt macro."""
    p = compliant / examined
    denom = 1 + Z**2 / examined
    centre = (p + Z**2 / (2 * examined)) / denom
    half = Z * math.sqrt(p * (1 - p) / examined + Z**2 / (4 * examined**2)) / denom
    return max(0.0, centre - half) * 100, min(1.0, centre + half) * 100


def test_division_marts_equal_planted_truth(pipeline_run):
    expected = truth(pipeline_run, "compliance_truth.csv")[KEY + ["examined", "compliant"]]
    with served(pipeline_run["warehouse"]) as con:
        actual = con.sql(f"select {', '.join(KEY)}, examined, compliant from marts.compliance_by_division_test").df()
    assert len(expected) > 100, "the test extracts should cover many periods, divisions and tests"
    merged = expected.merge(actual, on=KEY, how="outer", suffixes=("_truth", "_mart"), indicator=True)
    missing = merged[merged["_merge"] != "both"]
    assert missing.empty, f"cells only on one side:\n{missing.head(20)}"
    wrong = merged[(merged.examined_truth != merged.examined_mart) | (merged.compliant_truth != merged.compliant_mart)]
    assert wrong.empty, f"marts differ from planted truth:\n{wrong.head(20)}"


def test_failure_reasons_equal_planted_truth(pipeline_run):
    expected = truth(pipeline_run, "failure_reasons_truth.csv")
    with served(pipeline_run["warehouse"]) as con:
        actual = con.sql(
            """
            select fiscal_year, fiscal_quarter, division_code, test_code, reason as failure_reason,
                   count(*) as records
            from marts.record_failures, unnest(string_split(failure_reasons, ';')) as r(reason)
            group by all
            """
        ).df()
    cols = KEY + ["failure_reason"]
    merged = expected.merge(actual, on=cols, how="outer", suffixes=("_truth", "_mart")).fillna(0)
    wrong = merged[merged.records_truth != merged.records_mart]
    assert wrong.empty, f"failure reasons differ from planted truth:\n{wrong.head(20)}"


@pytest.mark.parametrize(
    ("mart", "group"),
    [("compliance_by_command_area_test", ["command_area"]), ("compliance_national_test", [])],
)
def test_area_and_national_marts_roll_up_the_truth(pipeline_run, mart, group):
    planted = truth(pipeline_run, "compliance_truth.csv")
    divisions = pd.read_csv(REPO / "seeds" / "divisions.csv", dtype=str)[["division_code", "command_area"]]
    planted = planted.merge(divisions, on="division_code")
    keys = ["fiscal_year", "fiscal_quarter", *group, "test_code"]
    expected = planted.groupby(keys, as_index=False)[["examined", "compliant"]].sum()
    with served(pipeline_run["warehouse"]) as con:
        actual = con.sql(f"select * from marts.{mart}").df()
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_truth", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged.examined_truth == merged.examined_mart).all()
    assert (merged.compliant_truth == merged.compliant_mart).all()
    for row in merged.itertuples():
        lower, upper = wilson(row.compliant_mart, row.examined_mart)
        assert row.compliance_pct == pytest.approx(pct(row.compliant_mart, row.examined_mart), abs=1e-9)
        assert row.ci_lower_pct == pytest.approx(lower, abs=0.006)
        assert row.ci_upper_pct == pytest.approx(upper, abs=0.006)
        status = "meets" if lower >= 95 else "below" if upper < 95 else "not_distinguishable"
        assert row.status == status


def test_mart_columns_follow_the_contract(pipeline_run):
    contract = {
        "compliance_by_division_test": "fiscal_year, fiscal_quarter, division_code, division_name, command_area, "
        "test_code, examined, compliant, compliance_pct, ci_lower_pct, ci_upper_pct, status",
        "compliance_by_command_area_test": "fiscal_year, fiscal_quarter, command_area, test_code, examined, "
        "compliant, compliance_pct, ci_lower_pct, ci_upper_pct, status",
        "compliance_national_test": "fiscal_year, fiscal_quarter, test_code, examined, compliant, compliance_pct, "
        "ci_lower_pct, ci_upper_pct, status",
    }
    with served(pipeline_run["warehouse"]) as con:
        for mart, columns in contract.items():
            assert con.sql(f"select * from marts.{mart} limit 0").columns == columns.split(", ")
        failures = con.sql("select * from marts.record_failures limit 0").columns
    assert failures[:7] == [
        "test_code",
        "record_id",
        "division_code",
        "fiscal_year",
        "fiscal_quarter",
        "event_date",
        "failure_reasons",
    ]


def test_no_raw_staff_number_anywhere_in_the_warehouse(pipeline_run):
    """Every text column of every table is searched for every staff number the generator wrote."""
    staff = truth(pipeline_run, "staff_numbers.csv").iloc[:, 0].astype(str).tolist()
    assert len(staff) > 50
    with served(pipeline_run["warehouse"]) as con:
        con.execute("create temp table staff(n varchar)")
        con.executemany("insert into staff values (?)", [[s] for s in staff])
        columns = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog <> 'temp'"
        ).fetchall()
        assert columns
        found = []
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" t join staff s on position(s.n in t."{column}") > 0'
            ).fetchone()[0]
            if hits:
                found.append((schema, table, column, hits))
    assert not found, f"raw staff numbers stored: {found}"
