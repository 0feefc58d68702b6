"""Excel copies of query results, written from Arrow by a Rust writer (jetxl) instead of cell by cell.

A division's pack over ten years holds two record-level files of about 300,000 rows by 20-odd columns at
national volume; pandas + openpyxl wrote them at roughly 25,000 cells a second (87 s for the pack), jetxl
writes the same sheets from the Arrow buffers DuckDB hands over, in a second or two (docs/benchmarks.md).

What a reader gets back is what pandas + openpyxl wrote: the same sheet names, a header row of the column
names, strings as text, numbers as numbers, booleans as booleans, NULL as an empty cell, dates and
timestamps as Excel dates (shown `yyyy-mm-dd` and `yyyy-mm-dd hh:mm:ss`, as the CSV copy writes them).
A result longer than a sheet holds continues on further sheets (`<name>_2`, ...), so nothing is cut.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa

SHEET_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows a sheet, less the header row
DATE_FORMAT = "yyyy-mm-dd"
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm:ss"


def sheet_names(sheet: str, rows: int, max_rows: int = SHEET_MAX_ROWS) -> list[str]:
    """The sheets `rows` rows take (Excel names are at most 31 characters): `name`, `name_2`, ..."""
    if rows == 0:
        return [sheet[:31]]
    parts = -(-rows // max_rows)
    return [sheet[:28] if part == 0 else f"{sheet[:26]}_{part + 1}" for part in range(parts)]


def _writable(table: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    """`table` with the types the writer takes (decimals and 128-bit integers as floats, as pandas wrote
    them; time zones dropped after conversion to UTC, which Excel cannot hold), and each date or timestamp
    column's number format."""
    fields, formats = [], {}
    for field in table.schema:
        kind = field.type
        if pa.types.is_decimal(kind):
            kind = pa.float64()
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp(kind.unit)
            formats[field.name] = TIMESTAMP_FORMAT
        elif pa.types.is_date(kind):
            formats[field.name] = DATE_FORMAT
        elif pa.types.is_dictionary(kind):
            kind = kind.value_type
        elif pa.types.is_null(kind):  # a column with no value at all (from pandas, say): empty cells
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    schema = pa.schema(fields)
    return (table if schema == table.schema else table.cast(schema)), formats


def write_xlsx(table: pa.Table, path: Path, sheet: str, max_rows: int = SHEET_MAX_ROWS) -> list[str]:
    """Write `table` to `path` as one sheet (more when it is longer than a sheet); returns the sheet names."""
    import jetxl  # only for the Excel copy

    names = sheet_names(sheet, table.num_rows, max_rows)
    if table.num_rows == 0:
        # jetxl refuses an empty table: the header alone, written as a row of text without a header.
        header = pa.Table.from_arrays(
            [pa.array([name], pa.string()) for name in table.column_names],
            names=[f"c{i}" for i in range(table.num_columns)],
        )
        jetxl.write_sheet_arrow(header, str(path), sheet_name=names[0], write_header_row=False)
        return names
    data, formats = _writable(table)
    if len(names) == 1:
        jetxl.write_sheet_arrow(data, str(path), sheet_name=names[0], column_formats=formats)
        return names
    sheets = [
        {"data": data.slice(part * max_rows, max_rows), "name": name, "column_formats": formats}
        for part, name in enumerate(names)
    ]
    jetxl.write_sheets_arrow(sheets, str(path), num_threads=1)
    return names


def xlsx_bytes(table: pa.Table, sheet: str) -> bytes:
    """`write_xlsx` into memory, for a download made on click."""
    with tempfile.TemporaryDirectory(prefix="scrs-xlsx-") as tmp:
        path = Path(tmp) / "book.xlsx"
        write_xlsx(table, path, sheet)
        return path.read_bytes()
