"""Disclosure control for every table of the committee pack (contract section 5.1), in one place.

`suppress` is the only function the pack calls to blank anything. It applies
- the primary rule: a row built on fewer than `min_records` records shows its count only; the columns
  computed from it (compliant, rate, interval, status, changes) are blank;
- rules for figures built on another count (a change a year earlier is built on that year's count too);
- the complementary rule within each group of rows that are parts of a published total (the divisions of
  one command area, the areas of Scotland, the categories of one scheme, the recording units of one test):
  where exactly one part of a group is blanked, the smallest visible part is blanked too, repeated until no
  group has a single blanked part, so no blanked value can be worked out by subtraction.

Which cells are small is decided by `scrs.disclosure.small_cells`, the project's one implementation of the
threshold (shared with `scrs export` and the dashboard). The complementary rule is applied here because
`scrs.disclosure` does not implement it yet; when it does, this function should delegate to it too.
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
    """Blank `columns` where `count` is below the threshold (a missing count blanks nothing)."""

    count: str
    columns: tuple[str, ...]


# The rules of the compliance tables: the row's own count blanks its figures and every change built on it;
# an earlier period's count blanks the earlier rate and the change built on it.
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
    rows: Iterable[Mapping[str, Any]],
    min_records: int,
    rules: Sequence[Rule] = COMPLIANCE_RULES,
    groups: Sequence[Sequence[str]] = (),
) -> list[dict[str, Any]]:
    """Copies of `rows` with section 5.1 applied; each gets `suppressed` (True where anything was blanked).

    `groups`: each a list of columns whose values identify a set of sibling rows that add up to a published
    total (e.g. ["test_code", "command_area"] for the divisions of an area). The complementary rule runs on
    the first rule's count (the row's own).
    """
    out = [{**row, SUPPRESSED_FLAG: False, BLANKED_COLUMNS: ()} for row in rows]
    if not out:
        return out
    primary = rules[0]
    blanked: set[int] = set()
    for rule in rules:
        counts = pd.DataFrame({rule.count: [row.get(rule.count) for row in out]})
        for index in counts.index[small_cells(counts, min_records, count_col=rule.count)]:
            _blank(out[index], rule.columns)
            if rule is primary:
                blanked.add(int(index))
    changed = True
    while changed:
        changed = False
        for group_columns in groups:
            members: dict[tuple, list[int]] = {}
            for index, row in enumerate(out):
                members.setdefault(tuple(row.get(c) for c in group_columns), []).append(index)
            for indexes in members.values():
                hidden = [i for i in indexes if i in blanked]
                visible = [i for i in indexes if i not in blanked]
                if len(hidden) == 1 and visible:
                    smallest = min(visible, key=lambda i: (out[i].get(primary.count) or 0, i))
                    _blank(out[smallest], primary.columns)
                    blanked.add(smallest)
                    changed = True
    return out
