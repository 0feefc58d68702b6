"""About the data: definitions, the interval method, extract dates, publication, and what is synthetic."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import query, reference
from streamlit_app.ui import format as fmt
from streamlit_app.ui import tables
from streamlit_app.ui.page import render_page


def _publication(viewer: Viewer) -> None:
    st.header("When the data was published")
    pub = reference.publication()
    if pub is None:
        st.info("The published warehouse has no publication record.")
    else:
        cols = st.columns(3)
        cols[0].metric("Last published", f"{pub['published_at']:%d %b %Y %H:%M}")
        cols[1].metric("Data extracted up to", f"{pub['latest_extracted_at']:%d %b %Y %H:%M}")
        cols[2].metric("Extract files loaded", fmt.fmt_count(pub.get("files_loaded")))
        st.caption(f"Pipeline run {pub['run_id']}. Times are UK local time.")
        by_extract = pub.get("latest_extracted_at_by_extract")
        if isinstance(by_extract, str) and by_extract.strip():
            extracts = pd.DataFrame(
                [{"Extract": kind, "Latest extracted at": when} for kind, when in json.loads(by_extract).items()]
            )
            tables.table(
                extracts, "extract_dates", key="about_extract_dates", caption="Latest extract date of each kind"
            )
    periods = reference.fiscal_periods()
    if not periods.empty:
        first, last = periods.iloc[0], periods.iloc[-1]
        st.markdown(
            f"Compliance figures cover **{first['fiscal_year']} Q{first['fiscal_quarter']}** to "
            f"**{last['fiscal_year']} Q{last['fiscal_quarter']}** (financial years April–March; Q1 = April–June, "
            "Q4 = January–March)."
        )
    loads = reference.load_registry_summary()
    if not loads.empty:
        table = loads.rename(
            columns={
                "extract_kind": "Extract",
                "files": "Files loaded",
                "rows": "Rows",
                "first_loaded_at": "First loaded",
                "last_loaded_at": "Last loaded",
            }
        )
        tables.table(table, "extract_loads", key="about_loads", caption="Extract files loaded into the warehouse")


def _definitions(viewer: Viewer) -> None:
    st.header("What each figure means")
    target = fmt.fmt_target()
    st.markdown(
        f"""
- **Compliance rate** = compliant records ÷ records examined, as a percentage. Every record in the extracts
  is examined (not a sample), placed in a period by the date in the table below.
- **Periods**: financial years run April to March (`2020/21` = 1 April 2020 to 31 March 2021). The
  **annual audit view** is Q4 (January–March) of each year, the quarter Police Scotland's own SCRS audit
  looks at.
- **Target**: Police Scotland's own target is **{target}** in each test.
- **Failure reasons**: a failing record lists every rule it breaks, so it can count under more than one
  reason.
"""
    )
    tests = reference.audit_tests()
    table = pd.DataFrame(
        {
            "Test": tests["test_name"],
            "Code": tests["test_code"],
            "Records examined": tests["population"],
            "Compliant when": tests["compliant_when"],
            "Failure reasons": tests["failure_reasons"].str.replace(";", ", "),
            "Dated by": tests["dated_by"],
        }
    )
    tables.table(table, "test_definitions", key="about_tests")


def _method() -> None:
    st.header("Intervals and status")
    target = fmt.fmt_target()
    st.markdown(
        f"""
A rate from a few hundred records is uncertain, so every rate comes with a **95% Wilson score interval**
(z = 1.959964). With *n* records examined and observed rate *p*:

centre = (p + z²/2n) / (1 + z²/n), half-width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).

The interval is the plausible range for the underlying rate. Status against the {target} target:

- **{fmt.status_words("meets")}**: the whole interval is at or above {target} (lower bound ≥ {target}).
- **{fmt.status_words("below")}**: the whole interval is under {target} (upper bound < {target}).
- **{fmt.status_words("not_distinguishable")}**: the interval includes {target}. With 100–200 records, a
  division at 93% is in this group: the data cannot say whether it meets the target.

Two divisions whose intervals overlap cannot be told apart: do not rank them against each other.
Check values: 111 of 133 → 83.46% (76.22–88.82%); 10 of 10 → 100% (72.25–100%).

**Disclosure**: published tables are public documents and small counts can identify people. In the
committee's view any rate built on fewer than **{fmt.min_records()}** records is suppressed (shown as
"suppressed"), and so are counts of failing records below that number.
"""
    )


def _synthetic(viewer: Viewer) -> None:
    st.header("What is synthetic in the demonstration")
    st.markdown(
        """
The demonstration (`make demo`) runs on **synthetic data**: every incident, crime and training record is
generated, with planted errors, so no real person or case appears. Volumes and proportions follow public
figures (Scottish Government crime statistics, HMICS Crime Audit 2020, the SPA committee paper), but no
figure on this dashboard is an official statistic.

Reference codes marked synthetic in the data contract stand in for the force's own lists, which are not
public: disposal codes other than SC01, incident type codes, crime codes (their groups are as published),
training course codes, and most national crime system go-live dates.
"""
    )
    if query.settings().using_demo_key:
        st.warning(
            "This installation uses the demonstration pseudonymisation key (`SCRS_PSEUDONYM_KEY` is not set). "
            "That is fine for synthetic data; a real deployment must set its own secret key."
        )
    synthetic = reference.synthetic_reference_rows()
    if not synthetic.empty:
        tables.table(
            synthetic.assign(go_live_date=pd.to_datetime(synthetic["go_live_date"]).dt.date).rename(
                columns={"division_code": "Division", "go_live_date": "Go-live date", "note": "Note"}
            ),
            "synthetic_go_live_dates",
            key="about_synthetic",
            caption="Crime system go-live dates that are synthetic",
        )


def main(viewer: Viewer) -> None:
    st.title("About the data")
    _publication(viewer)
    _definitions(viewer)
    _method()
    _synthetic(viewer)


render_page(main)
