"""The pack's findings say why a headline figure is blank, truthfully: a cell with too few records of its own,
or a complementary cell (enough records, withheld so a smaller blanked one cannot be subtracted out)."""

from __future__ import annotations

from scrs.report.findings import headline_findings
from scrs.report.model import Pack, Publication, Table


def _pack(rows: list[dict]) -> Pack:
    pack = Pack("2020/21", 4, Publication("run-1", "2021-04-02"), "now", False, 95.0, 10)
    pack.tables["headline"] = Table("headline", "Headline", [], rows, "source")
    return pack


def _blank(test_code: str, examined: int) -> dict:
    return {"measure": "No Crime", "test_code": test_code, "examined": examined, "compliance_pct": None}


def test_a_small_blanked_cell_is_said_to_have_too_few_records() -> None:
    (sentence,) = headline_findings(_pack([_blank("NOCRIME", 9)]))
    assert sentence == "No Crime (NOCRIME): 9 records examined, too few to publish a rate (fewer than 10)."


def test_a_complementary_blank_is_not_said_to_have_fewer_than_the_threshold() -> None:
    # 22 records (the 2019/20 Q4 Scotland NOCRIME case of the test data): blanked to protect another cell
    (sentence,) = headline_findings(_pack([_blank("NOCRIME", 22)]))
    assert "fewer than" not in sentence and "too few" not in sentence
    assert sentence.startswith("No Crime (NOCRIME): 22 records examined; the rate is withheld")
    assert "subtraction" in sentence


def test_exactly_the_threshold_is_not_small() -> None:
    (sentence,) = headline_findings(_pack([_blank("NOCRIME", 10)]))
    assert "too few" not in sentence
