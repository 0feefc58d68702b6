"""Data quality: the latest run, its history, blocking and warning checks, and the QA framework matrix."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import quality
from streamlit_app.ui import charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.page import render_page

SEVERITY_WORDS = {
    "blocking": "Blocking: a failure stops publication",
    "warning": "Warning: recorded and shown, does not block",
}


CHECK_WORDS = {
    "expect_column_values_to_not_be_null": "Required value present",
    "expect_column_values_to_be_unique": "Unique key",
    "expect_compound_columns_to_be_unique": "Unique key",
    "expect_column_values_to_be_in_set": "Allowed values",
    "expect_column_values_to_be_of_type": "Type",
    "expect_column_values_to_be_in_type_list": "Type",
    "expect_column_values_to_match_regex": "Format",
    "expect_column_values_to_match_strftime_format": "Date/time format",
    "expect_column_values_to_be_between": "Range",
    "expect_column_pair_values_a_to_be_greater_than_b": "Order of two fields",
    "expect_column_pair_values_to_be_equal": "Two fields agree",
    "expect_table_columns_to_match_set": "Required columns",
    "expect_column_to_exist": "Required column",
    "expect_table_row_count_to_be_between": "Row count",
}


def check_words(check: object) -> str:
    """A check's name for people: "column_exists" -> "Column exists"; GX expectation types mapped."""
    text = str(check)
    return CHECK_WORDS.get(text, text.removeprefix("expect_").replace("_", " ").capitalize())


def _result_words(success: object, severity: str) -> str:
    if success is None or pd.isna(success):
        return "Not run"
    if bool(success):
        return "Passed"
    return "Failed (blocking)" if severity == "blocking" else "Failed (warning)"


def _latest_run(runs: pd.DataFrame) -> None:
    latest = runs.iloc[0]
    st.subheader("Latest run")
    when = f"{latest['checked_at']:%d %b %Y %H:%M}" if pd.notna(latest["checked_at"]) else "at an unknown time"
    st.markdown(f"Run `{latest['run_id']}`, checked {when}: **{latest['outcome']}**.")
    cols = st.columns(3)
    cols[0].metric("Checks run", int(latest["checks"]))
    cols[1].metric("Blocking checks failed", int(latest["blocking_failed"]))
    cols[2].metric("Warnings", int(latest["warnings_failed"]))


def _history(runs: pd.DataFrame) -> None:
    st.subheader("Run history")
    latest = runs.iloc[0]
    blocked = int((runs["blocking_failed"] > 0).sum())
    finding = f"{blocked} of {len(runs)} runs failed a blocking check and were not published; the latest run " + (
        "passed every blocking check" if latest["blocking_failed"] == 0 else "was blocked"
    )
    long = runs.melt(
        id_vars=["run_id", "checked_at"],
        value_vars=["blocking_failed", "warnings_failed"],
        var_name="kind",
        value_name="failed",
    )
    long["kind"] = long["kind"].map({"blocking_failed": "Blocking checks failed", "warnings_failed": "Warnings"})
    order = list(runs.sort_values("checked_at")["run_id"])
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("run_id:N", title="Run (oldest to newest)", sort=order, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("kind:N", sort=["Blocking checks failed", "Warnings"]),
            y=alt.Y("failed:Q", title="Checks failed", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "kind:N",
                title="Check",
                scale=alt.Scale(domain=["Blocking checks failed", "Warnings"], range=[fmt.PALETTE[5], fmt.PALETTE[4]]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("run_id:N", title="Run"),
                alt.Tooltip("kind:N", title="Check"),
                alt.Tooltip("failed:Q", title="Failed"),
            ],
        )
    )
    labels = (
        alt.Chart(long)
        .mark_text(dy=-6, fontSize=11)
        .encode(
            x=alt.X("run_id:N", sort=order),
            xOffset=alt.XOffset("kind:N", sort=["Blocking checks failed", "Warnings"]),
            y="failed:Q",
            text="failed:Q",
        )
    )
    charts.show_chart((chart + labels).properties(title=charts.chart_title(finding), height=400), finding)
    table = runs.rename(
        columns={
            "run_id": "Run",
            "checked_at": "Checked at",
            "checks": "Checks run",
            "blocking_failed": "Blocking checks failed",
            "warnings_failed": "Warnings",
            "outcome": "Outcome",
        }
    )
    tables.table(table, "quality_runs", key="dq_runs")


def _run_checks(viewer: Viewer, runs: pd.DataFrame) -> None:
    st.subheader("Checks in one run")
    run_id = st.selectbox("Run", list(runs["run_id"]), key="dq_run")
    checks = quality.quality_check_results()
    checks = checks[checks["run_id"].eq(run_id)]
    only_failed = st.checkbox("Only checks that failed", value=True, key="dq_only_failed")
    if only_failed:
        checks = checks[checks["success"].eq(False).fillna(False)]
    if checks.empty:
        st.success("Every check in this run passed.")
        return
    table = pd.DataFrame(
        {
            "Result": [_result_words(s, v) for s, v in zip(checks["success"], checks["severity"], strict=True)],
            "Extract": checks["extract"],
            "File": checks["file_name"],
            "Field": checks["field"],
            "Check": [check_words(t) for t in checks["check"]],
            "Severity": checks["severity"].map(SEVERITY_WORDS),
            "Failing rows": checks["unexpected_count"],
            "Rows checked": checks["rows_checked"],
            "Detail": checks["message"],
        }
    )
    tables.table(table, f"quality_checks_{run_id}", key="dq_checks")


def _qa_matrix(viewer: Viewer) -> None:
    st.subheader("QA framework: field × check × owner")
    catalogue = quality.expectation_catalogue()
    if catalogue.empty:
        st.info("The expectation catalogue is empty.")
        return
    blocking = int(catalogue["severity"].eq("blocking").sum())
    owners = catalogue["owner"].dropna().nunique()
    st.markdown(
        f"{len(catalogue)} checks on the incoming extracts, {blocking} of them blocking, owned by {owners} "
        "teams. Each cell names who owns that check on that field and whether it blocks publication."
    )
    cells = catalogue.assign(
        check_label=[check_words(t) for t in catalogue["check"]],
        field_label=catalogue["extract"].astype(str) + "." + catalogue["field"].fillna("(whole file)").astype(str),
        cell=catalogue["owner"].fillna("(no owner)") + " (" + catalogue["severity"] + ")",
    )
    matrix = (
        cells.pivot_table(index="field_label", columns="check_label", values="cell", aggfunc="; ".join)
        .fillna("")
        .reset_index()
        .rename(columns={"field_label": "Field"})
    )
    matrix.columns.name = None
    tables.table(matrix, "qa_framework_matrix", key="dq_matrix")
    with st.expander("Every check with its description"):
        tables.table(
            pd.DataFrame(
                {
                    "Extract": catalogue["extract"],
                    "Field": catalogue["field"],
                    "Check": [check_words(t) for t in catalogue["check"]],
                    "Why it matters": catalogue["description"],
                    "Severity": catalogue["severity"],
                    "Owner": catalogue["owner"],
                    "Expectation": catalogue["expectation_type"],
                }
            ),
            "expectation_catalogue",
            key="dq_catalogue",
        )


def main(viewer: Viewer) -> None:
    st.title("Data quality")
    st.markdown(
        "Every pipeline run checks each incoming extract before anything is published. A failed **blocking** "
        "check stops the run: nothing is published and the previous publication stays. A failed **warning** "
        "is recorded and shown here but does not stop publication. Compliance failures (records that break an "
        "SCRS rule) are never data-quality failures: they are counted in the compliance figures."
    )
    runs = quality.quality_runs()
    if runs.empty:
        st.info("No data-quality results have been published yet.")
    else:
        _latest_run(runs)
        _history(runs)
        _run_checks(viewer, runs)
    _qa_matrix(viewer)


render_page(main)
