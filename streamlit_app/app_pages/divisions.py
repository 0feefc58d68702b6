"""Divisions: division × test matrix and a ranking with intervals, filtered by command area, year, quarter."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee, compliance, query, reference
from streamlit_app.ui import charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.change import show_changes
from streamlit_app.ui.page import render_page

ALL_AREAS = "All command areas"


def _filters(viewer: Viewer) -> tuple[str | None, str, int, str]:
    years = reference.fiscal_years()
    if not years:
        raise query.DataUnavailable("The published marts have no compliance figures yet.")
    latest_audit = reference.latest_audit_year()
    tests = reference.audit_tests()
    area_col, year_col, quarter_col, test_col = st.columns(4)
    area = area_col.selectbox("Command area", [ALL_AREAS, *reference.command_areas()], key="divisions_area")
    year = year_col.selectbox(
        "Financial year",
        years[::-1],
        index=years[::-1].index(latest_audit) if latest_audit else 0,
        key="divisions_year",
    )
    quarter = quarter_col.selectbox(
        "Quarter", [4, 3, 2, 1], format_func=lambda q: fmt.QUARTER_WORDS[q], key="divisions_quarter"
    )
    test_code = test_col.selectbox(
        "Test to rank divisions by",
        list(tests["test_code"]),
        format_func=dict(zip(tests["test_code"], tests["test_name"], strict=True)).get,
        key="divisions_test",
    )
    return (None if area == ALL_AREAS else area), year, int(quarter), test_code


def _matrix_finding(rows: pd.DataFrame, scope: str, period: str) -> str:
    shown = rows[~rows["suppressed"]]
    below = int(shown["status"].eq("below").sum())
    meets = int(shown["status"].eq("meets").sum())
    unclear = int(shown["status"].eq("not_distinguishable").sum())
    return (
        f"{scope}, {period}: {below} of {len(rows)} division results are below {fmt.fmt_target()}, "
        f"{meets} meet it and {unclear} cannot be told apart from it"
    )


def _ranking_finding(ranked: pd.DataFrame, test_name: str) -> str:
    shown = ranked[~ranked["suppressed"]]
    if len(shown) < 2:
        return f"{test_name}: too few divisions with figures to compare"
    top, bottom = shown.iloc[0], shown.iloc[-1]
    overlap = top["ci_lower_pct"] <= bottom["ci_upper_pct"]
    verdict = (
        "their intervals overlap, so even these two cannot be told apart"
        if overlap
        else "their intervals do not overlap, so the gap between them is real"
    )
    return (
        f"{test_name}: {top['division_name']} is highest ({fmt.fmt_pct(top['compliance_pct'], 1)}) and "
        f"{bottom['division_name']} lowest ({fmt.fmt_pct(bottom['compliance_pct'], 1)}); {verdict}"
    )


def main(viewer: Viewer) -> None:
    st.title("Divisions")
    st.markdown(
        "Every division's compliance in each test for one quarter. Colour and the words in each cell give the "
        f"status against the {fmt.fmt_target()} target; the ranking shows each rate's 95% interval."
    )
    area, year, quarter, test_code = _filters(viewer)
    rows = compliance.division_compliance(viewer, command_area=area, fiscal_year=year, fiscal_quarter=quarter)
    period = fmt.period_caption(year, quarter)
    scope = area or "All divisions"
    if rows.empty:
        st.info(f"No division figures for {period}{'' if area is None else ' in the ' + area + ' command area'}.")
        return

    rows = rows.assign(row_label=rows["division_name"] + " (" + rows["command_area"] + ")")
    order = reference.divisions()
    labels = order["division_name"] + " (" + order["command_area"] + ")"
    division_order = [d for d in labels if d in set(rows["row_label"])]
    test_order = list(rows.sort_values("display_order")["test_name"].drop_duplicates())
    st.subheader("Division × test")
    charts.status_matrix(
        rows,
        row="row_label",
        row_title="Division (command area)",
        column="test_name",
        column_title="Test",
        finding=_matrix_finding(rows, scope, period),
        subtitle="Divisions grouped by command area (North, East, West)",
        row_sort=division_order,
        column_sort=test_order,
    )

    test_rows = rows[rows["test_code"].eq(test_code)].sort_values(
        ["compliance_pct", "division_name"], ascending=[False, True], na_position="last"
    )
    if not test_rows.empty:
        test_name = test_rows["test_name"].iloc[0]
        st.subheader(f"Divisions ranked: {test_name}")
        national = compliance.national_compliance(viewer, fiscal_year=year, fiscal_quarter=quarter, test_code=test_code)
        subtitle = None
        if not national.empty and not national["suppressed"].iloc[0]:
            subtitle = f"Scotland as a whole: {fmt.fmt_pct(national['compliance_pct'].iloc[0])} ({period})"
        labelled = test_rows.assign(label=[fmt.fmt_pct(p, 1) for p in test_rows["compliance_pct"]])
        charts.interval_chart(
            labelled,
            category="division_name",
            category_title="Division",
            finding=_ranking_finding(test_rows, test_name),
            subtitle=subtitle,
            sort=list(test_rows["division_name"]),
            label="label",
        )

    st.subheader("Change on a year and on a quarter")
    st.caption(
        "Each division against its own figure a year earlier (the same quarter) and a quarter earlier, with "
        "Newcombe's 95% interval: improved or worsened only when the whole interval is above or below zero."
    )
    changes = committee.changes(viewer, "division", fiscal_year=year, fiscal_quarter=quarter, test_code=test_code)
    if area is not None and not changes.empty:
        changes = changes[changes["command_area"].eq(area)]
    show_changes(
        changes,
        {
            "test_name": "Test",
            "division_name": "Division",
            "division_code": "Division code",
            "command_area": "Command area",
        },
        f"division_changes_{scope}_{year}_q{quarter}_{test_code}",
        key="divisions_changes",
    )

    reported = committee.as_reported(viewer, year, quarter)
    if not reported.empty:
        st.subheader("As reported to the committee")
        restated = reported[reported["level"].eq("division") & reported["restated"]]
        if restated.empty:
            st.caption(f"No division figure of {period} has changed since it was reported as final.")
        else:
            st.warning(
                f"{len(restated)} division figure(s) of {period} have been restated since they were reported "
                "(records corrected later). Both figures are shown.",
                icon=":material/history:",
            )
            tables.table(
                pd.DataFrame(
                    {
                        "Test code": restated["test_code"],
                        "Division code": restated["unit_code"],
                        "Compliant / examined as reported": [
                            f"{fmt.fmt_count(c)} / {fmt.fmt_count(e)}"
                            for c, e in zip(restated["reported_compliant"], restated["reported_examined"], strict=True)
                        ],
                        "Rate as reported %": restated["reported_compliance_pct"],
                        "Compliant / examined now": [
                            f"{fmt.fmt_count(c)} / {fmt.fmt_count(e)}"
                            for c, e in zip(restated["current_compliant"], restated["current_examined"], strict=True)
                        ],
                        "Rate now %": restated["current_compliance_pct"],
                    }
                ),
                f"division_restatements_{year}_q{quarter}",
                key="divisions_restated",
            )

    st.subheader("The figures")
    table = tables.rate_table(
        rows.sort_values(["display_order", "command_area", "division_name"]),
        {
            "division_code": "Division code",
            "division_name": "Division",
            "command_area": "Command area",
            "test_name": "Test",
            "fiscal_year": "Year",
            "fiscal_quarter": "Quarter",
        },
    )
    tables.table(table, f"divisions_{scope}_{year}_q{quarter}", key="divisions_table")


render_page(main)
