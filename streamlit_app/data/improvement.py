"""The improvement plan tracker's marts and seeds, and the crime system's impact (docs/improvement_updates.md).

Aggregates only (no record-level data), so every viewer may see them and only `crime_system_impact` takes
the viewer: committee-facing views get small-cell suppression on each side of the before/after comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from streamlit_app.access.policy import Viewer, suppresses
from streamlit_app.data.query import compliance_pattern, disclosed, query, where

_ACTION_ORDER = "JOIN reference.improvement_actions a USING (action_id)"
IMPACT_SIDE_COLUMNS = ("compliant", "pct", "ci_lower_pct", "ci_upper_pct", "status")
IMPACT_DIFFERENCE_COLUMNS = ("difference_pp", "difference_ci_lower_pp", "difference_ci_upper_pp", "change")


def improvement_statuses() -> pd.DataFrame:
    """The five action statuses with their label, committee label and whether they count as closed."""
    return query(
        "SELECT status, status_label, committee_label, is_closed, display_order, description "
        "FROM reference.improvement_statuses ORDER BY display_order"
    )


def improvement_status_counts(*, level: str | None = None) -> pd.DataFrame:
    """Rows of `marts.improvement_status_counts_monthly` (level 'recommendation' or 'action'), oldest first."""
    clause, params = where({"level": level}, ("level",))
    return query(
        f"SELECT m.* FROM marts.improvement_status_counts_monthly m {clause} ORDER BY m.month_end, m.level DESC",
        params,
    )


def improvement_recommendation_status() -> pd.DataFrame:
    """Rows of `marts.improvement_recommendation_status` with the recommendation's summary (seed)."""
    return query(
        "SELECT m.*, r.summary FROM marts.improvement_recommendation_status m "
        "LEFT JOIN reference.improvement_recommendations r USING (recommendation_id) ORDER BY m.recommendation_id"
    )


def improvement_action_status(*, recommendation_id: int | None = None) -> pd.DataFrame:
    """Rows of `marts.improvement_action_status` (+ action_seq), in plan order."""
    clause, params = where({"recommendation_id": recommendation_id}, ("recommendation_id",))
    return query(
        f"SELECT m.*, a.action_seq FROM marts.improvement_action_status m {_ACTION_ORDER} {clause} "
        "ORDER BY m.recommendation_id, a.action_seq",
        params,
    )


def improvement_slippage() -> pd.DataFrame:
    """Rows of `marts.improvement_slippage` (+ action_seq), in plan order."""
    return query(
        f"SELECT m.*, a.action_seq FROM marts.improvement_slippage m {_ACTION_ORDER} "
        "ORDER BY m.recommendation_id, a.action_seq"
    )


def improvement_action_links() -> pd.DataFrame:
    """Rows of `marts.improvement_action_links` (one per link as the plan lists it)."""
    return query(
        "SELECT m.* FROM marts.improvement_action_links m "
        "JOIN reference.improvement_actions f ON f.action_id = m.from_action_id "
        "JOIN reference.improvement_actions t ON t.action_id = m.to_action_id "
        "ORDER BY f.recommendation_id, f.action_seq, t.recommendation_id, t.action_seq"
    )


def improvement_milestones() -> pd.DataFrame:
    """The plan's reporting milestones (seed `reference.improvement_milestones`), by date."""
    return query(
        "SELECT milestone_id, milestone_type, title, planned_period, planned_date, date_is_assumed, depends_on, "
        "source FROM reference.improvement_milestones ORDER BY planned_date, milestone_id"
    )


def crime_system_go_live() -> pd.DataFrame:
    """Go-live of the national crime system per division, with the division's name and command area."""
    return query(
        "SELECT g.division_code, d.division_name, d.command_area, g.go_live_date, g.is_synthetic, g.note "
        "FROM reference.crime_system_go_live g LEFT JOIN reference.divisions d USING (division_code) "
        "ORDER BY g.go_live_date, g.division_code"
    )


def crime_system_impact(viewer: Viewer, *, test_code: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of `marts.crime_system_impact` (+ test_name, display_order), by go-live date.

    For committee viewers each side (before_ / after_) built on too few records is blanked (flags
    `before_suppressed`, `after_suppressed`); the difference, its interval and `change` are blanked when
    either side is (flag `change_suppressed`).
    """
    clause, params = where({"test_code": test_code}, ("test_code",))
    frame = query(
        f"""
        SELECT m.*, t.test_name, t.display_order
        FROM marts.crime_system_impact m JOIN reference.audit_tests t USING (test_code)
        {clause}
        ORDER BY m.go_live_date, m.division_code, t.display_order
        """,
        params,
    )
    windows = _window_hidden(frame, viewer) if suppresses(viewer) else {}
    for side in ("before", "after"):
        frame = disclosed(
            frame,
            viewer,
            own_col="division_code",
            count_col=f"{side}_examined",
            blank=tuple(f"{side}_{c}" for c in IMPACT_SIDE_COLUMNS),
            flag_col=f"{side}_suppressed",
        )
        if side in windows:  # a side that sums a suppressed quarter would give it back by subtraction
            hide = windows[side] & frame[f"{side}_examined"].notna()
            for column in (f"{side}_{c}" for c in IMPACT_SIDE_COLUMNS):
                frame[column] = frame[column].astype("object").where(~hide, None)
            frame[f"{side}_suppressed"] = frame[f"{side}_suppressed"] | hide
    either = frame["before_suppressed"] | frame["after_suppressed"]
    frame.loc[either, list(IMPACT_DIFFERENCE_COLUMNS)] = None
    frame["change_suppressed"] = either
    return frame


def _fiscal(moment: pd.Timestamp, quarters_later: int) -> tuple[str, int]:
    """The financial year label and quarter `quarters_later` quarters from the one holding `moment`."""
    index = (moment.year * 12 + moment.month - 4) // 3 + quarters_later  # quarters since April of year 0
    year, quarter = divmod(index, 4)
    return f"{year}/{(year + 1) % 100:02d}", quarter + 1


def _window_hidden(frame: pd.DataFrame, viewer: Viewer) -> dict[str, pd.Series]:
    """Per side, the rows whose window (the four quarters before or after go-live, see the mart) holds a
    quarterly cell the committee's pattern hides (contract 5.1): such a side is blanked too. A division
    user's own division is exempt, as everywhere."""
    pattern = compliance_pattern("compliance_by_division_test")
    hidden = set(
        map(tuple, pattern.loc[pattern["_hidden"], ["fiscal_year", "fiscal_quarter", "division_code", "test_code"]]
            .astype({"fiscal_quarter": int}).to_numpy().tolist())
    )  # fmt: skip
    own = viewer.division_code if viewer.is_division else None
    out = {}
    for side, offsets in (("before", range(-4, 0)), ("after", range(1, 5))):
        flags = []
        for date, division, test in zip(frame["go_live_date"], frame["division_code"], frame["test_code"], strict=True):
            moment = pd.Timestamp(date)
            quarters = (_fiscal(moment, k) for k in offsets)
            flags.append(division != own and any((fy, q, division, test) in hidden for fy, q in quarters))
        out[side] = pd.Series(flags, index=frame.index, dtype=bool)
    return out
