"""The committee pack (`scrs report`, contract section 7) on the session's published warehouse.

The headline is recomputed independently: counts from the generator's planted truth, intervals by
statsmodels (Wilson, and Newcombe's hybrid score interval for changes), suppression by contract 5.1's rule
written out here. The PDF and Word files are parsed back. One `scrs report` run for the whole module; it
is a draft, so nothing is recorded (the session's `draft_pack`, shared with the paper's accessibility test).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee
from tests.conftest import run_scrs

YEAR, QUARTER = "2020/21", 4
MIN_RECORDS = 10
TESTS = ["TEST1", "TEST2", "NOCRIME", "TIMELY72", "CYBER"]


@pytest.fixture(scope="module")
def pack(draft_pack: Path) -> Path:
    """The session's draft pack (`draft_pack` in tests/conftest.py: `scrs report` once, shared with the
    accessibility test of the paper)."""
    assert not (draft_pack / "as_reported.sqlite").exists(), "a draft pack must not record figures as reported"
    return draft_pack / "out"


@pytest.fixture(scope="module")
def national_pack(published_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scrs export --national`: the committee's suppression pattern (contract 5.1) the paper must follow."""
    out = tmp_path_factory.mktemp("national")
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(out), "--national", check=True)
    return out


def blanked(national_pack: Path, mart: str, keys: tuple[str, ...]) -> set[tuple]:
    """The cells `scrs export --national` blanks in a compliance mart (compliant left empty)."""
    return {
        tuple(int(row[k]) if k == "fiscal_quarter" else row[k] for k in keys)
        for row in read_csv(national_pack / f"{mart}.csv")
        if row["compliant"] == ""
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def truth_totals(truth_dir: Path) -> dict[tuple[str, int, str], tuple[int, int]]:
    totals: dict[tuple[str, int, str], list[int]] = {}
    for row in read_csv(truth_dir / "compliance_truth.csv"):
        key = (row["fiscal_year"], int(row["fiscal_quarter"]), row["test_code"])
        total = totals.setdefault(key, [0, 0])
        total[0] += int(row["examined"])
        total[1] += int(row["compliant"])
    return {key: (e, c) for key, (e, c) in totals.items()}


def pct(compliant: int, examined: int) -> str:
    # Rounded half up from the exact fraction, as published.
    return f"{math.floor(10000 * compliant / examined + 0.5 + 1e-9) / 100:.2f}"


def change_words(lower: float, upper: float) -> str:
    return "improved" if lower > 0 else "worsened" if upper < 0 else "no_clear_change"


def expected_change(
    now: tuple[int, int], before: tuple[int, int] | None, now_hidden: bool, before_hidden: bool
) -> list[str]:
    """previous pct, change, lower, upper, words: recomputed with statsmodels (blank without an earlier
    figure, or when either cell is suppressed for the committee)."""
    if before is None or before_hidden or now_hidden:
        previous = "" if before is None or before_hidden else pct(before[1], before[0])
        return [previous, "", "", "", ""]
    lower, upper = confint_proportions_2indep(now[1], now[0], before[1], before[0], method="newcomb")
    diff = 100 * (now[1] / now[0] - before[1] / before[0])
    return [
        pct(before[1], before[0]),
        f"{round(diff, 2):.2f}",
        f"{round(100 * lower, 2):.2f}",
        f"{round(100 * upper, 2):.2f}",
        change_words(lower, upper),
    ]


def test_headline_csv_is_contract_7_and_equals_independent_recomputation(pack, pipeline_run, national_pack) -> None:
    rows = read_csv(pack / "tables" / "headline.csv")
    with (pack / "tables" / "headline.csv").open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert header == [
        "test_code", "measure", "examined", "compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct",
        "status", "previous_year_pct", "change_pp", "change_ci_lower_pp", "change_ci_upper_pp", "change",
        "previous_quarter_pct", "qoq_change_pp", "qoq_ci_lower_pp", "qoq_ci_upper_pp", "qoq_change",
    ]  # fmt: skip
    truth = truth_totals(pipeline_run["truth"])
    hidden = blanked(national_pack, "compliance_national_test", ("fiscal_year", "fiscal_quarter", "test_code"))
    assert {key for key, (examined, _) in truth.items() if examined < MIN_RECORDS} <= hidden
    assert [r["test_code"] for r in rows] == [t for t in TESTS if (YEAR, QUARTER, t) in truth]
    for row in rows:
        test = row["test_code"]
        examined, compliant = truth[(YEAR, QUARTER, test)]
        assert int(row["examined"]) == examined, test
        figures = [row[c] for c in ("compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "status")]
        if (YEAR, QUARTER, test) in hidden:
            assert figures == ["", "", "", "", ""], test
        else:
            lower, upper = proportion_confint(compliant, examined, alpha=0.05, method="wilson")
            status = "meets" if 100 * lower >= 95 else "below" if 100 * upper < 95 else "not_distinguishable"
            assert figures == [
                str(compliant),
                pct(compliant, examined),
                f"{round(100 * lower, 2):.2f}",
                f"{round(100 * upper, 2):.2f}",
                status,
            ], test
        year_key, quarter_key = (f"{int(YEAR[:4]) - 1}/{YEAR[2:4]}", QUARTER, test), (YEAR, QUARTER - 1, test)
        year_before, quarter_before = truth.get(year_key), truth.get(quarter_key)
        now_hidden = (YEAR, QUARTER, test) in hidden
        yoy = [row[c] for c in ("previous_year_pct", "change_pp", "change_ci_lower_pp", "change_ci_upper_pp", "change")]
        qoq = [
            row[c]
            for c in ("previous_quarter_pct", "qoq_change_pp", "qoq_ci_lower_pp", "qoq_ci_upper_pp", "qoq_change")
        ]
        assert yoy == expected_change((examined, compliant), year_before, now_hidden, year_key in hidden), test
        assert qoq == expected_change((examined, compliant), quarter_before, now_hidden, quarter_key in hidden), test


def test_headline_csv_equals_the_change_mart(pack, published_warehouse) -> None:
    con = duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        mart = {
            r[0]: r[1:]
            for r in con.execute(
                "select test_code, examined, compliant, change_pp, qoq_change_pp, change, qoq_change "
                "from marts.compliance_change_national_test where fiscal_year = ? and fiscal_quarter = ?",
                [YEAR, QUARTER],
            ).fetchall()
        }
    finally:
        con.close()
    for row in read_csv(pack / "tables" / "headline.csv"):
        examined, compliant, change_pp, qoq_pp, change, qoq_change = mart[row["test_code"]]
        assert int(row["examined"]) == examined
        if row["compliant"]:
            assert int(row["compliant"]) == compliant
        if row["change_pp"]:
            assert (float(row["change_pp"]), row["change"]) == (change_pp, change)
        if row["qoq_change_pp"]:
            assert (float(row["qoq_change_pp"]), row["qoq_change"]) == (qoq_pp, qoq_change)


def test_every_table_is_suppressed_per_contract_5_1(pack, national_pack, published_warehouse, monkeypatch) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    tables = pack / "tables"
    for name in ("divisions", "command_areas", "categories", "units", "trend"):
        rows = read_csv(tables / f"{name}.csv")
        assert rows, name
        for row in rows:
            if int(row["examined"]) < MIN_RECORDS:
                assert row["compliant"] == row["compliance_pct"] == row["status"] == "", (name, row)
    # Divisions, areas and the trend blank exactly the cells `scrs export --national` blanks (the
    # committee's whole-hierarchy pattern, complementary cells included).
    for name, mart, keys in (
        ("divisions", "compliance_by_division_test", ("division_code", "test_code")),
        ("command_areas", "compliance_by_command_area_test", ("command_area", "test_code")),
    ):
        expected = {
            key[2:]
            for key in blanked(national_pack, mart, ("fiscal_year", "fiscal_quarter", *keys))
            if key[:2] == (YEAR, QUARTER)
        }
        shown = {tuple(r[k] for k in keys) for r in read_csv(tables / f"{name}.csv") if r["compliant"] == ""}
        assert shown == expected, name
    trend = {
        (r["fiscal_year"], int(r["fiscal_quarter"]), r["test_code"])
        for r in read_csv(tables / "trend.csv")
        if r["compliant"] == ""
    }
    national = blanked(national_pack, "compliance_national_test", ("fiscal_year", "fiscal_quarter", "test_code"))
    assert trend == {k for k in national if (k[0], k[1]) <= (YEAR, QUARTER)}
    # Crime types and units: the paper blanks exactly the cells the dashboard blanks for the committee (one
    # pattern, `scrs.disclosure.committee_pattern`; tests/test_disclosure_outsider_thematic.py attacks it).
    viewer = Viewer("committee", username="committee")
    for name, frame, keys in (
        ("categories", committee.categories(viewer, YEAR, QUARTER), ("test_code", "scheme", "category_code")),
        ("units", committee.units(viewer, YEAR, QUARTER), ("test_code", "recording_unit")),
    ):
        paper = {tuple(r[k] for k in keys): r["compliant"] == "" for r in read_csv(tables / f"{name}.csv")}
        shown = {tuple(r[k] for k in keys): pd.isna(r["compliant"]) for r in frame.to_dict("records")}
        assert paper == shown, name
        assert len(paper) > 0
        if name == "categories":
            assert any(paper.values()), "the small test data should have blanked crime types"
    divisions = read_csv(tables / "divisions.csv")
    assert any(r["compliant"] == "" for r in divisions), "the small test data should have some small cells"


def test_pdf_and_docx_open_and_show_the_headline(pack) -> None:
    from docx import Document
    from pypdf import PdfReader

    headline = read_csv(pack / "tables" / "headline.csv")
    reader = PdfReader(str(pack / "committee_pack.pdf"))
    assert len(reader.pages) >= 3
    text = " ".join(page.extract_text() for page in reader.pages[:3])
    for row in headline:
        assert row["test_code"] in text
        if row["compliance_pct"]:
            assert row["compliance_pct"] in text

    document = Document(str(pack / "committee_pack.docx"))
    header = [
        "Test", "Measure", "Examined", "Compliant", "Rate %", "95% CI lower", "95% CI upper", "Against target",
    ]  # fmt: skip
    tables = [t for t in document.tables if [c.text for c in t.rows[0].cells][: len(header)] == header]
    assert tables, "the headline table is in the Word document"
    cells = [[cell.text for cell in r.cells] for r in tables[0].rows[1:]]
    assert len(cells) == len(headline)
    columns = list(headline[0].keys())
    for row, shown in zip(headline, cells, strict=True):
        for column, text in zip(columns, shown, strict=True):
            value = row[column]
            if value == "":
                assert text in ("[c]", "–"), (column, text)
            elif column in ("change_pp", "change_ci_lower_pp", "change_ci_upper_pp", "qoq_change_pp",
                            "qoq_ci_lower_pp", "qoq_ci_upper_pp"):  # fmt: skip
                assert float(text) == float(value), (column, text, value)
            else:
                assert text == value.replace("_", " "), (column, text, value)


def test_pack_cites_its_publication_and_carries_no_record_level_data(pack, published_warehouse) -> None:
    con = duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        run_id = con.execute("select run_id from meta.publication").fetchone()[0]
        record_ids = {r[0] for r in con.execute("select record_id from marts.record_failures").fetchall()}
    finally:
        con.close()
    html = (pack / "committee_pack.html").read_text(encoding="utf-8")
    assert html.count(f"publication {run_id}") >= 10  # every table's source line
    outputs = [html] + [p.read_text(encoding="utf-8") for p in (pack / "tables").glob("*.csv")]
    for text in outputs:
        assert not re.search(r"\bCR/[A-Z]/\d+|\bPS-\d{8}-\d+", text), "record ids must not appear"
        assert not any(record_id in text for record_id in list(record_ids)[:200])
    # Charts are images with text alternatives; tables have captions and column headers.
    images = re.findall(r"<img [^>]*>", html)
    assert images and all(re.search(r'alt="[^"]{40,}"', img) for img in images)
    assert html.count("<caption>") == html.count("<table>")
    assert '<th scope="col">' in html
