"""The committee's paper on the dashboard (issue 14), in AppTest on the session's published warehouse:
changes in words decided by their interval (no arrow without a clear change), figures as reported beside
current with restatements flagged, the crime-type and unit views, and the paper as a logged download."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep
from streamlit.testing.v1 import AppTest

from scrs.report import as_reported
from scrs.report.data import current_figures
from streamlit_app.access.policy import AccessDenied, Viewer
from tests.access_helpers import ensure, make_users_file, sign_in

REPO_ROOT = Path(__file__).resolve().parent.parent

APP = REPO_ROOT / "streamlit_app" / "app.py"


@pytest.fixture
def warehouse(published_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the published warehouse file (the access log and the as-reported store are written)."""
    copy = tmp_path / "warehouse"
    copy.mkdir()
    shutil.copy2(published_warehouse / "warehouse.duckdb", copy / "warehouse.duckdb")
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(copy))
    monkeypatch.delenv("SCRS_AS_REPORTED_DB", raising=False)
    monkeypatch.setenv("SCRS_USERS_FILE", str(make_users_file(tmp_path / "users.json")))
    return copy


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def open_page(page: str, viewer: Viewer) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    sign_in(at, ensure(Path(os.environ["SCRS_USERS_FILE"]), viewer.role, viewer.division_code))
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def latest_audit_year(warehouse: Path) -> str:
    return rows(warehouse, "select max(fiscal_year) as y from marts.compliance_national_test where fiscal_quarter = 4")[
        0
    ]["y"]


def table_with(at: AppTest, column: str):
    for frame in at.dataframe:
        if column in frame.value.columns:
            yield frame.value


def test_overview_arrow_only_for_a_change_the_interval_supports(warehouse: Path) -> None:
    year = latest_audit_year(warehouse)
    marts = {
        r["test_code"]: r
        for r in rows(
            warehouse,
            "select c.*, t.test_name from marts.compliance_change_national_test c join reference.audit_tests t "
            "using (test_code) where fiscal_year = ? and fiscal_quarter = 4",
            [year],
        )
    }
    at = open_page("overview", Viewer("registrar"))
    metrics = {m.proto.label: m for m in at.metric}
    assert metrics
    for row in marts.values():
        # The words from statsmodels' Newcombe interval, independently of the mart.
        lo, hi = confint_proportions_2indep(
            row["compliant"], row["examined"], row["previous_year_compliant"], row["previous_year_examined"],
            method="newcomb",
        )  # fmt: skip
        words = "improved" if lo > 0 else "worsened" if hi < 0 else "no_clear_change"
        assert row["change"] == words
        metric = metrics[row["test_name"]]
        if words == "no_clear_change":
            assert metric.proto.delta == "", (row["test_name"], metric.proto.delta)
        else:
            assert words in metric.proto.delta
    shown = next(table_with(at, "Change on a year"))
    for _, line in shown.iterrows():
        expected = marts[line["Test code"]]["change"].replace("_", " ")
        assert line["Change on a year"].endswith(expected), line


def test_overview_shows_as_reported_beside_current_and_flags_restatements(warehouse: Path) -> None:
    year = latest_audit_year(warehouse)
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        figures = current_figures(con, year, 4)
    finally:
        con.close()
    # As reported: TEST1 nationally and in G had two more compliant records than the warehouse now holds.
    changed = {("national", "Scotland", "TEST1"), ("division", "G", "TEST1")}
    reported = [
        {**f, "compliant": f["compliant"] + 2} if (f["level"], f["unit_code"], f["test_code"]) in changed else f
        for f in figures
    ]
    store = warehouse / "state" / "as_reported.sqlite"
    as_reported.finalise(store, year, 4, reported, run_id="earlier-run", published_at="2021-05-01 06:00:00")

    at = open_page("overview", Viewer("committee"))
    assert any("restated since they were reported" in w.value for w in at.warning)
    table = next(table_with(at, "Rate as reported %"))
    test1 = table[(table["Level"] == "national") & (table["Test code"] == "TEST1")].iloc[0]
    now = next(f for f in figures if (f["level"], f["test_code"]) == ("national", "TEST1"))
    assert test1["Restated"] == "Restated"
    assert (test1["Compliant as reported"], test1["Compliant now"]) == (now["compliant"] + 2, now["compliant"])
    assert set(table[table["Test code"] != "TEST1"]["Restated"]) == {"Unchanged"}

    at = open_page("divisions", Viewer("registrar"))
    assert any("restated since they were reported" in w.value for w in at.warning)
    restated = next(table_with(at, "Rate as reported %"))
    g = next(f for f in figures if (f["level"], f["unit_code"], f["test_code"]) == ("division", "G", "TEST1"))
    assert list(restated["Division code"]) == ["G"]
    assert restated["Compliant / examined as reported"].iloc[0] == f"{g['compliant'] + 2:,} / {g['examined']:,}"
    assert restated["Compliant / examined now"].iloc[0] == f"{g['compliant']:,} / {g['examined']:,}"


def test_crime_types_page_shows_schemes_and_units_suppressed(warehouse: Path) -> None:
    at = open_page("crime_types", Viewer("committee"))
    headings = [h.value for h in at.subheader]
    assert any("HMICS" in h for h in headings) and "By recording unit" in headings
    units = next(table_with(at, "Recording unit"))
    assert "Resolution Teams" in set(units["Recording unit"])
    for frame in table_with(at, "Crime type"):
        small = frame[frame["Examined"] < 10]
        assert small["Compliance %"].isna().all()


def test_divisions_and_trends_show_changes_in_words(warehouse: Path) -> None:
    for page in ("divisions", "trends"):
        at = open_page(page, Viewer("engineer"))
        table = next(table_with(at, "Change on a year"))
        words = {text.rsplit(": ", 1)[-1] for text in table["Change on a year"] if text != "–"}
        assert words and words <= {"improved", "worsened", "no clear change"}, (page, words)


def test_paper_download_for_committee_and_registrar_only_and_logged(warehouse: Path) -> None:
    from streamlit_app.data import committee

    at = open_page("downloads", Viewer("committee"))
    assert any(b.proto.label.startswith("Committee paper") for b in at.get("download_button"))
    at = open_page("downloads", Viewer("division", "G"))
    assert not any(b.proto.label.startswith("Committee paper") for b in at.get("download_button"))

    year = latest_audit_year(warehouse)
    data = committee.paper_zip(Viewer("registrar", username="reg"), year, 4)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"committee_pack.html", "committee_pack.pdf", "committee_pack.docx", "tables/headline.csv"} <= names
    with pytest.raises(AccessDenied):
        committee.paper_zip(Viewer("division", "G", username="g"), year, 4)
    log = [json.loads(line) for line in (warehouse / "logs" / "access.jsonl").read_text().splitlines()]
    assert [(e["event"], e["scope"]) for e in log[-2:]] == [
        ("download", "committee paper"),
        ("access_denied", "committee paper"),
    ]
    assert not (warehouse / "state").exists(), "a downloaded paper is a draft: nothing recorded as reported"
