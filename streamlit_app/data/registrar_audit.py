"""The registrars' audit (contract section 6, docs/registrar_audit.md) as the viewer may see it.

- Figures (sampled compliance, the national stratified estimate beside the census figure, agreement and
  kappa) are aggregates: every viewer sees them, committee-facing views with small cells suppressed
  (contract 5.1, counted on `audited`): one pattern per sample (`audit_hidden`, primary and complementary,
  `scrs.disclosure.audit_pattern`) shared by the results and the agreement views, so no blanked division is
  the national figure minus the shown ones; a division user's own division unsuppressed. The automated
  figure beside the audit one follows the compliance marts' pattern.
- The samples' records, the worklists and the disagreement list are record-level: `access.policy` decides
  (registrars and engineers everything; a division user its own disagreements; the committee none) and a
  refusal is logged before `AccessDenied` is raised.
"""

from __future__ import annotations

import pandas as pd

from scrs import db
from scrs.audit.sampling import SAMPLE_COLUMNS, worklist_csv, worklist_rows
from scrs.disclosure import AUDIT_PARTITION, AUDIT_VALUES, RATE_COLUMNS, audit_pattern, hidden_rows
from streamlit_app.access.audit import enforce, log_event
from streamlit_app.access.policy import Viewer, audit_disagreements_refusal, audit_worklist_refusal
from streamlit_app.data.query import connection, disclosed, query, settings, table_exists

# The figures of an agreement cell blanked when it is built on fewer than the threshold of audited records.
AGREEMENT_COLUMNS = (
    "both_compliant",
    "both_noncompliant",
    "rule_only_failed",
    "registrar_only_failed",
    "agreement_pct",
    "kappa",
    "kappa_ci_lower",
    "kappa_ci_upper",
)
# Where a cell sits, for disclosure control (scrs.disclosure): per sample and test, then area and division.
NATIONAL_HIERARCHY = ("sample_id", "test_code")
DIVISION_HIERARCHY = ("sample_id", "test_code", "command_area", "division_code")
AUTOMATED_COLUMNS = ("automated_compliant", "automated_pct", "automated_ci_lower_pct", "automated_ci_upper_pct")
DIVISION_KEYS = (*AUDIT_PARTITION, "division_code")
AGREEMENT_COUNTS = ", ".join(v for v in AUDIT_VALUES if v != "compliant")


def audit_hidden(sample_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The committee's pattern for one sample: division keys + `_hidden`, national keys + `_hidden`.

    Computed over every division and test of the sample (a cell's protection depends on its whole partition,
    so never on a filtered part), with the results' compliant count and the agreement's 2x2 counts together.
    """
    division = query(
        f"""SELECT r.sample_id, r.test_code, r.division_code, r.audited, r.compliant, {AGREEMENT_COUNTS}
            FROM marts.audit_results_by_division_test r
            JOIN marts.audit_agreement_by_division_test a USING (sample_id, test_code, division_code)
            WHERE r.sample_id = ? ORDER BY r.test_code, r.division_code""",
        [sample_id],
    )
    national = query(
        f"""SELECT r.sample_id, r.test_code, r.audited, r.compliant, {AGREEMENT_COUNTS}
            FROM marts.audit_results_national_test r
            JOIN marts.audit_agreement_national_test a USING (sample_id, test_code)
            WHERE r.sample_id = ? ORDER BY r.test_code""",
        [sample_id],
    )
    masks = audit_pattern(division, national, settings().disclosure_min_records)
    return (
        division[list(DIVISION_KEYS)].assign(_hidden=masks[0]),
        national[list(AUDIT_PARTITION)].assign(_hidden=masks[1]),
    )


def _hidden(frame: pd.DataFrame, sample_id: str, *, national: bool) -> pd.Series | None:
    """The sample's pattern for `frame`'s rows (None for an empty frame)."""
    if frame.empty:
        return None
    division_hidden, national_hidden = audit_hidden(sample_id)
    if national:
        return hidden_rows(frame, national_hidden, AUDIT_PARTITION)
    return hidden_rows(frame, division_hidden, DIVISION_KEYS)


def audit_samples() -> pd.DataFrame:
    """Every registered sample (sample_id, fiscal_year, fiscal_quarter), newest first. Empty before any."""
    if not table_exists("marts", "audit_results_national_test"):
        return pd.DataFrame(columns=["sample_id", "fiscal_year", "fiscal_quarter"])
    return query(
        "SELECT DISTINCT sample_id, fiscal_year, fiscal_quarter FROM marts.audit_results_national_test "
        "ORDER BY fiscal_year DESC, fiscal_quarter DESC, sample_id"
    )


def national_results(viewer: Viewer, sample_id: str) -> pd.DataFrame:
    """Per test: the audit figure (stratified estimate, interval on `audited`) and the rules' census figure
    for the same quarter (automated_*: examined, compliant, rate, interval), with test names."""
    frame = query(
        """SELECT a.*, t.test_name, t.display_order,
                  c.examined AS automated_examined, c.compliant AS automated_compliant,
                  c.ci_lower_pct AS automated_ci_lower_pct, c.ci_upper_pct AS automated_ci_upper_pct
           FROM marts.audit_results_national_test a
           JOIN reference.audit_tests t USING (test_code)
           LEFT JOIN marts.compliance_national_test c
             ON c.fiscal_year = a.fiscal_year AND c.fiscal_quarter = a.fiscal_quarter AND c.test_code = a.test_code
           WHERE a.sample_id = ? ORDER BY t.display_order""",
        [sample_id],
    )
    hidden = _hidden(frame, sample_id, national=True)
    frame = disclosed(frame, viewer, count_col="audited", hierarchy=NATIONAL_HIERARCHY, hidden=hidden)
    return disclosed(
        frame,
        viewer,
        count_col="automated_examined",
        blank=AUTOMATED_COLUMNS,
        hierarchy=NATIONAL_HIERARCHY,
        flag_col="automated_suppressed",
        mart="compliance_national_test",
    )


def _sample_rows(mart: str, sample_id: str, *, by_division: bool) -> pd.DataFrame:
    """One sample's rows of an audit mart with the test's name and order (divisions by area within a test)."""
    order = "t.display_order, a.command_area, a.division_code" if by_division else "t.display_order"
    return query(
        f"""SELECT a.*, t.test_name, t.display_order FROM marts.{mart} a
           JOIN reference.audit_tests t USING (test_code)
           WHERE a.sample_id = ? ORDER BY {order}""",
        [sample_id],
    )


def _figures(viewer: Viewer, sample_id: str, mart: str, blank: tuple[str, ...], *, by_division: bool) -> pd.DataFrame:
    """An audit mart's figures for one sample as the viewer may see it: the sample's pattern (counted on
    `audited`); by division, the viewer's own division unsuppressed."""
    frame = _sample_rows(mart, sample_id, by_division=by_division)
    return disclosed(
        frame,
        viewer,
        own_col="division_code" if by_division else None,
        count_col="audited",
        blank=blank,
        hierarchy=DIVISION_HIERARCHY if by_division else NATIONAL_HIERARCHY,
        hidden=_hidden(frame, sample_id, national=not by_division),
    )


def division_results(viewer: Viewer, sample_id: str) -> pd.DataFrame:
    """Per division and test: population, sampled, audited (progress) and the registrars' sampled compliance."""
    return _figures(viewer, sample_id, "audit_results_by_division_test", RATE_COLUMNS, by_division=True)


def national_agreement(viewer: Viewer, sample_id: str) -> pd.DataFrame:
    """Per test: the rules against the registrars nationally (2x2 counts, agreement %, kappa [interval])."""
    return _figures(viewer, sample_id, "audit_agreement_national_test", AGREEMENT_COLUMNS, by_division=False)


def division_agreement(viewer: Viewer, sample_id: str) -> pd.DataFrame:
    """Per division and test: the rules against the registrars."""
    return _figures(viewer, sample_id, "audit_agreement_by_division_test", AGREEMENT_COLUMNS, by_division=True)


def disagreements(viewer: Viewer, sample_id: str, division_code: str | None = None) -> pd.DataFrame:
    """Audited records where the registrar and the rules differ, with both reason lists (record-level).

    A division user gets its own division's (asking for none means its own); asking for another division, or
    the committee asking at all, is refused and logged.
    """
    if viewer.is_division and division_code is None:
        division_code = viewer.division_code
    enforce(viewer, audit_disagreements_refusal(viewer, division_code))
    sql = "SELECT * FROM marts.audit_disagreements WHERE sample_id = ?"
    params: list[object] = [sample_id]
    if division_code is not None:
        sql += " AND division_code = ?"
        params.append(division_code)
    return query(sql + " ORDER BY division_code, test_code, record_id", params)


def worklist_file_name(sample_id: str, division_code: str) -> str:
    return f"audit_worklist_{sample_id}_{division_code}.csv"


def worklist(viewer: Viewer, sample_id: str, division_code: str) -> bytes:
    """One division's worklist of a sample as CSV (as `scrs sample` writes it), logged as a download.

    Built when the user clicks (st.download_button's callable `data`, which runs outside the page's script
    context), so it reads the served file directly rather than through the page cache.
    """
    enforce(viewer, audit_worklist_refusal(viewer))
    columns = ", ".join(f"s.{c}" for c in SAMPLE_COLUMNS)
    with connection() as con:
        rows = db.rows(
            con,
            f"""SELECT {columns} FROM staging.stg_registrar_audit__samples s
                JOIN reference.audit_tests t USING (test_code)
                WHERE s.sample_id = ? AND s.division_code = ? ORDER BY t.display_order, s.record_id""",
            [sample_id, division_code],
        )
    body = worklist_rows(rows).get(division_code, [])
    file_name = worklist_file_name(sample_id, division_code)
    log_event(viewer, "download", scope=division_code, file=file_name, rows=len(body))
    return worklist_csv(body)
