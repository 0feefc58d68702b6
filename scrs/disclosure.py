"""Small-cell suppression (contract 5.1): the one implementation, used by `scrs export` and the dashboard.

Primary rule: a cell built on fewer than `min_records` records shows its count only; its compliant count,
rate, interval, status and every count or share derived from it are blank (missing). The count column stays
unless it is itself listed among the columns to blank (a count of failing records is itself a small count).

A pure function over a pandas DataFrame: callers say which column counts the records, which columns to
blank, which rows are exempt (a division user's own division) and the hierarchy columns that place a cell
(period, test, area, division), so complementary suppression (5.1: no blanked value may be worked out from
its group's other cells and the group's total) can be added here without changing any caller.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# The figures of a compliance cell blanked when it is suppressed (its `examined` count stays).
RATE_COLUMNS = ("compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "status")
# Where a cell of each compliance mart sits: the columns of its groups, for disclosure control.
COMPLIANCE_HIERARCHY: dict[str, tuple[str, ...]] = {
    "compliance_by_division_test": ("fiscal_year", "fiscal_quarter", "command_area", "division_code", "test_code"),
    "compliance_by_command_area_test": ("fiscal_year", "fiscal_quarter", "command_area", "test_code"),
    "compliance_national_test": ("fiscal_year", "fiscal_quarter", "test_code"),
}


def _blank(column: pd.Series, mask: pd.Series) -> pd.Series:
    """`column` with the rows of `mask` missing, in a type that holds a missing value like its own.

    Integer counts become nullable integers (a count stays a count in a CSV, not 12.0), floats NaN, anything
    else None.
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean").mask(mask)
    if pd.api.types.is_integer_dtype(column.dtype):
        return column.astype("Int64").mask(mask)
    if pd.api.types.is_float_dtype(column.dtype):
        return column.mask(mask)
    return column.astype("object").mask(mask, None)


def small_cells(
    frame: pd.DataFrame, min_records: int, *, count_col: str = "examined", exempt: pd.Series | None = None
) -> pd.Series:
    """True for each row built on fewer than `min_records` records (a missing count is not small), except
    rows where `exempt` is true."""
    if count_col not in frame.columns:
        raise KeyError(f"small-cell suppression: no column {count_col!r}")
    counts = pd.to_numeric(frame[count_col], errors="coerce")
    small = (counts < min_records).fillna(False).astype(bool)
    if exempt is not None:
        small = small & ~exempt.reindex(frame.index).fillna(False).astype(bool)
    return small


def suppress_small_cells(
    frame: pd.DataFrame,
    min_records: int,
    *,
    count_col: str = "examined",
    blank: Sequence[str] = RATE_COLUMNS,
    hierarchy: Sequence[str] = (),
    exempt: pd.Series | None = None,
    flag_col: str | None = None,
) -> pd.DataFrame:
    """A copy of `frame` with the `blank` columns of every small cell missing (contract 5.1, primary rule).

    `hierarchy`: the columns that place a cell in its groups (e.g. fiscal_year, fiscal_quarter, test_code,
    command_area, division_code); the primary rule does not need them, complementary suppression will.
    `exempt`: rows never suppressed (a division user's own division). `flag_col`: when given, a boolean
    column of that name marks the suppressed rows (the dashboard renders them as "suppressed").
    Columns of `blank` the frame does not have are ignored; `frame` itself is not modified.
    """
    missing = [c for c in hierarchy if c not in frame.columns]
    if missing:
        raise KeyError(f"small-cell suppression: no hierarchy column {', '.join(map(repr, missing))}")
    small = small_cells(frame, min_records, count_col=count_col, exempt=exempt)
    out = frame.copy()
    for column in blank:
        if column in out.columns:
            out[column] = _blank(out[column], small)
    if flag_col is not None:
        out[flag_col] = small
    return out
