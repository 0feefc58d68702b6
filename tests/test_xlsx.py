"""`scrs.xlsx`: the Excel copies of a pack, read back with openpyxl against values written here by hand."""

from __future__ import annotations

import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from scrs.xlsx import sheet_names, write_xlsx

ROWS_SQL = """
select * from (values
    ('G', 1, 95.25, date '2020-04-01', timestamp '2020-04-01 09:30:15', true, 12.50::decimal(6, 2), ' a<b> & "c" '),
    (null, null, null, null, null, null, null, ''),
    ('L', 3, -0.5, date '2021-03-31', timestamp '2021-03-31 23:59:59', false, 0.01::decimal(6, 2), 'é€')
) as t(code, quarter, pct, event_date, recorded_at, informed, amount, note)
"""


def read_back(path: Path) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {name: [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}
    finally:
        book.close()


def number_formats(path: Path, sheet: str, row: int) -> list[str]:
    book = openpyxl.load_workbook(path)  # not read-only: number formats of empty-typed cells included
    try:
        return [cell.number_format for cell in book[sheet][row]]
    finally:
        book.close()


def test_types_come_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "rows.xlsx"
    table = duckdb.sql(ROWS_SQL).to_arrow_table()
    assert write_xlsx(table, path, "record_failures") == ["record_failures"]
    sheets = read_back(path)
    assert list(sheets) == ["record_failures"]
    header, *rows = sheets["record_failures"]
    assert header == ["code", "quarter", "pct", "event_date", "recorded_at", "informed", "amount", "note"]
    first = ["G", 1, 95.25, datetime.datetime(2020, 4, 1), datetime.datetime(2020, 4, 1, 9, 30, 15), True, 12.5]
    assert rows[0] == [*first, ' a<b> & "c" ']
    assert all(v is None for v in rows[1])  # NULL (and the empty string) as an empty cell, as pandas wrote it
    assert rows[2] == ["L", 3, -0.5, datetime.datetime(2021, 3, 31), datetime.datetime(2021, 3, 31, 23, 59, 59)] + [
        False,
        0.01,
        "é€",
    ]
    # Dates and timestamps are shown as the CSV copy writes them.
    formats = number_formats(path, "record_failures", 2)
    assert formats[3] == "yyyy-mm-dd"
    assert formats[4] == "yyyy-mm-dd hh:mm:ss"


def test_a_result_longer_than_a_sheet_continues_on_further_sheets(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    table = duckdb.sql("select i as n, 'r' || i as label from range(1, 11) t(i)").to_arrow_table()
    names = write_xlsx(table, path, "audit_agreement_by_division_test", max_rows=4)
    assert names == ["audit_agreement_by_division_", "audit_agreement_by_divisio_2", "audit_agreement_by_divisio_3"]
    sheets = read_back(path)
    assert list(sheets) == names
    assert all(rows[0] == ["n", "label"] for rows in sheets.values())
    assert [len(rows) - 1 for rows in sheets.values()] == [4, 4, 2]
    assert [row for rows in sheets.values() for row in rows[1:]] == [[i, f"r{i}"] for i in range(1, 11)]


@pytest.mark.parametrize(("rows", "expected"), [(0, 1), (1, 1), (1_048_575, 1), (1_048_576, 2), (3_000_000, 3)])
def test_sheet_count_follows_excels_row_limit(rows: int, expected: int) -> None:
    assert len(sheet_names("record_failures", rows)) == expected


def test_an_empty_result_is_its_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    table = duckdb.sql("select 'x' as test_code, 1 as rows, date '2020-01-01' as day where false").to_arrow_table()
    assert write_xlsx(table, path, "compliance_by_command_area_test") == ["compliance_by_command_area_test"]
    assert read_back(path) == {"compliance_by_command_area_test": [["test_code", "rows", "day"]]}


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    """A free-text field starting with `=` is shown as written, never evaluated (pandas + openpyxl wrote it
    as a formula)."""
    path = tmp_path / "notes.xlsx"
    write_xlsx(duckdb.sql("select * from (values ('=1+1'), ('=HYPERLINK(\"x\")')) t(note)").to_arrow_table(), path, "w")
    book = openpyxl.load_workbook(path)
    try:
        cells = [(c.value, c.data_type) for row in book["w"].iter_rows(min_row=2) for c in row]
    finally:
        book.close()
    assert cells == [("=1+1", "s"), ('=HYPERLINK("x")', "s")]


def test_a_frame_with_an_all_empty_column_goes_to_bytes(tmp_path: Path) -> None:
    """The worklist page's download: a pandas frame (a column with no value at all has Arrow type null)."""
    import io

    import pandas as pd
    import pyarrow as pa

    from scrs.xlsx import xlsx_bytes

    frame = pd.DataFrame({"record_id": ["C1", "C2"], "review_note": [None, None], "age_days": [3, 40]})
    data = xlsx_bytes(pa.Table.from_pandas(frame, preserve_index=False), "worklist")
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        assert book.sheetnames == ["worklist"]
        rows = [[c.value for c in row] for row in book["worklist"].iter_rows()]
    finally:
        book.close()
    assert rows == [["record_id", "review_note", "age_days"], ["C1", None, 3], ["C2", None, 40]]
