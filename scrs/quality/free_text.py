"""Screening of free text for personal data: staff numbers and officers named by rank.

Free text typed by people (review notes on the worklist, improvement-plan progress notes) must not carry a
staff number or name an officer: the warehouse keeps officers only as pseudonyms. This module is the one
place that decides what counts as either, so every check that screens free text refuses the same things.

- **Staff number**: six digits standing alone, optionally after `SN` (`SN123456`, `SN 123456`, `100234`).
  Six digits that are part of a longer run, or of a reference joined by `-` or `/` (an incident id such as
  `PS-20210114-00123`, a crime id such as `CR/G/0001234/21`), are not flagged: those are record ids, which
  notes are expected to quote.
- **Rank and name**: a police rank, written out or abbreviated (`PC`, `DC`, `Sgt`, `DS`, `Insp`, `DI`,
  `CI`, `DCI`, `Supt`, `Ch Supt`, `Constable`, `Sergeant`, `Inspector`, ...), followed by an optional
  initial or two and a capitalised surname: `PC Smith`, `Sgt J Brown`, `Inspector McLeod`, `DC O'Neill`.

The patterns avoid look-behind so that DuckDB's (RE2) `regexp_matches` accepts them as well as Python's
`re` (`STAFF_NUMBER_REGEX`, `RANK_AND_NAME_REGEX`), for checks run in SQL over a whole extract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Ranks as written in notes; the longest alternatives first so `Ch Supt` is not read as `Ch` + `Supt`.
_RANKS = (
    r"Chief\s+Superintendent|Chief\s+Inspector|Detective\s+Constable|Detective\s+Sergeant|"
    r"Detective\s+Inspector|Detective\s+Chief\s+Inspector|Detective\s+Superintendent|"
    r"Superintendent|Inspector|Sergeant|Constable|Ch\.?\s*Supt|Ch\.?\s*Insp|"
    r"DCI|DSU|DCS|Supt|Insp|Sgt|PC|PS|DC|DS|DI|CI|ACC|DCC"
)
STAFF_NUMBER_REGEX = r"(?:^|[^\w/-])(?:[Ss][Nn]\s?)?\d{6}(?:$|[^\w/-])"
RANK_AND_NAME_REGEX = r"(?:^|[^\w])(?i:" + _RANKS + r")\.?\s+(?:[A-Z]\.?\s+){0,2}(?:Mc|Mac|O')?[A-Z][a-z'’-]+"

_STAFF_NUMBER = re.compile(STAFF_NUMBER_REGEX)
_RANK_AND_NAME = re.compile(RANK_AND_NAME_REGEX)


@dataclass(frozen=True)
class FreeTextProblem:
    """One kind of personal data found in a text (never the matched text itself: it is personal data)."""

    check: str  # 'staff_number' | 'rank_and_name'
    message: str


STAFF_NUMBER_PROBLEM = FreeTextProblem(
    "staff_number", "it contains what looks like a staff number (six digits); refer to officers by role, not number"
)
RANK_AND_NAME_PROBLEM = FreeTextProblem(
    "rank_and_name", "it names an officer by rank and name; refer to officers by role, not name"
)


def free_text_problems(text: str | None) -> list[FreeTextProblem]:
    """What personal data `text` carries (empty when it is fit to keep)."""
    if not text:
        return []
    problems = []
    if _STAFF_NUMBER.search(text):
        problems.append(STAFF_NUMBER_PROBLEM)
    if _RANK_AND_NAME.search(text):
        problems.append(RANK_AND_NAME_PROBLEM)
    return problems


def refusal(text: str | None, what: str = "The note") -> str | None:
    """A one-line refusal naming every problem in `text`, or None when it passes."""
    problems = free_text_problems(text)
    if not problems:
        return None
    return f"{what} was not saved: " + "; ".join(p.message for p in problems) + "."
