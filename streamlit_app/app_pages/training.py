"""Training: SCRS course coverage by unit, role cluster and course (assigned / in progress / completed)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import query, training
from streamlit_app.ui import bars, tables
from streamlit_app.ui import format as fmt
from streamlit_app.ui.page import render_page

ALL = "All"
PARTS = (("completed", "Completed"), ("in_progress", "In progress"), ("assigned", "Assigned, not started"))
GROUPS = (
    ("course_code", "Course", "By course"),
    ("unit_code", "Unit", "By unit"),
    ("role_cluster", "Role cluster", "By role cluster"),
)


def _filters(viewer: Viewer) -> dict[str, str | None]:
    detail = training.training_coverage(viewer)
    if detail.empty:
        raise query.DataUnavailable("The published warehouse has no training records yet.")
    units = dict(zip(detail["unit_code"], detail["unit_name"], strict=True))
    courses = dict(zip(detail["course_code"], detail["course_name"], strict=True))
    clusters = sorted(detail["role_cluster"].unique())
    unit_col, cluster_col, course_col = st.columns(3)
    unit = unit_col.selectbox(
        "Unit",
        [ALL, *sorted(units)],
        format_func=lambda u: u if u == ALL else f"{units[u]} ({u})",
        key="training_unit",
    )
    cluster = cluster_col.selectbox("Role cluster", [ALL, *clusters], key="training_cluster")
    course = course_col.selectbox(
        "Course", [ALL, *sorted(courses)], format_func=lambda k: k if k == ALL else courses[k], key="training_course"
    )
    return {
        "unit_code": None if unit == ALL else unit,
        "role_cluster": None if cluster == ALL else cluster,
        "course_code": None if course == ALL else course,
    }


def _names(viewer: Viewer, column: str, values: pd.Series) -> pd.Series:
    detail = training.training_coverage(viewer)
    if column == "unit_code":
        return values.map(dict(zip(detail["unit_code"], detail["unit_name"], strict=True))).fillna(values)
    if column == "course_code":
        return values.map(dict(zip(detail["course_code"], detail["course_name"], strict=True))).fillna(values)
    return values.str.replace("_", " ").str.title().where(values.ne("C3"), "C3")


def main(viewer: Viewer) -> None:
    st.title("Training")
    st.markdown(
        "Who has been assigned SCRS-related courses, and how many have completed them. Counts are course "
        "assignments (one person on two courses counts twice)."
    )
    filters = _filters(viewer)
    scope = ", ".join(v for v in filters.values() if v) or "all units, role clusters and courses"
    totals = training.training_rollup(viewer, "course_code", **filters)
    if totals.empty:
        st.info("No training records match these filters.")
        return
    people, completed = int(totals["people"].sum()), int(totals["completed"].fillna(0).sum())
    metric_cols = st.columns(4)
    metric_cols[0].metric("Course assignments", fmt.fmt_count(people))
    metric_cols[1].metric("Completed", fmt.fmt_count(completed))
    metric_cols[2].metric("In progress", fmt.fmt_count(totals["in_progress"].fillna(0).sum()))
    metric_cols[3].metric("Assigned, not started", fmt.fmt_count(totals["assigned"].fillna(0).sum()))
    left_out = int(totals["people_in_suppressed_cells"].sum()) if "people_in_suppressed_cells" in totals else 0
    if left_out:
        st.caption(
            f"These counts and every total below leave out {fmt.fmt_count(left_out)} assignments in cells built on "
            f"fewer than {fmt.min_records()} people, so that no suppressed cell can be worked out by subtraction."
        )

    for tab, (column, title, _) in zip(st.tabs([g[2] for g in GROUPS]), GROUPS, strict=True):
        with tab:
            rows = training.training_rollup(viewer, column, **filters)
            rows = rows.assign(name=_names(viewer, column, rows[column]))
            shown = rows.dropna(subset=["completion_pct"])
            overall = 100 * completed / people if people else 0.0
            finding = f"{fmt.fmt_pct(overall, 0)} of course assignments are completed ({scope})"
            if len(shown) > 1:
                low = shown.loc[shown["completion_pct"].idxmin()]
                finding += f"; lowest {title.lower()}: {low['name']} at {fmt.fmt_pct(low['completion_pct'], 0)}"
            bars.stacked_share_chart(
                shown.sort_values("completion_pct"),
                category="name",
                category_title=title,
                parts=PARTS,
                finding=finding,
                subtitle="Completed, in progress and assigned but not started, as shares of assignments",
            )
            table = pd.DataFrame(
                {
                    title: rows["name"],
                    "Code": rows[column],
                    "Assignments": rows["people"],
                    "Completed": rows["completed"],
                    "In progress": rows["in_progress"],
                    "Assigned, not started": rows["assigned"],
                    "Completed %": rows["completion_pct"],
                }
            )
            tables.table(table, f"training_by_{column}", key=f"training_{column}")

    with st.expander("Every unit × role cluster × course (the training_coverage mart)"):
        detail = training.training_coverage(viewer, **filters)
        tables.table(
            detail[
                [
                    "unit_code",
                    "unit_name",
                    "role_cluster",
                    "course_code",
                    "course_name",
                    "people",
                    "assigned",
                    "in_progress",
                    "completed",
                    "completion_pct",
                ]
            ],
            "training_coverage",
            key="training_detail",
        )


render_page(main)
