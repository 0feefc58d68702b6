"""Training roll-ups in committee-facing views sum shown cells only, so no subtraction gives a hidden one back.

Before: a unit's (or course's, or role cluster's) total included its suppressed cells, so the total minus the
unit's shown cells gave the suppressed cell's completions whenever a unit had one (issue 11, item 1). The
expected figures here come from the mart in SQL, not from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from streamlit_app.access.policy import Viewer
from streamlit_app.data import training

GROUPS = ("unit_code", "role_cluster", "course_code")


def mart_sums(warehouse: Path, by: str, threshold: int, *, own: str | None = None) -> dict[str, tuple[int, int, int]]:
    """Per group: (people, completed) over the cells the viewer is shown, and people in the hidden ones."""
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        rows = con.sql(
            f"""SELECT {by} AS g,
                   sum(people) FILTER (WHERE people >= $t OR unit_code = $own) AS people,
                   sum(completed) FILTER (WHERE people >= $t OR unit_code = $own) AS completed,
                   sum(people) FILTER (WHERE people < $t AND unit_code IS DISTINCT FROM $own) AS hidden
                FROM marts.training_coverage GROUP BY 1""",
            params={"t": threshold, "own": own},
        ).fetchall()
    return {g: (int(p or 0), int(c or 0), int(h or 0)) for g, p, c, h in rows}


@pytest.mark.parametrize("by", GROUPS)
@pytest.mark.parametrize("viewer", [Viewer("committee", username="committee"), Viewer("division", "E", username="e")])
def test_roll_ups_are_sums_of_shown_cells(
    by: str, viewer: Viewer, published_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    expected = mart_sums(published_warehouse, by, 10, own=viewer.division_code)
    assert any(h for _, _, h in expected.values()), "the test data should have hidden training cells"
    frame = training.training_rollup(viewer, by).set_index(by)
    assert set(frame.index) == set(expected)
    for group, (people, completed, hidden) in expected.items():
        row = frame.loc[group]
        assert (row["people"], row["completed"], row["people_in_suppressed_cells"]) == (people, completed, hidden)


def test_registrars_still_see_whole_totals(published_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    with duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True) as con:
        total = con.sql("SELECT sum(completed) FROM marts.training_coverage").fetchall()[0][0]
    frame = training.training_rollup(Viewer("registrar", username="registrar"), "unit_code")
    assert int(frame["completed"].sum()) == int(total)
