"""Disclosure control for every table of the committee pack (contract section 5.1), in one place.

`suppress` is the only function the pack calls to blank anything. It applies
- the primary rule: a row built on fewer than `min_records` records shows its count only; the columns
  computed from it (compliant, rate, interval, status, changes) are blank;
- rules for figures built on another count (a change a year earlier is built on that year's count too);
- the committee's pattern (each Rule's `hidden`): the complementary cells, so no blanked value can be
  worked out from the others and the sums they obey.

Which cells are small is decided by `scrs.disclosure.small_cells`, the project's one implementation of the
threshold. Every committee-facing table of crime-record figures (headline, areas, divisions, trend, as
reported, crime types, recording units) is blanked by the committee's one pattern
(`scrs.disclosure.committee_pattern`, through `scrs.export.compliance_hidden`), so the paper blanks exactly
the cells `scrs export` and the dashboard blank. There is no second complementary rule here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scrs.disclosure import RATE_COLUMNS as DISCLOSURE_RATE_COLUMNS
from scrs.disclosure import small_cells

RATE_COLUMNS = tuple(DISCLOSURE_RATE_COLUMNS)
YOY_COLUMNS = ("change_pp", "change_ci_lower_pp", "change_ci_upper_pp", "change")
QOQ_COLUMNS = ("qoq_change_pp", "qoq_ci_lower_pp", "qoq_ci_upper_pp", "qoq_change")
SUPPRESSED_FLAG = "suppressed"
BLANKED_COLUMNS = "suppressed_columns"  # which columns of the row were blanked (renderers mark them [c])


@dataclass(frozen=True)
class Rule:
    """Blank `columns` where `count` is below the threshold (a missing count blanks nothing), or where
    `hidden` (one flag per row, in order) says the cell is in the committee's suppression pattern
    (`scrs.disclosure.committee_pattern` over every committee-facing mart, primary and complementary, as
    `scrs export` and the dashboard blank it; `scrs.disclosure.hidden_in_period` for an earlier period)."""

    count: str
    columns: tuple[str, ...]
    hidden: Sequence[bool] | None = None


# The threshold-only rules of the compliance tables: the row's own count blanks its figures and every change
# built on it; an earlier period's count blanks the earlier rate and the change built on it.
COMPLIANCE_RULES = (
    Rule("examined", RATE_COLUMNS + YOY_COLUMNS + QOQ_COLUMNS),
    Rule("previous_year_examined", ("previous_year_pct", *YOY_COLUMNS)),
    Rule("previous_quarter_examined", ("previous_quarter_pct", *QOQ_COLUMNS)),
)


def _blank(row: dict[str, Any], columns: Iterable[str]) -> None:
    blanked = set(row[BLANKED_COLUMNS])
    for column in columns:
        if column in row:
            row[column] = None
            blanked.add(column)
    row[BLANKED_COLUMNS] = tuple(sorted(blanked))
    row[SUPPRESSED_FLAG] = bool(blanked)


def suppress(
    rows: Iterable[Mapping[str, Any]], min_records: int, rules: Sequence[Rule] = COMPLIANCE_RULES
) -> list[dict[str, Any]]:
    """Copies of `rows` with section 5.1 applied; each gets `suppressed` (True where anything was blanked) and
    `suppressed_columns`. Complementary cells come from the committee's pattern in each Rule's `hidden`."""
    out = [{**row, SUPPRESSED_FLAG: False, BLANKED_COLUMNS: ()} for row in rows]
    if not out:
        return out
    for rule in rules:
        counts = pd.DataFrame({rule.count: [row.get(rule.count) for row in out]})
        small = small_cells(counts, min_records, count_col=rule.count).tolist()
        if rule.hidden is not None:
            if len(rule.hidden) != len(out):
                raise ValueError(f"suppression rule on {rule.count!r}: {len(rule.hidden)} flags for {len(out)} rows")
            small = [a or bool(b) for a, b in zip(small, rule.hidden, strict=True)]
        for row, blank in zip(out, small, strict=True):
            if blank:
                _blank(row, rule.columns)
    return out
