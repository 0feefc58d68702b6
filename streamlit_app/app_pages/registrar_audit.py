"""Registrar audit: the registrars' sampled figures beside the rules' census figures, how far the two agree,
and (registrars and engineers) the samples' progress, worklists and disagreements (docs/registrar_audit.md).

- Everyone: per test, the audit figure (stratified estimate) and the automated figure, each with its interval
  and count, and the agreement in words; per division, the sampled figures (committee-facing views with small
  cells suppressed, a division user's own division unsuppressed).
- Registrars and engineers: progress (audited of sampled per division), a worklist per division generated on
  click, and every division's disagreements. A division user: its own disagreements. The committee: no
  record-level data.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import reference
from streamlit_app.data import registrar_audit as audit
from streamlit_app.ui import audit as audit_ui
from streamlit_app.ui import format as fmt
from streamlit_app.ui import tables
from streamlit_app.ui.page import render_page

SAMPLE_KEY = "registrar_audit_sample"


def _choose_sample(samples: pd.DataFrame) -> str:
    labels = {r.sample_id: f"{r.fiscal_year} Q{r.fiscal_quarter} · sample {r.sample_id}" for r in samples.itertuples()}
    if len(labels) == 1:
        return next(iter(labels))
    return st.selectbox("Audit sample", list(labels), format_func=labels.get, key=SAMPLE_KEY)


def _figures(viewer: Viewer, sample_id: str) -> None:
    st.subheader("The audit figure beside the automated one")
    st.markdown(
        "The **audit figure** is the registrars' verdicts on a random sample, weighted up to each division's "
        "records (a stratified estimate); its interval is the sampling error. The **automated figure** is the "
        "rules applied to every record of the same quarter. If the rules judged records as the registrars do, "
        "the two would differ only by sampling error; the agreement below says how far they do."
    )
    national = audit.national_results(viewer, sample_id)
    agreement = audit.national_agreement(viewer, sample_id)
    for row in national.itertuples():
        with st.container(border=True):
            st.markdown(f"**{row.test_name}** (`{row.test_code}`)")
            left, right = st.columns(2)
            left.metric(
                "Audit figure (registrars, sample)",
                fmt.fmt_pct(row.compliance_pct),
                help="Stratified estimate over the divisions' samples, with its 95% interval.",
            )
            left.caption(
                f"95% interval {fmt.fmt_interval(row.ci_lower_pct, row.ci_upper_pct)} · "
                f"{fmt.fmt_count(row.audited)} of {fmt.fmt_count(row.sampled)} sampled records audited · "
                f"{fmt.status_badge(fmt.shown_status(row.status, row.suppressed))}"
            )
            right.metric("Automated figure (rules, every record)", fmt.fmt_pct(row.automated_pct))
            right.caption(
                f"95% interval {fmt.fmt_interval(row.automated_ci_lower_pct, row.automated_ci_upper_pct)} · "
                f"{fmt.fmt_count(row.automated_examined)} records examined"
            )
            agreed = agreement[agreement["test_code"].eq(row.test_code)]
            if not agreed.empty:
                st.markdown(audit_ui.agreement_sentence(agreed.iloc[0]))
    shown = national.rename(
        columns={
            "test_name": "Test",
            "compliance_pct": "Audit %",
            "ci_lower_pct": "Audit lower %",
            "ci_upper_pct": "Audit upper %",
            "audited": "Audited",
            "sampled": "Sampled",
            "population": "Records in the quarter",
            "automated_pct": "Automated %",
            "automated_ci_lower_pct": "Automated lower %",
            "automated_ci_upper_pct": "Automated upper %",
            "automated_examined": "Examined by the rules",
        }
    )
    tables.table(
        shown[
            [
                "Test",
                "Audit %",
                "Audit lower %",
                "Audit upper %",
                "Audited",
                "Sampled",
                "Records in the quarter",
                "Automated %",
                "Automated lower %",
                "Automated upper %",
                "Examined by the rules",
            ]
        ],  # fmt: skip
        "registrar_audit_national",
        key="audit_national",
    )


def _by_division(viewer: Viewer, sample_id: str) -> pd.DataFrame:
    st.subheader("By division")
    results = audit.division_results(viewer, sample_id)
    table = audit_ui.division_results_table(results)
    tables.table(
        table,
        "registrar_audit_by_division",
        key="audit_by_division",
        caption="The registrars' verdicts per division: compliant of audited, Wilson 95% interval.",
    )
    agreement = audit.division_agreement(viewer, sample_id)
    st.markdown("**Agreement by division**")
    audit_ui.agreement_table(
        agreement,
        {"test_name": "Test", "division_name": "Division", "division_code": "Code"},
        "registrar_audit_agreement_by_division",
        "audit_agreement_by_division",
    )
    return results


def _progress(results: pd.DataFrame) -> None:
    st.subheader("Progress")
    per_division = (
        results.groupby(["division_code", "division_name"], as_index=False)[["sampled", "audited"]]
        .sum()
        .sort_values("division_code")
    )
    total_sampled, total_audited = int(per_division["sampled"].sum()), int(per_division["audited"].sum())
    st.progress(
        total_audited / total_sampled if total_sampled else 0.0,
        text=f"{total_audited:,} of {total_sampled:,} sampled records audited",
    )
    per_division["Done %"] = (100 * per_division["audited"] / per_division["sampled"]).round(1)
    tables.table(
        per_division.rename(
            columns={"division_code": "Code", "division_name": "Division", "sampled": "Sampled", "audited": "Audited"}
        ),
        "registrar_audit_progress",
        key="audit_progress",
    )


def _worklists(viewer: Viewer, sample_id: str, divisions: list[str], names: dict[str, str]) -> None:
    st.subheader("Worklists")
    st.markdown(
        "One file per division, in the layout of `audit_outcomes`: fill in `verdict`, `failure_reasons`, "
        "`audited_by`, `audited_at` and `extracted_at`, leave out rows not yet audited, and drop the file into the "
        "landing folder as `audit_outcomes_<anything>.csv`. The worklist does not show the rules' verdict. "
        "Each download is recorded in the access log."
    )
    cols = st.columns(4)
    for i, code in enumerate(divisions):
        cols[i % 4].download_button(
            f"{names.get(code, code)} ({code})",
            data=partial(audit.worklist, viewer, sample_id, code),
            file_name=audit.worklist_file_name(sample_id, code),
            mime="text/csv",
            key=f"worklist_{code}",
            icon=":material/download:",
            on_click="ignore",
        )


def _disagreements(viewer: Viewer, sample_id: str, names: dict[str, str]) -> None:
    st.subheader("Disagreements")
    if viewer.role == "committee":
        st.caption("The records behind the disagreements are record-level data: they go to the divisions and the "
                   "registrars, not the committee.")  # fmt: skip
        return
    frame = audit.disagreements(viewer, sample_id)
    who = f"division {viewer.division_code}" if viewer.is_division else "every division"
    st.markdown(
        f"Audited records of {who} where the registrar and the rules differ: *only the rules failed it* (a rule "
        "stricter than the registrars, or something the registrar missed) or *only the registrar failed it* (a "
        "failure the rules do not see). These are what the registrars and the rule owners review together."
    )
    if frame.empty:
        st.info("No disagreements in this sample so far.")
        return
    tables.table(
        frame.rename(
            columns={
                "division_code": "Division",
                "test_code": "Test",
                "record_id": "Record",
                "event_date": "Date",
                "rule_verdict": "Rules",
                "rule_failure_reasons": "Rules' reasons",
                "registrar_verdict": "Registrar",
                "registrar_failure_reasons": "Registrar's reasons",
                "disagreement": "Disagreement",
            }
        )[
            [
                "Division",
                "Test",
                "Record",
                "Date",
                "Rules",
                "Rules' reasons",
                "Registrar",
                "Registrar's reasons",
                "Disagreement",
            ]
        ],  # fmt: skip
        "registrar_audit_disagreements",
        key="audit_disagreements",
        caption=f"{len(frame):,} records",
    )


def main(viewer: Viewer) -> None:
    st.title("Registrar audit")
    samples = audit.audit_samples()
    if samples.empty:
        st.info(
            "No audit sample has been registered yet. A registrar draws one with `scrs sample` and drops the "
            "`audit_sample_*.csv` file into the landing folder (docs/registrar_audit.md)."
        )
        return
    sample_id = _choose_sample(samples)
    divisions = reference.divisions()
    names = dict(zip(divisions["division_code"], divisions["division_name"], strict=True))
    _figures(viewer, sample_id)
    results = _by_division(viewer, sample_id)
    if viewer.works_audit:
        _progress(results)
        _worklists(viewer, sample_id, sorted(results["division_code"].unique()), names)
    _disagreements(viewer, sample_id, names)


render_page(main)
