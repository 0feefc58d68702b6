"""Overview: the latest annual audit (Q4 of the latest year), nationally, with the change since last year."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import compliance
from streamlit_app.ui import charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.page import render_page

AUDIT_TESTS = ("TEST1", "TEST2", "NOCRIME")
OTHER_MEASURES = ("TIMELY72", "CYBER")


def _headline(row: pd.Series) -> None:
    suppressed = bool(row["suppressed"])
    delta = fmt.fmt_change(row["change_pp"])
    st.metric(
        row["test_name"],
        "Suppressed" if suppressed else fmt.fmt_pct(row["compliance_pct"]),
        delta=delta,
        delta_description=f"since Q4 {row['prev_fiscal_year']}" if delta else None,
        border=True,
        help=f"Compliant ÷ examined, {row['test_code']}, Q4 {row['fiscal_year']}, all of Scotland.",
    )
    lines = [fmt.status_badge(fmt.shown_status(row["status"], suppressed))]
    if not suppressed:
        lines.append(
            f"95% interval {fmt.fmt_interval(row['ci_lower_pct'], row['ci_upper_pct'])} · "
            f"{fmt.fmt_count(row['compliant'])} of {fmt.fmt_count(row['examined'])} records"
        )
    if pd.notna(row["prev_fiscal_year"]):
        lines.append(f"Q4 {row['prev_fiscal_year']}: {fmt.fmt_pct(row['prev_compliance_pct'])}")
    else:
        lines.append("No previous year's audit to compare with")
    st.markdown("  \n".join(lines))


def _finding(headlines: pd.DataFrame, year: str) -> tuple[str, str | None]:
    shown = headlines[~headlines["suppressed"]]
    n = len(headlines)
    meets = int(shown["status"].eq("meets").sum())
    below = int(shown["status"].eq("below").sum())
    unclear = int(shown["status"].eq("not_distinguishable").sum())
    finding = (
        f"Nationally in Q4 {year}, {meets} of {n} measures meet {fmt.fmt_target()}, {below} "
        f"{'is' if below == 1 else 'are'} below it and {unclear} cannot be told apart from it"
    )
    changes = shown.dropna(subset=["change_pp"])
    if changes.empty:
        return finding, None
    top = changes.loc[changes["change_pp"].abs().idxmax()]
    subtitle = (
        f"Largest change since Q4 {top['prev_fiscal_year']}: {top['test_name']} {fmt.trend_verb(top['change_pp'])} "
        f"from {fmt.fmt_pct(top['prev_compliance_pct'])} to {fmt.fmt_pct(top['compliance_pct'])}"
    )
    return finding, subtitle


def _comparison_frame(headlines: pd.DataFrame) -> pd.DataFrame:
    """One row per measure and year (previous year first), for the interval chart."""
    columns = ["compliance_pct", "ci_lower_pct", "ci_upper_pct", "compliant", "examined", "status", "suppressed"]
    current = headlines[["test_name", "display_order", "fiscal_year", *columns]].assign(order=1)
    previous = (
        headlines.dropna(subset=["prev_fiscal_year"])[
            ["test_name", "display_order", "prev_fiscal_year", *(f"prev_{col}" for col in columns)]
        ]
        .set_axis(current.columns[:-1], axis=1)
        .assign(order=0)
    )
    both = pd.concat([previous, current], ignore_index=True).sort_values(["display_order", "order"])
    both["row"] = [f"{name}, Q4 {year}" for name, year in zip(both["test_name"], both["fiscal_year"], strict=True)]
    both["label"] = [fmt.fmt_pct(p) for p in both["compliance_pct"]]
    return both


def main(viewer: Viewer) -> None:
    st.title("Overview")
    headlines = compliance.audit_headlines(viewer)
    if headlines.empty:
        st.info("The published marts have no Q4 (January–March) figures yet, so there is no annual audit view.")
        return
    year = headlines["fiscal_year"].iloc[0]
    previous = headlines["prev_fiscal_year"].dropna()
    compared = f", compared with Q4 {previous.iloc[0]}" if not previous.empty else ""
    st.markdown(
        f"The annual audit view: every record examined nationally in **Q4 (January–March) {year}**{compared}. "
        f"Status compares each rate's 95% interval with the {fmt.fmt_target()} target."
    )

    for heading, codes in (("Annual audit tests", AUDIT_TESTS), ("Other measures", OTHER_MEASURES)):
        rows = headlines[headlines["test_code"].isin(codes)]
        if rows.empty:
            continue
        st.subheader(heading)
        for column, (_, row) in zip(st.columns(3), rows.iterrows(), strict=False):
            with column:
                _headline(row)

    st.subheader("All measures with their intervals")
    finding, subtitle = _finding(headlines, year)
    both = _comparison_frame(headlines)
    charts.interval_chart(
        both,
        category="row",
        category_title="Measure and audit quarter",
        finding=finding,
        subtitle=subtitle,
        sort=list(both["row"]),
        label="label",
    )

    table = pd.DataFrame(
        {
            "Measure": headlines["test_name"],
            "Compliance %": headlines["compliance_pct"],
            "Status": [fmt.status_words(s) for s in fmt.shown_statuses(headlines)],
            "95% interval lower %": headlines["ci_lower_pct"],
            "95% interval upper %": headlines["ci_upper_pct"],
            "Compliant": headlines["compliant"],
            "Examined": headlines["examined"],
            "Test code": headlines["test_code"],
            "Year": headlines["fiscal_year"],
            "Quarter": 4,
            "Previous year": headlines["prev_fiscal_year"],
            "Previous compliance %": headlines["prev_compliance_pct"],
            "Change (percentage points)": headlines["change_pp"],
        }
    )
    tables.table(table, f"national_audit_q4_{year}", key="overview_national")


render_page(main)
