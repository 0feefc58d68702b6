"""`scrs export`: a division's pack holds only its rows; the committee's pack is aggregate and suppressed."""

from __future__ import annotations

import csv
import datetime

import duckdb
import openpyxl
import pandas as pd
import pytest

from tests.conftest import run_scrs

COMPLIANCE_MARTS = [
    "compliance_by_division_test",
    "compliance_by_command_area_test",
    "compliance_national_test",
]
RATE_COLUMNS = ["compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "status"]


@pytest.fixture(scope="module")
def national_pack(published_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("national")
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(out), "--national", check=True)
    return out


@pytest.fixture(scope="module")
def division_pack(published_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("division_L")
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(out), "--division", "L", check=True)
    return out


def read_mart(published_warehouse, mart):
    with duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(f"select * from marts.{mart}").df()


def test_national_pack_has_the_three_marts_and_no_record_level_data(national_pack):
    names = sorted(p.name for p in national_pack.iterdir())
    expected = sorted(f"{m}.{ext}" for m in COMPLIANCE_MARTS for ext in ("csv", "xlsx", "parquet"))
    assert names == expected


def test_national_pack_suppresses_rates_built_on_fewer_than_10_records(national_pack, published_warehouse):
    mart = read_mart(published_warehouse, "compliance_by_division_test")
    exported = pd.read_csv(national_pack / "compliance_by_division_test.csv", dtype={"fiscal_year": str})
    assert list(exported.columns) == list(mart.columns)
    assert len(exported) == len(mart)
    small = exported[exported.examined < 10]
    assert len(small) > 0, "the test data should include small cells"
    assert small[RATE_COLUMNS].isna().all().all()
    # Every figure shown is the published one; the blanks beyond the small cells are the complementary
    # cells (contract 5.1, tests/test_disclosure_outsider.py), a minority.
    keys = ["fiscal_year", "fiscal_quarter", "division_code", "test_code"]
    both = exported.merge(mart, on=keys, suffixes=("", "_mart"))
    shown = both[both.compliant.notna()]
    assert len(shown) > len(exported[exported.examined >= 10]) / 2
    assert shown.compliant.astype(int).tolist() == shown.compliant_mart.tolist()
    assert shown.compliance_pct.tolist() == pytest.approx(shown.compliance_pct_mart.tolist())


def test_excel_and_parquet_copies_match_the_csv(national_pack):
    csv = pd.read_csv(national_pack / "compliance_national_test.csv", dtype={"fiscal_year": str})
    parquet = pd.read_parquet(national_pack / "compliance_national_test.parquet")
    excel = pd.read_excel(national_pack / "compliance_national_test.xlsx", dtype={"fiscal_year": str})
    assert len(csv) == len(parquet) == len(excel) > 0
    assert csv.examined.tolist() == parquet.examined.tolist() == excel.examined.tolist()


def test_division_pack_holds_only_its_own_records(division_pack, published_warehouse):
    failures = pd.read_csv(division_pack / "record_failures.csv", dtype=str)
    assert len(failures) > 0
    assert set(failures.division_code) == {"L"}
    all_failures = read_mart(published_warehouse, "record_failures")
    assert len(failures) == (all_failures.division_code == "L").sum()
    divisions = pd.read_csv(division_pack / "compliance_by_division_test.csv", dtype=str)
    assert set(divisions.division_code) == {"L"}
    areas = pd.read_csv(division_pack / "compliance_by_command_area_test.csv", dtype=str)
    assert set(areas.command_area) == {"West"}


def test_export_refuses_an_unknown_division(published_warehouse, tmp_path):
    proc = run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(tmp_path), "--division", "Z")
    assert proc.returncode != 0
    assert "unknown division code 'Z'" in proc.stderr
    assert not any(tmp_path.iterdir())


def _as_csv_text(value: object, csv_text: str) -> bool:
    """Does an Excel cell (as openpyxl reads it back) hold what the CSV copy wrote as `csv_text`?"""
    if value is None:
        return csv_text == ""
    if isinstance(value, bool):
        return csv_text == str(value).lower()
    if isinstance(value, datetime.datetime):
        if len(csv_text) == 10:  # a DATE column: a whole day
            return value.time() == datetime.time(0) and value.date() == datetime.date.fromisoformat(csv_text)
        return value == datetime.datetime.fromisoformat(csv_text)
    if isinstance(value, int | float):
        return csv_text != "" and float(csv_text) == pytest.approx(value, rel=1e-12, abs=0)
    return value == csv_text


def test_every_excel_copy_of_a_division_pack_holds_the_csv(division_pack):
    """Every sheet of every `.xlsx`, read back with openpyxl (read-only), cell by cell against the CSV: the
    record-level files included, so the writer's types (text, numbers, dates, timestamps, empty cells) are
    all checked, and no row is lost or added."""
    marts = sorted(p.stem for p in division_pack.glob("*.csv"))
    assert {"record_failures", "worklist", "compliance_by_division_test"} <= set(marts)
    checked = 0
    for mart in marts:
        with (division_pack / f"{mart}.csv").open(newline="", encoding="utf-8") as handle:
            expected = list(csv.reader(handle))
        book = openpyxl.load_workbook(division_pack / f"{mart}.xlsx", read_only=True)
        try:
            assert book.sheetnames == [mart[:28] if len(expected) > 1 else mart[:31]]
            rows = [[cell.value for cell in row] for row in book[book.sheetnames[0]].iter_rows()]
        finally:
            book.close()
        assert len(rows) == len(expected), mart
        assert [str(v) for v in rows[0]] == expected[0], mart
        for number, (got, want) in enumerate(zip(rows[1:], expected[1:], strict=True), start=2):
            got = got + [None] * (len(want) - len(got))  # a row may end at its last non-empty cell
            bad = [(h, g, w) for h, g, w in zip(expected[0], got, want, strict=True) if not _as_csv_text(g, w)]
            assert not bad, f"{mart}.xlsx row {number}: {bad[:3]}"
            checked += 1
    assert checked > 100
