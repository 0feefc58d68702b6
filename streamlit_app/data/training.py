"""`marts.training_coverage` as the viewer may see it: a unit built on few people is suppressed in
committee-facing views (a division user's own unit excepted)."""

from __future__ import annotations

import pandas as pd

from streamlit_app.access.policy import Viewer, suppresses
from streamlit_app.data.query import disclosed, query, where

TRAINING_VALUE_COLUMNS = ("assigned", "in_progress", "completed", "completion_pct")
TRAINING_GROUPINGS = ("unit_code", "role_cluster", "course_code")


def _disclosed(frame: pd.DataFrame, viewer: Viewer, *, own_col: str | None, own_scope: str | None) -> pd.DataFrame:
    return disclosed(
        frame, viewer, own_col=own_col, own_scope=own_scope, count_col="people", blank=TRAINING_VALUE_COLUMNS
    )


def training_coverage(
    viewer: Viewer,
    *,
    unit_code: str | None = None,
    role_cluster: str | None = None,
    course_code: str | None = None,
) -> pd.DataFrame:
    """Rows of `marts.training_coverage` with unit and course names."""
    clause, params = where(
        {"unit_code": unit_code, "role_cluster": role_cluster, "course_code": course_code}, TRAINING_GROUPINGS
    )
    frame = query(
        f"""
        SELECT m.*, coalesce(u.unit_name, m.unit_code) AS unit_name,
               coalesce(c.course_name, m.course_code) AS course_name
        FROM marts.training_coverage m
        LEFT JOIN reference.units u ON u.unit_code = m.unit_code
        LEFT JOIN reference.training_courses c ON c.course_code = m.course_code
        {clause}
        ORDER BY m.unit_code, m.role_cluster, m.course_code
        """,
        params,
    )
    return _disclosed(frame, viewer, own_col="unit_code", own_scope=unit_code)


def training_rollup(
    viewer: Viewer,
    by: str,
    *,
    unit_code: str | None = None,
    role_cluster: str | None = None,
    course_code: str | None = None,
) -> pd.DataFrame:
    """Training counts summed by one of unit_code / role_cluster / course_code (course assignments)."""
    if by not in TRAINING_GROUPINGS:
        raise ValueError(f"cannot group training by {by!r}")
    if suppresses(viewer, unit_code):
        return _rollup_of_shown_cells(
            viewer, by, unit_code=unit_code, role_cluster=role_cluster, course_code=course_code
        )
    clause, params = where(
        {"unit_code": unit_code, "role_cluster": role_cluster, "course_code": course_code}, TRAINING_GROUPINGS
    )
    frame = query(
        f"""
        SELECT m.{by}, sum(m.people) AS people, sum(m.assigned) AS assigned,
               sum(m.in_progress) AS in_progress, sum(m.completed) AS completed,
               round(100.0 * sum(m.completed) / nullif(sum(m.people), 0), 2) AS completion_pct
        FROM marts.training_coverage m {clause}
        GROUP BY m.{by} ORDER BY completion_pct, m.{by}
        """,
        params,
    )
    return _disclosed(frame, viewer, own_col="unit_code" if by == "unit_code" else None, own_scope=unit_code)


def _rollup_of_shown_cells(viewer: Viewer, by: str, **filters: str | None) -> pd.DataFrame:
    """A committee-facing roll-up: the sums of the cells this viewer is shown, never of a suppressed one.

    The training table has three dimensions (unit, role cluster, course) and every filter and roll-up of them
    is offered, so a total that included a suppressed cell could be undone by subtracting the shown cells of
    one of its many slices (contract 5.1). Summing shown cells only publishes no new equation: every figure is
    a shown cell or a sum of shown cells. `people_in_suppressed_cells` says how many assignments are left out
    (their counts are shown anyway; what they hide is how many completed).
    """
    detail = training_coverage(viewer, **filters)
    shown = detail[~detail["suppressed"]]
    sums = shown.groupby(by)[["people", "assigned", "in_progress", "completed"]].sum()
    left_out = detail[detail["suppressed"]].groupby(by)["people"].sum().rename("people_in_suppressed_cells")
    frame = sums.join(left_out, how="outer").fillna(0).astype("int64").reset_index()
    frame["completion_pct"] = (100.0 * frame["completed"] / frame["people"].where(frame["people"] > 0)).round(2)
    frame["suppressed"] = frame["people"].eq(0)
    return frame.sort_values(["completion_pct", by], na_position="last").reset_index(drop=True)
