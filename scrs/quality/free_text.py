"""Free text must not carry personal data: staff numbers, collar numbers, or an officer's rank and name.

Free-text columns (`ColumnSpec.free_text`: improvement updates' `progress_note`, `next_steps`,
`revision_reason`, `reported_by`; crimes' `no_crime_reason`) reach the committee and every division, and are
never pseudonymised. `find_personal_data` is THE rule, for one piece of text (a review note typed into the
dashboard uses it too); `screen_free_text` applies it to a landing batch as a blocking check: a file with a hit
is quarantined with the column and line numbers, and the matched text is never repeated in the report (it is
the personal data).

At volume: DuckDB first keeps only values containing four digits in a row or a rank as the patterns spell it
(every match of the patterns contains one, so nothing is missed); only those values are handed to Python's
`re` for the exact rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from scrs.ingest import schema
from scrs.ingest.landing import MAX_SAMPLE_LINES, FileFault

CHECK = "free_text_has_no_personal_data"

# Ranks as written in police text: abbreviations (case as written) and words (any case of the first letter).
_RANK_ABBREVIATIONS = (
    "PC", "WPC", "SPC", "DC", "TDC", "PS", "DS", "Sgt", "DSgt", "Insp", "DI", "CI", "DCI", "Supt", "Ch Supt",
    "CSupt", "DSupt", "DCS", "ACC", "DCC",
)  # fmt: skip
_RANK_WORDS = ("Constable", "Sergeant", "Inspector", "Superintendent")
_RANK = (
    r"(?:"
    + "|".join(re.escape(a) for a in sorted(_RANK_ABBREVIATIONS, key=len, reverse=True))
    + "|"
    + "|".join(f"[{w[0]}{w[0].lower()}]{w[1:]}" for w in _RANK_WORDS)
    + r")"
)
# A name: a capitalised word (Smith, McLeod, O'Neil, Smith-Jones) or an initial ("Insp. J. Brown"). A name in
# capitals only ("PC SMITH") is not caught: too many acronyms follow a rank in ordinary text.
_NAME = r"(?:(?:[A-Z]\.?\s+)*[A-Z][a-z]*(?:['-]?[A-Z]?[a-z]+)+|[A-Z]\.)"  # initials, with or without dots

PATTERNS: dict[str, re.Pattern[str]] = {
    # The force's staff number (`SN` and digits, as in training extracts) and any bare 6-8 digit number.
    "staff_number": re.compile(r"(?i:\bSN ?[0-9]{4,}\b)|(?<![0-9])[0-9]{6,8}(?![0-9])"),
    # A rank followed by a collar or warrant number: "PC 1234", "Sgt. 567".
    "rank_and_number": re.compile(rf"\b{_RANK}\.?\s*[0-9]{{2,6}}\b"),
    # A rank followed by a name: "PC Smith", "DS McLeod", "Insp. J. Brown", "Sergeant O'Neil".
    "rank_and_name": re.compile(rf"\b{_RANK}\.?\s+{_NAME}"),
}

# What DuckDB keeps for the exact check (RE2): four digits, or a rank as PATTERNS spell it. Every match of a
# pattern contains one of these, so the prefilter never drops a value the patterns would catch.
PREFILTER = "|".join(
    [
        "[0-9]{4}",
        *sorted({a.split()[-1] for a in _RANK_ABBREVIATIONS}),
        *(f"[{w[0]}{w[0].lower()}]{w[1:]}" for w in _RANK_WORDS),
    ]
)


@dataclass(frozen=True)
class Finding:
    """One kind of personal data found in a text, and where (character offsets); never the text itself."""

    kind: str
    start: int
    end: int


def find_personal_data(text: str | None) -> list[Finding]:
    """Every staff number, rank-and-number and rank-and-name in `text`, in order of position."""
    if not text:
        return []
    found = [Finding(kind, m.start(), m.end()) for kind, pattern in PATTERNS.items() for m in pattern.finditer(text)]
    return sorted(found, key=lambda f: (f.start, f.kind))


def free_text_columns(kind: str) -> list[str]:
    return [c.name for c in schema.columns(kind) if c.free_text]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def screen_free_text(con: duckdb.DuckDBPyConnection, kind: str, file_names: Iterable[str]) -> list[FileFault]:
    """One blocking FileFault per file and free-text column holding personal data (`landing.<kind>` rows)."""
    names = list(dict.fromkeys(file_names))
    columns = free_text_columns(kind)
    if not names or not columns:
        return []
    faults: list[FileFault] = []
    for column in columns:
        candidates = con.sql(
            f"""select _source_file, _source_line, {_q(column)} from landing.{kind}
                where _source_file in (select unnest($names)) and {_q(column)} is not null
                  and regexp_matches({_q(column)}, $prefilter)
                order by _source_file, _source_line""",
            params={"names": names, "prefilter": PREFILTER},
        ).fetchall()
        hits: dict[str, dict[str, list[int]]] = {}
        for file_name, line, value in candidates:
            for finding in {f.kind for f in find_personal_data(value)}:
                hits.setdefault(file_name, {}).setdefault(finding, []).append(int(line))
        for file_name, by_kind in hits.items():
            lines = sorted({line for found in by_kind.values() for line in found})
            what = ", ".join(f"{k.replace('_', ' ')} ({len(v)})" for k, v in sorted(by_kind.items()))
            faults.append(
                FileFault(
                    file=file_name,
                    check=CHECK,
                    message=f"{len(lines)} value(s) of {column} look like personal data: {what}; "
                    "the values are not repeated here",
                    line_numbers=lines[:MAX_SAMPLE_LINES],
                    count=len(lines),
                    kind=kind,
                    column=column,
                )
            )
    return faults
