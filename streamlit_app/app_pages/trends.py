"""Trends: each test over years and quarters, nationally, per command area or per division."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee, compliance, reference
from streamlit_app.ui import charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.change import show_changes
from streamlit_app.ui.page import render_page

LEVELS = ("Scotland", "Command areas", "Divisions in one command area")
GRAINS = ("Annual audit view (Q4 each year)", "Every quarter")


def _finding(rows: pd.DataFrame, series: str, test_name: str, grain: str) -> tuple[str, str | None]:
    shown = rows[~rows["suppressed"]]
    if shown.empty:
        return f"{test_name}: no figures to show", None
    names = list(dict.fromkeys(shown[series]))
    first_series = shown[shown[series].eq(names[0])]
    start, end = first_series.iloc[0], first_series.iloc[-1]
    scope = "Nationally" if names[0] == "Scotland" else names[0]
    if len(first_series) < 2:
        finding = f"{scope}, {test_name} compliance was {fmt.fmt_pct(end['compliance_pct'])} in {end['period']}"
    else:
        # No "rose"/"fell" here: whether a change is real is for its interval to say (the changes table).
        finding = (
            f"{scope}, {test_name} compliance was {fmt.fmt_pct(start['compliance_pct'])} in {start['period']} "
            f"and {fmt.fmt_pct(end['compliance_pct'])} in {end['period']}"
        )
    latest = shown[shown["period"].eq(shown["period"].max())]
    if len(names) > 1 and len(latest) > 1:
        hi = latest.loc[latest["compliance_pct"].idxmax()]
        lo = latest.loc[latest["compliance_pct"].idxmin()]
        return finding, (
            f"In {hi['period']}, {hi[series]} was highest ({fmt.fmt_pct(hi['compliance_pct'])}) and "
            f"{lo[series]} lowest ({fmt.fmt_pct(lo['compliance_pct'])})"
        )
    return finding, f"{grain}; {end['period']}: {fmt.status_words(end['status']).lower()}"


def main(viewer: Viewer) -> None:
    st.title("Trends")
    st.markdown(
        f"Each test over time with its 95% interval band and the {fmt.fmt_target()} target. The annual audit view "
        "compares like with like (Q4 of each financial year); every quarter shows the movement within years."
    )
    tests = reference.audit_tests()
    names = dict(zip(tests["test_code"], tests["test_name"], strict=True))
    test_col, level_col, grain_col = st.columns([2, 2, 2])
    test_code = test_col.selectbox("Test", list(tests["test_code"]), format_func=names.get, key="trends_test")
    level = level_col.radio("Show", LEVELS, key="trends_level")
    grain = grain_col.radio("Periods", GRAINS, key="trends_grain")
    quarter = 4 if grain == GRAINS[0] else None

    if level == LEVELS[0]:
        rows = compliance.national_compliance(viewer, test_code=test_code, fiscal_quarter=quarter)
        rows = rows.assign(series="Scotland")
        series_title = "Area"
        labels: dict[str, str] = {}
    elif level == LEVELS[1]:
        rows = compliance.command_area_compliance(viewer, test_code=test_code, fiscal_quarter=quarter)
        rows = rows.assign(series=rows["command_area"])
        series_title = "Command area"
        labels = {"command_area": "Command area"}
    else:
        area = st.selectbox("Command area", reference.command_areas(), key="trends_area")
        rows = compliance.division_compliance(viewer, test_code=test_code, fiscal_quarter=quarter, command_area=area)
        rows = rows.assign(series=rows["division_name"])
        series_title = "Division"
        labels = {"division_code": "Division code", "division_name": "Division"}

    test_name = names[test_code]
    if rows.empty:
        st.info(f"No figures for {test_name} at this level.")
        return
    rows = rows.sort_values(["series", "fiscal_year", "fiscal_quarter"]).reset_index(drop=True)
    finding, subtitle = _finding(rows, "series", test_name, grain)
    charts.trend_chart(rows, series="series", series_title=series_title, finding=finding, subtitle=subtitle)

    table = tables.rate_table(rows, {**labels, "test_name": "Test", "fiscal_year": "Year", "fiscal_quarter": "Quarter"})
    tables.table(table, f"trend_{test_code}_{level}", key="trends_table")

    st.subheader("Changes, Scotland")
    st.caption(
        "Each quarter against the same quarter a year earlier and against the quarter before, with Newcombe's 95% "
        "interval. A rise or fall is called improved or worsened only when the whole interval is above or below "
        "zero; otherwise no clear change."
    )
    changes = committee.changes(viewer, "national", test_code=test_code, fiscal_quarter=quarter)
    show_changes(
        changes,
        {"fiscal_year": "Year", "fiscal_quarter": "Quarter", "test_name": "Test"},
        f"trend_changes_{test_code}",
        key="trends_changes",
    )


render_page(main)
