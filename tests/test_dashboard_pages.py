"""The committee dashboard, page by page, with Streamlit's AppTest (no browser).

Every figure asserted here is queried independently from the warehouse file with DuckDB, never through the
app's own data modules, so a wrong query in the app fails a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from scrs.disclosure import suppress_small_cells
from streamlit_app.access.policy import AccessDenied, Viewer
from streamlit_app.data import compliance
from streamlit_app.ui.format import SUPPRESSED_WORDS
from tests.access_helpers import make_users_file, open_page, rerun
from tests.dashboard_fixture import build_fixture_warehouse
from tests.dashboard_fixture import read_served as sql

PAGES = {
    "overview": "Overview",
    "divisions": "Divisions",
    "trends": "Trends",
    "division_detail": "Division detail",
    "training": "Training",
    "data_quality": "Data quality",
    "about": "About the data",
}
STATUS_WORDS = {
    "meets": "Meets the 95% target",
    "below": "Below the 95% target",
    "not_distinguishable": "Cannot be told apart from 95%",
}


@pytest.fixture
def warehouse(published_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The published warehouse, served to the app through SCRS_WAREHOUSE_DIR."""
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    return published_warehouse


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_users_file(tmp_path_factory.mktemp("accounts") / "users.json")


@pytest.fixture(autouse=True)
def _accounts(users_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages are seen by signing in (the test accounts of tests/access_helpers.py)."""
    monkeypatch.setenv("SCRS_USERS_FILE", str(users_file))


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_title(spec: dict) -> str:
    text = spec["title"]["text"]
    return " ".join(text) if isinstance(text, list) else text


def table_named(at: AppTest, first_column: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if frame.value.columns[0] == first_column:
            return frame.value
    raise AssertionError(f"no table starting with column {first_column!r}")


def latest_audit_year(warehouse_dir: Path) -> str:
    return sql(
        warehouse_dir, "SELECT max(fiscal_year) AS y FROM marts.compliance_national_test WHERE fiscal_quarter = 4"
    )["y"].iloc[0]


# --------------------------------------------------------------------------------------------------------
# Every page


@pytest.mark.parametrize("page", list(PAGES))
def test_page_runs_without_exception_and_every_table_has_a_download(warehouse: Path, page: str) -> None:
    at = open_page(page)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == PAGES[page]
    labels = [button.label for button in at.download_button]
    assert len(labels) == len(at.dataframe) >= 1
    assert all(label == "Download this table (CSV)" for label in labels)
    for spec, chart in zip(chart_specs(at), at.get("vega_lite_chart"), strict=True):
        assert chart_title(spec).strip(), "every chart states its finding in its title"
        assert chart.proto.alt.strip(), "every chart has an accessible description"


@pytest.mark.parametrize("page", list(PAGES))
def test_page_without_a_warehouse_shows_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(tmp_path / "nothing-here"))
    at = open_page(page)
    assert not at.error
    assert any("Nothing has been published yet" in info.value for info in at.info)


# --------------------------------------------------------------------------------------------------------
# Overview


def test_overview_headlines_equal_the_national_mart(warehouse: Path) -> None:
    year = latest_audit_year(warehouse)
    expected = sql(
        warehouse,
        """
        SELECT t.test_name, cur.compliance_pct, cur.status, cur.change_pp AS change, cur.change AS words
        FROM marts.compliance_change_national_test cur JOIN reference.audit_tests t USING (test_code)
        WHERE cur.fiscal_year = ? AND cur.fiscal_quarter = 4
        """,
        [year],
    )
    assert len(expected) == 5
    at = open_page("overview")
    metrics = {metric.label: metric for metric in at.metric}
    markdown = "\n".join(m.value for m in at.markdown)
    for row in expected.itertuples():
        assert metrics[row.test_name].value == f"{row.compliance_pct:.2f}%"
        # An arrow (delta) only for a change its interval supports (issue 14); otherwise none.
        if pd.notna(row.change) and row.words != "no_clear_change":
            assert metrics[row.test_name].proto.delta == f"{row.change:+.2f} pp, {row.words}"
        else:
            assert metrics[row.test_name].proto.delta == ""
        assert STATUS_WORDS[row.status] in markdown
    table = table_named(at, "Measure").set_index("Measure")
    for row in expected.itertuples():
        assert table.loc[row.test_name, "Compliance %"] == pytest.approx(row.compliance_pct)
        assert table.loc[row.test_name, "Status"] == STATUS_WORDS[row.status]


def test_overview_chart_title_states_the_finding(warehouse: Path) -> None:
    year = latest_audit_year(warehouse)
    statuses = sql(
        warehouse,
        "SELECT status, count(*) AS n FROM marts.compliance_national_test "
        "WHERE fiscal_year = ? AND fiscal_quarter = 4 GROUP BY status",
        [year],
    ).set_index("status")["n"]
    at = open_page("overview")
    title = chart_title(chart_specs(at)[0])
    assert f"Nationally in Q4 {year}, {statuses.get('meets', 0)} of 5 measures meet 95%" in title


# --------------------------------------------------------------------------------------------------------
# Divisions


def test_divisions_table_equals_the_division_mart_for_chosen_cases(warehouse: Path) -> None:
    year = latest_audit_year(warehouse)
    mart = sql(
        warehouse,
        "SELECT division_code, test_code, compliance_pct, examined, status FROM marts.compliance_by_division_test "
        "WHERE fiscal_year = ? AND fiscal_quarter = 4",
        [year],
    )
    at = open_page("divisions")
    table = table_named(at, "Division code")
    assert len(table) == len(mart)
    names = sql(warehouse, "SELECT test_code, test_name FROM reference.audit_tests")
    test_name = dict(zip(names["test_code"], names["test_name"], strict=True))
    ordered = mart.sort_values(["examined", "division_code", "test_code"]).reset_index(drop=True)
    cases = ordered.iloc[[0, len(ordered) // 2, len(ordered) - 1]]  # smallest, middle and largest cell
    for want in cases.itertuples():
        got = table[table["Division code"].eq(want.division_code) & table["Test"].eq(test_name[want.test_code])]
        assert len(got) == 1
        assert got["Compliance %"].iloc[0] == pytest.approx(want.compliance_pct)
        assert got["Examined"].iloc[0] == want.examined
        assert got["Status"].iloc[0] == STATUS_WORDS[want.status]


def test_divisions_filters_change_what_is_shown(warehouse: Path) -> None:
    at = open_page("divisions")
    before = table_named(at, "Division code")
    assert set(before["Command area"]) == {"North", "East", "West"}

    at.selectbox(key="divisions_area").set_value("North")
    rerun(at)
    north = table_named(at, "Division code")
    expected_north = sql(warehouse, "SELECT division_code FROM reference.divisions WHERE command_area = 'North'")
    assert set(north["Division code"]) == set(expected_north["division_code"])

    at.selectbox(key="divisions_year").set_value("2019/20")
    at.selectbox(key="divisions_quarter").set_value(2)
    rerun(at)
    earlier = table_named(at, "Division code")
    mart = sql(
        warehouse,
        "SELECT division_code, test_code, compliance_pct FROM marts.compliance_by_division_test "
        "WHERE fiscal_year = '2019/20' AND fiscal_quarter = 2 AND command_area = 'North' AND test_code = 'TEST1'",
    )
    assert set(earlier["Year"]) == {"2019/20"} and set(earlier["Quarter"]) == {2}
    for row in mart.itertuples():
        got = earlier[earlier["Division code"].eq(row.division_code) & earlier["Test"].eq("Crime-related incidents")]
        assert got["Compliance %"].iloc[0] == pytest.approx(row.compliance_pct)


def test_divisions_ranking_orders_by_rate_and_names_the_extremes(warehouse: Path) -> None:
    year = latest_audit_year(warehouse)
    ranked = sql(
        warehouse,
        "SELECT division_name, compliance_pct FROM marts.compliance_by_division_test "
        "WHERE fiscal_year = ? AND fiscal_quarter = 4 AND test_code = 'TIMELY72' "
        "ORDER BY compliance_pct DESC, division_name",
        [year],
    )
    at = open_page("divisions")
    at.selectbox(key="divisions_test").set_value("TIMELY72")
    rerun(at)
    ranking = chart_specs(at)[1]
    assert ranking["layer"][0]["encoding"]["y"]["sort"] == list(ranked["division_name"])
    title = chart_title(ranking)
    assert ranked["division_name"].iloc[0] in title and ranked["division_name"].iloc[-1] in title


def test_committee_view_suppresses_rates_built_on_few_records(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    year = latest_audit_year(warehouse)
    cells = sql(
        warehouse,
        "SELECT m.division_code, t.test_name, m.examined FROM marts.compliance_by_division_test m "
        "JOIN reference.audit_tests t USING (test_code) WHERE m.fiscal_year = ? AND m.fiscal_quarter = 4 "
        "ORDER BY m.examined, m.division_code, m.test_code",
        [year],
    )
    small, large = cells.iloc[0], cells.iloc[-1]
    threshold = max(10, int(small["examined"]) + 1)  # the default 10, or just above the smallest cell
    assert large["examined"] >= threshold
    monkeypatch.setenv("SCRS_DISCLOSURE_MIN_RECORDS", str(threshold))

    def row_for(at: AppTest, case: pd.Series) -> pd.Series:
        table = table_named(at, "Division code")
        hit = table[table["Division code"].eq(case["division_code"]) & table["Test"].eq(case["test_name"])]
        return hit.iloc[0]

    committee = open_page("divisions", Viewer("committee"))
    suppressed = row_for(committee, small)
    assert pd.isna(suppressed["Compliance %"]) and pd.isna(suppressed["Compliant"])
    assert suppressed["Status"] == SUPPRESSED_WORDS
    assert suppressed["Examined"] == small["examined"]
    assert pd.notna(row_for(committee, large)["Compliance %"])
    assert pd.notna(row_for(open_page("divisions"), small)["Compliance %"])  # engineers see every figure


# --------------------------------------------------------------------------------------------------------
# Trends


def test_trends_show_the_marts_at_each_level(warehouse: Path) -> None:
    at = open_page("trends")
    national = sql(
        warehouse,
        "SELECT fiscal_year, compliance_pct FROM marts.compliance_national_test "
        "WHERE test_code = 'TEST1' AND fiscal_quarter = 4 ORDER BY fiscal_year",
    )
    table = table_named(at, "Test")
    assert list(table["Compliance %"]) == pytest.approx(list(national["compliance_pct"]))

    at.selectbox(key="trends_test").set_value("NOCRIME")
    rerun(at)
    nocrime = sql(
        warehouse,
        "SELECT compliance_pct FROM marts.compliance_national_test "
        "WHERE test_code = 'NOCRIME' AND fiscal_quarter = 4 ORDER BY fiscal_year",
    )["compliance_pct"]
    # No "rose"/"fell" in the title: whether a change is real is for its interval to say (issue 14).
    assert chart_title(chart_specs(at)[0]).startswith(
        f"Nationally, No Crime reclassification compliance was {nocrime.iloc[0]:.2f}% in "
    )

    at.radio(key="trends_grain").set_value("Every quarter")
    rerun(at)
    assert len(table_named(at, "Test")) == len(
        sql(warehouse, "SELECT * FROM marts.compliance_national_test WHERE test_code = 'NOCRIME'")
    )

    at.radio(key="trends_level").set_value("Divisions in one command area")
    rerun(at)
    at.selectbox(key="trends_area").set_value("West")
    rerun(at)
    divisions = table_named(at, "Division code")
    mart = sql(
        warehouse,
        "SELECT division_code, fiscal_year, fiscal_quarter, compliance_pct FROM marts.compliance_by_division_test "
        "WHERE test_code = 'NOCRIME' AND command_area = 'West'",
    )
    assert len(divisions) == len(mart)
    merged = divisions.merge(
        mart, left_on=["Division code", "Year", "Quarter"], right_on=["division_code", "fiscal_year", "fiscal_quarter"]
    )
    assert len(merged) == len(mart)
    assert list(merged["Compliance %"]) == pytest.approx(list(merged["compliance_pct"]))


# --------------------------------------------------------------------------------------------------------
# Division detail


def test_division_detail_failure_reasons_and_late_recording_equal_record_failures(warehouse: Path) -> None:
    failures = sql(
        warehouse,
        "SELECT test_code, failure_reasons, recording_unit FROM marts.record_failures "
        "WHERE division_code = 'V' AND fiscal_year = '2020/21'",
    )
    reasons = failures.assign(reason=failures["failure_reasons"].str.split(";")).explode("reason")
    expected = reasons.groupby("reason").size()
    late = failures[failures["test_code"].eq("TIMELY72")].groupby("recording_unit").size()

    at = open_page("division_detail")
    at.selectbox(key="detail_division").set_value("V")
    at.selectbox(key="detail_year").set_value("2020/21")
    rerun(at)
    reason_table = next(f.value for f in at.dataframe if "Failure reason" in f.value.columns)
    assert dict(zip(reason_table["Failure reason"], reason_table["Records"], strict=True)) == expected.to_dict()
    late_table = next(f.value for f in at.dataframe if "Late crimes" in f.value.columns)
    unit_words = {
        "RESOLUTION_TEAM": "Resolution Teams",
        "LOCAL_POLICING": "Local policing",
        "CIMU": "Crime and incident management units",
        "SPECIALIST": "Specialist units",
    }
    assert dict(zip(late_table["Recording unit"], late_table["Late crimes"], strict=True)) == {
        unit_words.get(k, k): v for k, v in late.items()
    }
    titles = [chart_title(spec) for spec in chart_specs(at)]
    ranked = late.rename("n").reset_index().sort_values(["n", "recording_unit"], ascending=[False, True])
    top_unit, top_count = ranked["recording_unit"].iloc[0], int(ranked["n"].iloc[0])
    finding = f"{unit_words.get(top_unit, top_unit)} recorded {top_count:,} of {int(late.sum()):,} late crimes"
    assert any(finding in t for t in titles)

    at.selectbox(key="detail_quarter").set_value(1)
    rerun(at)
    q1 = sql(
        warehouse,
        "SELECT count(*) AS n FROM marts.record_failures "
        "WHERE division_code = 'V' AND fiscal_year = '2020/21' AND fiscal_quarter = 1 AND test_code = 'TIMELY72'",
    )["n"].iloc[0]
    late_table = next(f.value for f in at.dataframe if "Late crimes" in f.value.columns)
    assert late_table["Late crimes"].sum() == q1


def test_division_detail_tests_over_time_equal_the_division_mart(warehouse: Path) -> None:
    mart = sql(
        warehouse,
        "SELECT fiscal_year, fiscal_quarter, test_code, compliance_pct FROM marts.compliance_by_division_test "
        "WHERE division_code = 'E'",
    )
    at = open_page("division_detail")
    at.selectbox(key="detail_division").set_value("E")
    rerun(at)
    table = table_named(at, "Test")
    assert len(table) == len(mart)
    assert sorted(table["Compliance %"]) == pytest.approx(sorted(mart["compliance_pct"]))


def test_division_viewer_sees_only_their_own_division(warehouse: Path) -> None:
    at = open_page("division_detail", Viewer("division", "E"))
    assert at.selectbox(key="detail_division").options == ["Edinburgh City (E)"]
    with pytest.raises(AccessDenied):
        compliance.failure_reasons(Viewer("division", "E"), "G")


# --------------------------------------------------------------------------------------------------------
# Training


def test_training_figures_equal_the_mart_and_filters_apply(warehouse: Path) -> None:
    totals = sql(warehouse, "SELECT sum(people) AS people, sum(completed) AS completed FROM marts.training_coverage")
    at = open_page("training")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Course assignments"] == f"{int(totals['people'].iloc[0]):,}"
    assert metrics["Completed"] == f"{int(totals['completed'].iloc[0]):,}"
    by_course = sql(
        warehouse,
        "SELECT course_code, sum(people) AS people, sum(completed) AS completed FROM marts.training_coverage "
        "GROUP BY course_code",
    ).set_index("course_code")
    table = table_named(at, "Course").set_index("Code")
    for code, row in by_course.iterrows():
        assert table.loc[code, "Assignments"] == row["people"]
        assert table.loc[code, "Completed %"] == pytest.approx(round(100 * row["completed"] / row["people"], 2))

    course = by_course["people"].idxmin()
    at.selectbox(key="training_course").set_value(course)
    rerun(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Course assignments"] == f"{int(by_course.loc[course, 'people']):,}"
    units = table_named(at, "Unit")
    expected_units = sql(
        warehouse, "SELECT DISTINCT unit_code FROM marts.training_coverage WHERE course_code = ?", [course]
    )
    assert set(units["Code"]) == set(expected_units["unit_code"])


# --------------------------------------------------------------------------------------------------------
# Data quality


def test_data_quality_shows_latest_run_history_and_qa_matrix(warehouse: Path) -> None:
    checks = sql(warehouse, "SELECT run_id, checked_at, severity, success FROM quality.check_results")
    checks["failed"] = checks["success"].eq(False)
    latest_run = checks.sort_values("checked_at")["run_id"].iloc[-1]
    latest = checks[checks["run_id"].eq(latest_run)]
    at = open_page("data_quality")
    assert any(latest_run in m.value for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Checks run"] == str(len(latest))
    assert metrics["Blocking checks failed"] == str(int((latest["failed"] & latest["severity"].eq("blocking")).sum()))
    assert metrics["Warnings"] == str(int((latest["failed"] & latest["severity"].eq("warning")).sum()))

    runs = table_named(at, "Run")
    assert len(runs) == checks["run_id"].nunique()
    blocked_runs = set(checks[checks["failed"] & checks["severity"].eq("blocking")]["run_id"])
    assert set(runs[runs["Outcome"].str.startswith("blocked")]["Run"]) == blocked_runs

    if latest["failed"].any():
        assert len(table_named(at, "Result")) == int(latest["failed"].sum())
    else:
        assert at.success

    catalogue = sql(
        warehouse,
        "SELECT extract || '.' || coalesce(field, column_name, '(whole file)') AS field, owner "
        "FROM quality.expectation_catalogue",
    )
    matrix = table_named(at, "Field")
    assert set(matrix["Field"]) == set(catalogue["field"])
    cells = " ".join(matrix.drop(columns=["Field"]).to_numpy().ravel().astype(str))
    assert all(owner in cells for owner in catalogue["owner"].dropna().unique())

    for blocked in sorted(blocked_runs)[:1]:  # a run that failed a blocking check shows it
        at.selectbox(key="dq_run").set_value(blocked)
        rerun(at)
        assert "Failed (blocking)" in set(table_named(at, "Result")["Result"])


def test_data_quality_without_quality_tables_shows_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_fixture_warehouse(tmp_path)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("DROP SCHEMA quality CASCADE")
    con.close()
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(tmp_path))
    at = open_page("data_quality")
    assert any("quality" in info.value for info in at.info)


# --------------------------------------------------------------------------------------------------------
# About


def test_about_shows_publication_extracts_and_definitions(warehouse: Path) -> None:
    publication = sql(warehouse, "SELECT * FROM meta.publication").iloc[0]
    at = open_page("about")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Last published"] == f"{publication['published_at']:%d %b %Y %H:%M}"
    assert metrics["Data extracted up to"] == f"{publication['latest_extracted_at']:%d %b %Y %H:%M}"
    tests = table_named(at, "Test")
    assert list(tests["Code"]) == list(
        sql(warehouse, "SELECT test_code FROM reference.audit_tests ORDER BY display_order")["test_code"]
    )
    loads = next(f.value for f in at.dataframe if "Files loaded" in f.value.columns)
    dates = next(f.value for f in at.dataframe if "Latest extracted at" in f.value.columns)
    assert dict(zip(dates["Extract"], dates["Latest extracted at"], strict=True)) == json.loads(
        publication["latest_extracted_at_by_extract"]
    )
    registry = sql(warehouse, "SELECT extract_kind, count(*) AS files FROM raw.load_registry GROUP BY 1")
    assert dict(zip(loads["Extract"], loads["Files loaded"], strict=True)) == dict(
        zip(registry["extract_kind"], registry["files"], strict=True)
    )
    text = " ".join(m.value for m in at.markdown)
    assert "Wilson" in text and "synthetic" in text


# --------------------------------------------------------------------------------------------------------
# Data access rules


def test_a_new_publication_is_shown_without_restarting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_fixture_warehouse(tmp_path, seed=1)
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(tmp_path))
    first = {m.label: m.value for m in open_page("overview").metric}
    build_fixture_warehouse(tmp_path, seed=2)  # replaced with os.replace, as the pipeline publishes
    second = {m.label: m.value for m in open_page("overview").metric}
    expected = sql(
        tmp_path,
        "SELECT t.test_name, n.compliance_pct FROM marts.compliance_national_test n "
        "JOIN reference.audit_tests t USING (test_code) "
        "WHERE fiscal_quarter = 4 AND fiscal_year = (SELECT max(fiscal_year) FROM marts.compliance_national_test)",
    )
    assert first != second
    for row in expected.itertuples():
        assert second[row.test_name] == f"{row.compliance_pct:.2f}%"


def test_filter_values_are_parameters_not_sql(warehouse: Path) -> None:
    viewer = Viewer("engineer")
    assert compliance.division_compliance(viewer, command_area="North' OR '1'='1").empty
    assert not compliance.division_compliance(viewer, command_area="North").empty


def test_suppress_small_cells_blanks_rates_built_on_few_records() -> None:
    frame = pd.DataFrame(
        {
            "examined": [9, 10, 500],
            "compliant": [9, 9, 480],
            "compliance_pct": [100.0, 90.0, 96.0],
            "ci_lower_pct": [70.09, 59.58, 93.89],
            "ci_upper_pct": [100.0, 98.21, 97.4],
            "status": ["not_distinguishable", "not_distinguishable", "meets"],
        }
    )
    out = suppress_small_cells(frame, 10, flag_col="suppressed")
    assert list(out["suppressed"]) == [True, False, False]
    assert out.loc[0, ["compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct"]].isna().all()
    # Contract 5.1: the status of a suppressed cell is blank too (the dashboard renders it as "suppressed").
    assert pd.isna(out.loc[0, "status"]) and out.loc[0, "examined"] == 9
    assert out.loc[1, "compliance_pct"] == 90.0 and out.loc[2, "status"] == "meets"
    assert frame.loc[0, "compliance_pct"] == 100.0  # the input is not modified
