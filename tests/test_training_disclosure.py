"""Training roll-ups in committee-facing views sum shown cells only, so no subtraction gives a hidden one back.

Before: a unit's (or course's, or role cluster's) total included its suppressed cells, so the total minus the
unit's shown cells gave the suppressed cell's completions whenever a unit had one (issue 11, item 1). The
expected figures here come from the mart in SQL, not from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from streamlit_app.access.policy import Viewer
from streamlit_app.data import training
from tests.access_helpers import make_users_file, sign_in

GROUPS = ("unit_code", "role_cluster", "course_code")
APP = Path(__file__).resolve().parent.parent / "streamlit_app" / "app.py"


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


def test_the_training_page_shows_a_committee_member_the_shown_sums_and_says_so(
    published_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    monkeypatch.setenv("SCRS_USERS_FILE", str(make_users_file(tmp_path / "users.json")))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=60), "committee")
    at.switch_page("app_pages/training.py").run()
    assert not at.exception, [e.value for e in at.exception]
    sums = mart_sums(published_warehouse, "course_code", 10)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Course assignments"] == f"{sum(p for p, _, _ in sums.values()):,}"
    assert metrics["Completed"] == f"{sum(c for _, c, _ in sums.values()):,}"
    hidden = sum(h for _, _, h in sums.values())
    assert any(f"leave out {hidden:,} assignments" in c.value for c in at.caption)
