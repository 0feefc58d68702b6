"""The committee's paper on the dashboard (issue 14): changes with their intervals, figures as reported
beside current, the thematic (crime type) and recording-unit views, and the paper itself as a download.

Every function takes the viewer; committee-facing views are suppressed through `query.disclosed` with the
committee's one pattern (`scrs.disclosure.committee_pattern`, as `scrs export` and the paper): a cell the
pattern hides blanks its figures and every change built on it; an earlier period's cell hidden in its own
period blanks that period's rate and the change built on it; figures as reported are blanked where today's
cell is. Crime types and recording units follow the same pattern (they are parts of Scotland's totals).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from scrs.disclosure import (
    CATEGORY_MART,
    COMPLIANCE_HIERARCHY,
    RATE_COLUMNS,
    REPORTED_LEVELS,
    UNIT_MART,
    change_hidden,
    reported_hidden,
)
from scrs.report import make_pack, render_pack
from scrs.report.data import restatements
from streamlit_app.access.audit import enforce, log_event
from streamlit_app.access.policy import Viewer, committee_paper_refusal, suppresses
from streamlit_app.data.query import (
    DataUnavailable,
    compliance_pattern,
    connection,
    disclosed,
    query,
    settings,
    table_exists,
    where,
)

YOY_COLUMNS = ("change_pp", "change_ci_lower_pp", "change_ci_upper_pp", "change")
QOQ_COLUMNS = ("qoq_change_pp", "qoq_ci_lower_pp", "qoq_ci_upper_pp", "qoq_change")
CHANGE_MARTS = {
    "national": ("marts.compliance_change_national_test", None),
    "command_area": ("marts.compliance_change_by_command_area_test", "command_area"),
    "division": ("marts.compliance_change_by_division_test", "division_code"),
}
BASE_MART = {
    "national": "compliance_national_test",
    "command_area": "compliance_by_command_area_test",
    "division": "compliance_by_division_test",
}
# Each change mart is its compliance mart plus columns: a cell sits where the compliance mart's does.
CHANGE_HIERARCHY = {
    "national": COMPLIANCE_HIERARCHY["compliance_national_test"],
    "command_area": COMPLIANCE_HIERARCHY["compliance_by_command_area_test"],
    "division": COMPLIANCE_HIERARCHY["compliance_by_division_test"],
}


def _disclosed_changes(frame: pd.DataFrame, viewer: Viewer, level: str) -> pd.DataFrame:
    """The committee's pattern in each period a row shows (`scrs.disclosure.change_hidden`, as the paper): the
    row's own cell blanks its figures and both changes; an earlier cell blanked in its own period blanks the
    earlier rate and the change built on it."""
    own_col = "division_code" if level == "division" else None
    mart = BASE_MART[level]
    if suppresses(viewer, None) and len(frame):
        hidden = change_hidden(frame, compliance_pattern(mart), mart)
    else:
        hidden = dict.fromkeys(("current", "previous_year", "previous_quarter"))
    out = disclosed(
        frame,
        viewer,
        own_col=own_col,
        blank=(*RATE_COLUMNS, *YOY_COLUMNS, *QOQ_COLUMNS),
        hierarchy=CHANGE_HIERARCHY[level],
        hidden=hidden["current"],
    )
    for period, change_columns in (("previous_year", YOY_COLUMNS), ("previous_quarter", QOQ_COLUMNS)):
        out = disclosed(
            out,
            viewer,
            own_col=own_col,
            count_col=f"{period}_examined",
            blank=(f"{period}_compliant", f"{period}_pct", *change_columns),
            flag_col=f"{period}_suppressed",
            hidden=hidden[period],
        )
    return out


def changes(
    viewer: Viewer,
    level: str,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | None = None,
    key: str | None = None,
) -> pd.DataFrame:
    """Rows of a change mart (`level`: national, command_area or division) with test_name and display_order:
    each rate with its change on a year and on a quarter, Newcombe's interval and the words. Empty when the
    publication predates the change marts."""
    table, key_col = CHANGE_MARTS[level]
    if not table_exists(*table.split(".")):
        return pd.DataFrame()  # a publication from before the change marts: nothing to show
    filters = {"fiscal_year": fiscal_year, "fiscal_quarter": fiscal_quarter, "test_code": test_code}
    if key_col is not None:
        filters[key_col] = key
    clause, params = where(filters, filters.keys())
    frame = query(
        f"SELECT m.*, t.test_name, t.display_order FROM {table} m JOIN reference.audit_tests t USING (test_code) "
        f"{clause} ORDER BY m.fiscal_year, m.fiscal_quarter, t.display_order" + (f", m.{key_col}" if key_col else ""),
        params,
    )
    return _disclosed_changes(frame, viewer, level)


def _quarter_rows(mart: str, fiscal_year: str, fiscal_quarter: int, order: str) -> pd.DataFrame | None:
    """One quarter's rows of a thematic mart with test_name and display_order, ordered by test then `order`;
    None when the publication predates the mart."""
    if not table_exists("marts", mart):
        return None
    return query(
        f"""
        SELECT m.*, t.test_name, t.display_order FROM marts.{mart} m
        JOIN reference.audit_tests t USING (test_code)
        WHERE m.fiscal_year = ? AND m.fiscal_quarter = ?
        ORDER BY t.display_order, {order}
        """,
        [fiscal_year, fiscal_quarter],
    )


def categories(viewer: Viewer, fiscal_year: str, fiscal_quarter: int) -> pd.DataFrame:
    """National compliance by crime type (three schemes; HMICS themes marked) for one quarter."""
    frame = _quarter_rows(CATEGORY_MART, fiscal_year, fiscal_quarter, "m.scheme, m.category_code")
    if frame is None:
        return pd.DataFrame()
    return disclosed(frame, viewer, hierarchy=COMPLIANCE_HIERARCHY[CATEGORY_MART], mart=CATEGORY_MART)


def units(viewer: Viewer, fiscal_year: str, fiscal_quarter: int) -> pd.DataFrame:
    """TIMELY72 and TEST2 by recording unit for one quarter, each rate with its interval."""
    frame = _quarter_rows(UNIT_MART, fiscal_year, fiscal_quarter, "m.recording_unit")
    if frame is None:
        return pd.DataFrame()
    return disclosed(frame, viewer, hierarchy=COMPLIANCE_HIERARCHY[UNIT_MART], mart=UNIT_MART)


def as_reported(viewer: Viewer, fiscal_year: str, fiscal_quarter: int) -> pd.DataFrame:
    """Figures as reported to the committee (`scrs report --final`) beside the current figures, for one
    quarter, with `restated` (any count changed). Empty when the quarter was never finalised. Division
    rows are included; a division user sees its own unsuppressed."""
    s = settings()
    try:
        with connection() as con:
            rows = [
                r
                for r in restatements(s, con, up_to=(fiscal_year, fiscal_quarter))
                if (r["fiscal_year"], r["fiscal_quarter"]) == (fiscal_year, fiscal_quarter)
            ]
    except Exception as exc:  # noqa: BLE001 - a missing publication or store is "nothing to show"
        raise DataUnavailable("The figures as reported could not be read. Try again in a moment.") from exc
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["division_code"] = frame["unit_code"].where(frame["level"] == "division")
    # Both sides blanked where the committee's pattern blanks today's cell (as the paper does).
    hidden = (
        reported_hidden(frame, {mart: compliance_pattern(mart) for mart, _ in REPORTED_LEVELS.values()})
        if suppresses(viewer, None)
        else None
    )
    for side in ("reported", "current"):
        frame = disclosed(
            frame,
            viewer,
            own_col="division_code",
            count_col=f"{side}_examined",
            blank=tuple(f"{side}_{c}" for c in RATE_COLUMNS),
            flag_col=f"{side}_suppressed",
            hidden=hidden,
        )
    return frame


def may_have_paper(viewer: Viewer) -> bool:
    return committee_paper_refusal(viewer) is None


def paper_file_name(fiscal_year: str, fiscal_quarter: int) -> str:
    return f"scrs_committee_paper_{fiscal_year.replace('/', '-')}_Q{fiscal_quarter}.zip"


def paper_zip(viewer: Viewer, fiscal_year: str, fiscal_quarter: int) -> bytes:
    """The committee's paper for a quarter (HTML, PDF, Word and tables/*.csv, as `scrs report` writes it,
    a draft: nothing is recorded as reported), zipped. Refused and logged for other roles; logged when made."""
    enforce(viewer, committee_paper_refusal(viewer))
    pack, _ = make_pack(settings(), fiscal_year, fiscal_quarter)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="scrs-paper-") as tmp:
        files = render_pack(pack, Path(tmp))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(tmp).as_posix())
    log_event(
        viewer,
        "download",
        scope="committee paper",
        file=paper_file_name(fiscal_year, fiscal_quarter),
        detail=f"generated for {pack.period} from publication {pack.publication.run_id}",
    )
    return buffer.getvalue()


def paper_maker(viewer: Viewer, fiscal_year: str, fiscal_quarter: int) -> Callable[[], bytes]:
    """A callable for st.download_button(data=...): the paper is generated (and logged) only on click."""
    return lambda: paper_zip(viewer, fiscal_year, fiscal_quarter)
