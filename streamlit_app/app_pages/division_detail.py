"""Division detail: one division's tests over time, why its records failed, and late recording by unit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.audit import check_division_request
from streamlit_app.access.policy import AccessDenied, Viewer, division_records_refusal
from streamlit_app.data import compliance, reference
from streamlit_app.ui import bars, charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui import worklist as ui_worklist
from streamlit_app.ui.page import render_page

ALL_YEARS = "All years"
ALL_QUARTERS = "All quarters"


def _choose_division(viewer: Viewer) -> tuple[str, str]:
    divisions = reference.divisions()
    divisions = divisions[divisions["division_code"].map(viewer.may_open_division).astype(bool)]
    if divisions.empty:
        raise AccessDenied("There is no division you may see.")
    names = dict(zip(divisions["division_code"], divisions["division_name"], strict=True))
    # A `?division=` deep link preselects; a division asked for by URL or session state that is not in the
    # viewer's list is refused (and logged), never shown.
    link = st.query_params.get("division")
    if link is not None and "detail_division" not in st.session_state:
        st.session_state["detail_division"] = link
    requested = st.session_state.get("detail_division")
    if requested is not None and requested not in names:
        st.session_state.pop("detail_division", None)
        check_division_request(viewer, str(requested))
    code = st.selectbox(
        "Division",
        list(names),
        format_func=lambda d: f"{names[d]} ({d})",
        key="detail_division",
        disabled=len(names) == 1,
    )
    return code, names[code]


def _tests_over_time(viewer: Viewer, code: str, name: str) -> None:
    rows = compliance.division_compliance(viewer, division_code=code)
    st.subheader("Tests over time")
    if rows.empty:
        st.info(f"No compliance figures for {name} yet.")
        return
    latest_period = rows["period"].max()
    latest = rows[rows["period"].eq(latest_period) & ~rows["suppressed"]]
    meets = int(latest["status"].eq("meets").sum())
    below = int(latest["status"].eq("below").sum())
    unclear = int(latest["status"].eq("not_distinguishable").sum())
    finding = (
        f"{name}, {latest_period}: {meets} of {rows[rows['period'].eq(latest_period)].shape[0]} tests meet "
        f"{fmt.fmt_target()}, {below} {'is' if below == 1 else 'are'} below it and {unclear} cannot be told apart"
    )
    charts.trend_chart(
        rows.assign(series=rows["test_name"]),
        series="series",
        series_title="Test",
        finding=finding,
        subtitle="One panel per test, every quarter",
        facet="test_name",
        facet_title=None,
        facet_sort=list(rows.sort_values("display_order")["test_name"].drop_duplicates()),
    )
    table = tables.rate_table(rows, {"test_name": "Test", "fiscal_year": "Year", "fiscal_quarter": "Quarter"})
    tables.table(table, f"division_{code}_tests_over_time", key="detail_tests")


def _failure_reasons(viewer: Viewer, code: str, name: str, year: str | None, quarter: int | None) -> None:
    reasons = compliance.failure_reasons(viewer, code, fiscal_year=year, fiscal_quarter=quarter)
    when = "all years" if year is None else fmt.period_caption(year, quarter)
    st.subheader("Why records failed")
    if reasons.empty:
        st.info(f"No failing records for {name} in {when}.")
        return
    reasons = reasons.assign(
        reason_words=reasons["failure_reason"].map(fmt.REASON_WORDS).fillna(reasons["failure_reason"])
    )
    shown = reasons.dropna(subset=["records"])
    if not shown.empty:
        top = shown.loc[shown["records"].idxmax()]
        finding = (
            f"{name}, {when}: the most common failure is “{top['reason_words']}” "
            f"({fmt.fmt_count(top['records'])} records, {fmt.fmt_pct(top['share_of_examined_pct'], 1)} of the "
            f"{top['test_name']} records examined)"
        )
        chart_rows = shown.assign(
            category=shown["reason_words"],
            label=[
                f"{fmt.fmt_count(n)} ({fmt.fmt_pct(e, 1)} of examined, {fmt.fmt_pct(f, 0)} of failing)"
                for n, e, f in zip(
                    shown["records"], shown["share_of_examined_pct"], shown["share_of_failing_pct"], strict=True
                )
            ],
        )
        bars.bar_chart(
            chart_rows,
            category="category",
            category_title="Failure reason",
            value="records",
            value_title="Failing records",
            label="label",
            finding=finding,
            subtitle="Share of examined: of all records the test examined. A record that breaks several rules "
            "counts once under each reason.",
        )
    table = pd.DataFrame(
        {
            "Test": reasons["test_name"],
            "Failure reason": reasons["failure_reason"],
            "What it means": reasons["reason_words"],
            "Records": reasons["records"],
            "Share of failing records %": reasons["share_of_failing_pct"],
            "Failing records in test": reasons["failing_records"],
            "Examined in test": reasons["examined"],
            "Share of examined records %": reasons["share_of_examined_pct"],
        }
    )
    tables.table(table, f"division_{code}_failure_reasons_{when}", key="detail_reasons")


def _late_recording(viewer: Viewer, code: str, name: str, year: str | None, quarter: int | None) -> None:
    st.subheader("Late recording by recording unit")
    when = "all years" if year is None else fmt.period_caption(year, quarter)
    division = compliance.late_recording_by_unit(viewer, code, fiscal_year=year, fiscal_quarter=quarter)
    if division.empty:
        st.info(f"No crimes recorded outside 72 hours in {name} in {when}.")
        return
    national = (
        None
        if division_records_refusal(viewer, None) is not None  # a division user sees its own division only
        else compliance.late_recording_by_unit(viewer, None, fiscal_year=year, fiscal_quarter=quarter)
    )
    division = division.assign(unit=division["recording_unit"].map(fmt.UNIT_WORDS).fillna(division["recording_unit"]))
    shown = division.dropna(subset=["late_records"])
    subtitle = "Crimes recorded more than 72 hours after the first report, by the unit that recorded them"
    if national is not None:
        rt = national[national["recording_unit"].eq("RESOLUTION_TEAM")]
        if not rt.empty and pd.notna(rt["share_of_late_pct"].iloc[0]):
            subtitle = (
                f"Across Scotland, Resolution Teams recorded {fmt.fmt_pct(rt['share_of_late_pct'].iloc[0], 1)} "
                "of late crimes"
            )
    if not shown.empty:
        total = int(shown["late_records"].sum())
        top = shown.iloc[0]
        finding = (
            f"{name}, {when}: {top['unit']} recorded {fmt.fmt_count(top['late_records'])} of {fmt.fmt_count(total)} "
            f"late crimes ({fmt.fmt_pct(top['share_of_late_pct'], 1)})"
        )
        bars.bar_chart(
            shown.assign(
                label=[
                    f"{fmt.fmt_count(n)} ({fmt.fmt_pct(s, 1)}; median {h:.0f} h)"
                    for n, s, h in zip(
                        shown["late_records"], shown["share_of_late_pct"], shown["median_hours_to_record"], strict=True
                    )
                ]
            ),
            category="unit",
            category_title="Recording unit",
            value="late_records",
            value_title="Crimes recorded late",
            label="label",
            finding=finding,
            subtitle=subtitle,
            colour=fmt.PALETTE[1],
        )
    st.caption(
        "The marts list failing records only, so this shows who recorded the late crimes and how late, not a "
        "rate per unit (the number of crimes each unit recorded in time is not published)."
    )
    table = pd.DataFrame(
        {
            "Recording unit": division["unit"],
            "Late crimes": division["late_records"],
            "Share of late crimes %": division["share_of_late_pct"],
            "Median hours to record": division["median_hours_to_record"],
        }
    )
    if national is not None:
        table = table.merge(
            pd.DataFrame(
                {
                    "Recording unit": national["recording_unit"].map(fmt.UNIT_WORDS).fillna(national["recording_unit"]),
                    "Scotland: share of late crimes %": national["share_of_late_pct"],
                }
            ),
            on="Recording unit",
            how="left",
        )
    tables.table(table, f"division_{code}_late_recording_{when}", key="detail_late")


def main(viewer: Viewer) -> None:
    st.title("Division detail")
    code, name = _choose_division(viewer)
    _tests_over_time(viewer, code, name)

    st.divider()
    ui_worklist.measures_panel(viewer, code, name)
    st.divider()
    if not viewer.may_see_division_records(code):
        st.info(
            "Failure reasons and late recording by unit are counts of a division's own records: they go to that "
            "division, registrars and engineers, not to committee-facing views."
        )
        return
    st.markdown("**Failing records** (counts only; the records are on the Worklist page and in the division's export)")
    years = reference.fiscal_years()
    year_col, quarter_col = st.columns(2)
    year_choice = year_col.selectbox("Financial year", [*years[::-1], ALL_YEARS], key="detail_year")
    quarter_choice = quarter_col.selectbox(
        "Quarter",
        [ALL_QUARTERS, 1, 2, 3, 4],
        format_func=lambda q: q if q == ALL_QUARTERS else fmt.QUARTER_WORDS[q],
        key="detail_quarter",
        disabled=year_choice == ALL_YEARS,
    )
    year = None if year_choice == ALL_YEARS else year_choice
    quarter = None if year is None or quarter_choice == ALL_QUARTERS else int(quarter_choice)
    _failure_reasons(viewer, code, name, year, quarter)
    _late_recording(viewer, code, name, year, quarter)


render_page(main)
