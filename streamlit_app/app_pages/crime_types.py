"""Crime types and units: compliance by crime type (the 2021-22 categories, the legacy groups to 2020-21 and
HMICS's audit themes) and by recording unit (the Resolution Team's timeliness as a rate with its interval)."""

from __future__ import annotations

import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee, query, reference
from streamlit_app.ui import charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.page import render_page

SCHEMES = {
    "hmics_theme": "HMICS audit themes (sexual crime, violence, domestic abuse)",
    "category_2021": "Crime categories (2021-22 scheme)",
    "legacy_group": "Crime groups (published to 2020-21)",
}


def _period() -> tuple[str, int]:
    years = reference.fiscal_years()
    if not years:
        raise query.DataUnavailable("The published marts have no compliance figures yet.")
    latest = reference.latest_audit_year()
    year_col, quarter_col, _ = st.columns(3)
    year = year_col.selectbox(
        "Financial year", years[::-1], index=years[::-1].index(latest) if latest else 0, key="themes_year"
    )
    quarter = quarter_col.selectbox(
        "Quarter", [4, 3, 2, 1], format_func=lambda q: fmt.QUARTER_WORDS[q], key="themes_quarter"
    )
    return year, int(quarter)


def _units(viewer: Viewer, year: str, quarter: int, period: str) -> None:
    st.subheader("By recording unit")
    rows = committee.units(viewer, year, quarter)
    if rows.empty:
        st.info(f"No recording-unit figures for {period}.")
        return
    rows = rows.assign(unit=[fmt.UNIT_WORDS.get(u, u) for u in rows["recording_unit"]])
    timely = rows[rows["test_code"].eq("TIMELY72")].sort_values("compliance_pct", ascending=False, na_position="last")
    if not timely.empty:
        shown = timely[~timely["suppressed"]]
        rt = shown[shown["recording_unit"].eq("RESOLUTION_TEAM")]
        finding = "Recorded within 72 hours, by the unit that recorded the crime"
        if not rt.empty:
            r = rt.iloc[0]
            finding = (
                f"Resolution Teams recorded {fmt.fmt_pct(r['compliance_pct'])} of crimes within 72 hours "
                f"({fmt.fmt_interval(r['ci_lower_pct'], r['ci_upper_pct'])}), {fmt.status_words(r['status']).lower()}"
            )
        charts.interval_chart(
            timely.assign(label=[fmt.fmt_pct(p, 1) for p in timely["compliance_pct"]]),
            category="unit",
            category_title="Recording unit",
            finding=finding,
            subtitle=period,
            sort=list(timely["unit"]),
            label="label",
        )
    tables.table(
        tables.rate_table(rows, {"test_name": "Test", "unit": "Recording unit"}),
        f"units_{year}_q{quarter}",
        key="themes_units",
    )


def main(viewer: Viewer) -> None:
    st.title("Crime types and units")
    st.markdown(
        "Compliance of the crime tests by type of crime and by the unit that recorded the crime, for one quarter, "
        f"each rate with its 95% interval and its status against the {fmt.fmt_target()} target. The HMICS themes "
        "overlap (a domestic assault is violence and domestic abuse); the two schemes of crime types each "
        "divide the records, so their rows add up to the test's total."
    )
    year, quarter = _period()
    period = fmt.period_caption(year, quarter)
    rows = committee.categories(viewer, year, quarter)
    if rows.empty:
        st.info(f"No crime-type figures for {period}.")
    else:
        for scheme, heading in SCHEMES.items():
            part = rows[rows["scheme"].eq(scheme)]
            if part.empty:
                continue
            st.subheader(heading)
            table = tables.rate_table(
                part, {"test_name": "Test", "category_name": "Crime type", "category_code": "Code"}
            )
            table.insert(3, "HMICS theme", [t if isinstance(t, str) else "" for t in part["hmics_theme"]])
            tables.table(table, f"crime_types_{scheme}_{year}_q{quarter}", key=f"themes_{scheme}")
    _units(viewer, year, quarter, period)


render_page(main)
