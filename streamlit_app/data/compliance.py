"""The compliance marts and the aggregates derived from `record_failures`, as the viewer may see them.

Every function takes the viewer: committee-facing views get small-cell suppression (`query.disclosed`), and
record-derived figures of a division are refused (and logged) to a viewer who may not see them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scrs.disclosure import COMPLIANCE_HIERARCHY, RATE_COLUMNS
from streamlit_app.access.audit import enforce
from streamlit_app.access.policy import Viewer, division_records_refusal
from streamlit_app.data.query import disclosed, query, where
from streamlit_app.data.reference import latest_audit_year, previous_audit_year

_COMPLIANCE_SELECT = """
SELECT m.*, t.test_name, t.display_order, m.fiscal_year || ' Q' || m.fiscal_quarter AS period
FROM {table} m JOIN reference.audit_tests t USING (test_code)
{where}
ORDER BY m.fiscal_year, m.fiscal_quarter, t.display_order{extra_order}
"""


def national_compliance(
    viewer: Viewer,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of `marts.compliance_national_test` (+ test_name, display_order, period, suppressed)."""
    clause, params = where(
        {"fiscal_year": fiscal_year, "fiscal_quarter": fiscal_quarter, "test_code": test_code},
        ("fiscal_year", "fiscal_quarter", "test_code"),
    )
    sql = _COMPLIANCE_SELECT.format(table="marts.compliance_national_test", where=clause, extra_order="")
    return disclosed(
        query(sql, params),
        viewer,
        hierarchy=COMPLIANCE_HIERARCHY["compliance_national_test"],
        mart="compliance_national_test",
    )


def command_area_compliance(
    viewer: Viewer,
    *,
    command_area: str | Sequence[str] | None = None,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of `marts.compliance_by_command_area_test` (+ test_name, display_order, period, suppressed)."""
    clause, params = where(
        {
            "command_area": command_area,
            "fiscal_year": fiscal_year,
            "fiscal_quarter": fiscal_quarter,
            "test_code": test_code,
        },
        ("command_area", "fiscal_year", "fiscal_quarter", "test_code"),
    )
    sql = _COMPLIANCE_SELECT.format(
        table="marts.compliance_by_command_area_test", where=clause, extra_order=", m.command_area"
    )
    return disclosed(
        query(sql, params),
        viewer,
        hierarchy=COMPLIANCE_HIERARCHY["compliance_by_command_area_test"],
        mart="compliance_by_command_area_test",
    )


def division_compliance(
    viewer: Viewer,
    *,
    division_code: str | Sequence[str] | None = None,
    command_area: str | None = None,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of `marts.compliance_by_division_test` (+ test_name, display_order, period, suppressed)."""
    clause, params = where(
        {
            "division_code": division_code,
            "command_area": command_area,
            "fiscal_year": fiscal_year,
            "fiscal_quarter": fiscal_quarter,
            "test_code": test_code,
        },
        ("division_code", "command_area", "fiscal_year", "fiscal_quarter", "test_code"),
    )
    sql = _COMPLIANCE_SELECT.format(
        table="marts.compliance_by_division_test", where=clause, extra_order=", m.division_code"
    )
    return disclosed(
        query(sql, params),
        viewer,
        own_col="division_code",
        hierarchy=COMPLIANCE_HIERARCHY["compliance_by_division_test"],
        mart="compliance_by_division_test",
    )


def audit_headlines(viewer: Viewer) -> pd.DataFrame:
    """National figures for Q4 of the latest year, each test, with the previous year's Q4 and the change.

    Columns: the national mart's (for the latest audit) + test_name, display_order, and `prev_fiscal_year`,
    `prev_examined`, `prev_compliant`, `prev_compliance_pct`, `prev_ci_lower_pct`, `prev_ci_upper_pct`,
    `prev_status`, `change_pp` (latest rate minus previous rate, percentage points; missing when either is),
    and the flags `suppressed`, `prev_suppressed`. Empty when there is no Q4 yet.
    """
    latest = latest_audit_year()
    if latest is None:
        return pd.DataFrame()
    previous = previous_audit_year(latest)
    frame = query(
        """
        WITH cur AS (SELECT * FROM marts.compliance_national_test WHERE fiscal_year = ? AND fiscal_quarter = 4),
             prev AS (SELECT * FROM marts.compliance_national_test WHERE fiscal_year = ? AND fiscal_quarter = 4)
        SELECT cur.*, t.test_name, t.display_order,
               prev.fiscal_year AS prev_fiscal_year, prev.examined AS prev_examined,
               prev.compliant AS prev_compliant, prev.compliance_pct AS prev_compliance_pct,
               prev.ci_lower_pct AS prev_ci_lower_pct, prev.ci_upper_pct AS prev_ci_upper_pct,
               prev.status AS prev_status,
               round(cur.compliance_pct - prev.compliance_pct, 2) AS change_pp
        FROM cur JOIN reference.audit_tests t USING (test_code)
        LEFT JOIN prev USING (test_code)
        ORDER BY t.display_order
        """,
        [latest, previous],
    )
    frame = disclosed(frame, viewer, mart="compliance_national_test")
    frame = disclosed(
        frame.assign(_prev_quarter=4),
        viewer,
        count_col="prev_examined",
        blank=tuple(f"prev_{c}" for c in RATE_COLUMNS),
        flag_col="prev_suppressed",
        mart="compliance_national_test",
        keys={"fiscal_year": "prev_fiscal_year", "fiscal_quarter": "_prev_quarter"},
    ).drop(columns="_prev_quarter")
    either = frame["suppressed"] | frame["prev_suppressed"]
    frame["change_pp"] = frame["change_pp"].astype("float64").where(~either)
    return frame


def failure_reasons(
    viewer: Viewer,
    division_code: str,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
) -> pd.DataFrame:
    """Counts of failing records by test and reason for one division (a record may have several reasons).

    Columns: test_code, test_name, display_order, failure_reason, records (failing records with that
    reason), failing_records (failing records in the test), examined (records examined in the test, from
    the division mart), share_of_failing_pct, share_of_examined_pct, suppressed.
    """
    enforce(viewer, division_records_refusal(viewer, division_code))
    clause, params = where(
        {"division_code": division_code, "fiscal_year": fiscal_year, "fiscal_quarter": fiscal_quarter},
        ("division_code", "fiscal_year", "fiscal_quarter"),
    )
    frame = query(
        f"""
        WITH combos AS (  -- a few distinct reason lists per test: split those, not every record's
            SELECT m.test_code, m.failure_reasons, count(*) AS n FROM marts.record_failures m {clause}
            GROUP BY m.test_code, m.failure_reasons
        ),
        per_test AS (SELECT test_code, sum(n)::BIGINT AS failing_records FROM combos GROUP BY test_code),
        reasons AS (
            SELECT test_code, trim(unnest(string_split(failure_reasons, ';'))) AS failure_reason, n FROM combos
        ),
        examined AS (
            SELECT m.test_code, sum(m.examined) AS examined FROM marts.compliance_by_division_test m {clause}
            GROUP BY m.test_code
        )
        SELECT r.test_code, t.test_name, t.display_order, r.failure_reason, sum(r.n)::BIGINT AS records,
               p.failing_records, e.examined,
               round(100.0 * sum(r.n) / p.failing_records, 2) AS share_of_failing_pct,
               round(100.0 * sum(r.n) / e.examined, 2) AS share_of_examined_pct
        FROM reasons r JOIN per_test p USING (test_code) JOIN reference.audit_tests t USING (test_code)
        LEFT JOIN examined e USING (test_code)
        WHERE r.failure_reason <> ''
        GROUP BY r.test_code, t.test_name, t.display_order, r.failure_reason, p.failing_records, e.examined
        ORDER BY t.display_order, records DESC, r.failure_reason
        """,
        params + params,
    )
    return disclosed(
        frame,
        viewer,
        own_scope=division_code,
        count_col="records",
        blank=("records", "share_of_failing_pct", "share_of_examined_pct"),
    )


def late_recording_by_unit(
    viewer: Viewer,
    division_code: str | None,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
) -> pd.DataFrame:
    """Crimes recorded outside the 72-hour limit, by recording unit (division_code None: all divisions).

    The marts hold failing records only, so this is the make-up of late recording (how many late crimes
    each unit recorded, and how late), not a rate per unit. Columns: recording_unit, late_records,
    share_of_late_pct, median_hours_to_record, suppressed.
    """
    enforce(viewer, division_records_refusal(viewer, division_code))
    clause, params = where(
        {
            "test_code": "TIMELY72",
            "division_code": division_code,
            "fiscal_year": fiscal_year,
            "fiscal_quarter": fiscal_quarter,
        },
        ("test_code", "division_code", "fiscal_year", "fiscal_quarter"),
    )
    frame = query(
        f"""
        SELECT coalesce(m.recording_unit, 'UNKNOWN') AS recording_unit, count(*) AS late_records,
               round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS share_of_late_pct,
               round(median(m.hours_to_record), 1) AS median_hours_to_record
        FROM marts.record_failures m {clause}
        GROUP BY 1 ORDER BY late_records DESC, recording_unit
        """,
        params,
    )
    return disclosed(
        frame,
        viewer,
        own_scope=division_code,
        count_col="late_records",
        blank=("late_records", "share_of_late_pct", "median_hours_to_record"),
    )
