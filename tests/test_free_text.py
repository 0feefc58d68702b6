"""Free-text screening (scrs/quality/free_text.py): hand-checked texts, and the same verdicts from DuckDB's
regex engine (the patterns are meant for SQL checks over whole extracts as well)."""

from __future__ import annotations

import duckdb
import pytest

from scrs.quality.free_text import RANK_AND_NAME_REGEX, STAFF_NUMBER_REGEX, free_text_problems, refusal

CASES = [
    ("Spoke to PC Smith about the late record", {"rank_and_name"}),
    ("Sgt J Brown keyed it", {"rank_and_name"}),
    ("sgt Brown agreed", {"rank_and_name"}),
    ("Inspector McLeod to confirm", {"rank_and_name"}),
    ("passed to DC O'Neill", {"rank_and_name"}),
    ("Ch Supt Grant signed off", {"rank_and_name"}),
    ("officer 100234 recorded it", {"staff_number"}),
    ("SN123456", {"staff_number"}),
    ("see sn 654321 and PC Gray", {"staff_number", "rank_and_name"}),
    ("PS-20210114-00123 now has a crime", set()),
    ("CR/G/0001234/21 reclassified", set()),
    ("recorded on 20210114, 7 days late", set()),
    ("Crime Manager confirmed the No Crime", set()),
    ("PC to review tomorrow", set()),
    ("", set()),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_hand_checked_texts(text, expected):
    assert {p.check for p in free_text_problems(text)} == expected
    assert (refusal(text) is None) == (not expected)


def test_duckdb_gives_the_same_verdicts():
    texts = [text for text, _ in CASES]
    rows = duckdb.sql(
        "select t, regexp_matches(t, $staff), regexp_matches(t, $rank) from unnest($texts) as u(t)",
        params={"staff": STAFF_NUMBER_REGEX, "rank": RANK_AND_NAME_REGEX, "texts": texts},
    ).fetchall()
    got = {t: {c for c, hit in (("staff_number", s), ("rank_and_name", r)) if hit} for t, s, r in rows}
    assert got == dict(CASES)


def test_a_refusal_never_repeats_the_personal_data():
    message = refusal("officer 100234, PC Smith")
    assert message and "100234" not in message and "Smith" not in message
