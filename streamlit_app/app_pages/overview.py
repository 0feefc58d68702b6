"""Overview: the latest annual audit (Q4 of the latest year), nationally, with the change since last year."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee, compliance
from streamlit_app.ui import charts, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.change import change_text, metric_delta, show_changes
from streamlit_app.ui.page import render_page

AUDIT_TESTS = ("TEST1", "TEST2", "NOCRIME")
OTHER_MEASURES = ("TIMELY72", "CYBER")


def _headline(row: pd.Series, change: pd.Series | None) -> None:
    suppressed = bool(row["suppressed"])
    # An arrow only for a change its Newcombe interval supports (contract 7); otherwise words below.
    delta, delta_color = metric_delta(change) if change is not None else (None, "off")
    st.metric(
        row["test_name"],
        "Suppressed" if suppressed else fmt.fmt_pct(row["compliance_pct"]),
        delta=delta,
        delta_color=delta_color,
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
        if change is not None:
            lines.append(f"Change: {change_text(change)}")
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
    if "change_words" not in changes:
        return finding, None  # a publication without the change marts: no claim either way
    clear = changes[changes["change_words"].isin(["improved", "worsened"])]
    if clear.empty:
        return finding, (
            f"No measure changed beyond chance since Q4 {changes['prev_fiscal_year'].iloc[0]} "
            "(every change's 95% interval includes zero)"
        )
    top = clear.loc[clear["change_pp"].abs().idxmax()]
    subtitle = (
        f"Clearest change since Q4 {top['prev_fiscal_year']}: {top['test_name']} {top['change_words']} "
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
    change_rows = committee.changes(viewer, "national", fiscal_year=year, fiscal_quarter=4)
    by_test = {row["test_code"]: row for _, row in change_rows.iterrows()}
    if by_test:
        headlines = headlines.assign(change_words=[by_test.get(t, {}).get("change") for t in headlines["test_code"]])
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
                _headline(row, by_test.get(row["test_code"]))

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
            "Change in words": [change_text(by_test[t]) if t in by_test else "–" for t in headlines["test_code"]],
        }
    )
    tables.table(table, f"national_audit_q4_{year}", key="overview_national")

    st.subheader("Changes with their intervals")
    st.caption(
        "A change is called improved or worsened only when its whole 95% interval (Newcombe's method) is above "
        "or below zero; otherwise there is no clear change, whatever its sign."
    )
    show_changes(
        change_rows,
        {"test_name": "Measure", "test_code": "Test code"},
        f"national_changes_q4_{year}",
        key="overview_changes",
    )
    _as_reported(viewer, year)


def _as_reported(viewer: Viewer, year: str) -> None:
    """Figures as reported to the committee beside the current ones, restatements flagged."""
    st.subheader(f"As reported to the committee: Q4 {year}")
    frame = committee.as_reported(viewer, year, 4)
    if frame.empty:
        st.caption(f"Q4 {year} has not been reported as final yet (`scrs report --final`): nothing to compare.")
        return
    national = frame[frame["level"].eq("national") | frame["restated"]]
    restated = int(frame["restated"].sum())
    if restated:
        st.warning(
            f"{restated} figure(s) of Q4 {year} have been restated since they were reported: records were "
            "corrected later. Both figures are shown.",
            icon=":material/history:",
        )
    else:
        st.caption("No figure has changed since it was reported.")
    tables.table(
        pd.DataFrame(
            {
                "Level": national["level"],
                "Area or division": national["unit_code"],
                "Test code": national["test_code"],
                "Examined as reported": national["reported_examined"],
                "Compliant as reported": national["reported_compliant"],
                "Rate as reported %": national["reported_compliance_pct"],
                "Examined now": national["current_examined"],
                "Compliant now": national["current_compliant"],
                "Rate now %": national["current_compliance_pct"],
                "Restated": ["Restated" if r else "Unchanged" for r in national["restated"]],
            }
        ),
        f"as_reported_q4_{year}",
        key="overview_as_reported",
    )


render_page(main)
