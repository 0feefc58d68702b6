"""Cells of another period, or of another time, follow the committee's whole pattern (contract 5.1).

A change view shows, beside each quarter's figures, the same cell a year and a quarter earlier; the figures
as reported show the same cell as it stood when reported. Blanking those only when their own count is under
the threshold gives away a complementary blank: a cell hidden in its own quarter (≥ 10 records, hidden so a
small neighbour cannot be worked out) would be shown as the "earlier" rate of a later row. The reference is
`scrs export --national`'s pattern (the committee's pattern, checked by the outsider in
tests/test_disclosure_outsider.py); the expected blanks are worked out here with the calendar written out,
not with `scrs.disclosure`'s period arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scrs.export import export
from scrs.report import as_reported
from scrs.report.data import current_figures, open_pack_data
from scrs.settings import Settings
from scrs.warehouse import read_only
from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee
from tests.test_disclosure_outsider import MARTS, PART, cells, recovered

MIN_RECORDS = 10
LEVELS = {  # change view level -> (compliance mart, its key columns beside the period and test)
    "division": ("compliance_by_division_test", ["command_area", "division_code"]),
    "command_area": ("compliance_by_command_area_test", ["command_area"]),
    "national": ("compliance_national_test", []),
}
PAPER_YEAR, PAPER_QUARTER = "2020/21", 4
STEPS = (("year", "previous_year", "change_pp"), ("quarter", "previous_quarter", "qoq_change_pp"))


def earlier(fiscal_year: str, fiscal_quarter: int, step: str) -> tuple[str, int]:
    """The same quarter a year earlier, or the quarter before, written out (no shared helper)."""
    first, second = int(fiscal_year[:4]), int(fiscal_year[5:])
    year_before = f"{first - 1}/{second - 1:02d}"
    if step == "year":
        return year_before, fiscal_quarter
    return (year_before, 4) if fiscal_quarter == 1 else (fiscal_year, fiscal_quarter - 1)


@pytest.fixture(scope="module")
def national_pack(published_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("national")
    export(Settings.from_env(warehouse_dir=published_warehouse), out, national=True)
    return {m: pd.read_csv(out / f"{m}.csv", dtype={"fiscal_year": str, "fiscal_quarter": int}) for m in MARTS}


@pytest.fixture
def committee_view(published_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    monkeypatch.setenv("SCRS_AS_REPORTED_DB", str(tmp_path / "as_reported.sqlite"))
    return tmp_path / "as_reported.sqlite"


def blanked(pack: dict[str, pd.DataFrame], mart: str, keys: list[str]) -> set[tuple]:
    frame = pack[mart]
    return set(frame.loc[frame["compliant"].isna(), ["fiscal_year", "fiscal_quarter", *keys, "test_code"]].itertuples(
        index=False, name=None
    ))  # fmt: skip


def complementary(pack: dict[str, pd.DataFrame], mart: str, keys: list[str]) -> set[tuple]:
    """Cells the committee's pattern hides although they hold 10 or more records."""
    frame = pack[mart]
    hidden = frame["compliant"].isna() & frame["examined"].ge(MIN_RECORDS)
    return set(frame.loc[hidden, ["fiscal_year", "fiscal_quarter", *keys, "test_code"]].itertuples(
        index=False, name=None
    ))  # fmt: skip


def test_earlier_cells_in_the_change_views_are_blanked_as_in_their_own_quarter(committee_view, national_pack) -> None:
    viewer = Viewer("committee", username="committee")
    found_complementary = 0
    for level, (mart, keys) in LEVELS.items():
        hidden = blanked(national_pack, mart, keys)
        extra = complementary(national_pack, mart, keys)
        view = committee.changes(viewer, level)
        assert len(view) > 0
        for row in view.itertuples(index=False):
            here = (row.fiscal_year, int(row.fiscal_quarter))
            key = tuple(getattr(row, k) for k in keys) + (row.test_code,)
            now_hidden = (*here, *key) in hidden
            assert pd.isna(row.compliant) == now_hidden, (level, here, key)
            for step, prefix, change_col in STEPS:
                cell = (*earlier(*here, step), *key)
                before_hidden = cell in hidden
                shown = getattr(row, f"{prefix}_pct")
                if before_hidden:  # the earlier rate and the change built on it are blank
                    assert pd.isna(shown) and pd.isna(getattr(row, change_col)), (level, here, key, step)
                    assert pd.isna(getattr(row, f"{prefix}_compliant")), (level, here, key, step)
                    found_complementary += cell in extra
                elif not pd.isna(getattr(row, f"{prefix}_examined")):
                    assert not pd.isna(shown), (level, here, key, step)  # nothing blanked that need not be
                    assert pd.isna(getattr(row, change_col)) == now_hidden, (level, here, key, step)
    # The case the threshold alone misses: an earlier cell of 10 or more records, hidden in its own quarter.
    assert found_complementary > 0, "the test data should have an earlier cell that is a complementary blank"


def test_the_paper_blanks_the_same_earlier_cells(published_warehouse: Path, committee_view, national_pack) -> None:
    settings = Settings.from_env(warehouse_dir=published_warehouse)
    pack = open_pack_data(settings, PAPER_YEAR, PAPER_QUARTER)
    columns = ["compliant", "previous_year_pct", "change_pp", "previous_quarter_pct", "qoq_change_pp"]
    found_complementary = 0
    for table, level in (("headline", "national"), ("command_areas", "command_area"), ("divisions", "division")):
        mart, keys = LEVELS[level]
        index = [*keys, "test_code"]
        paper = pd.DataFrame(pack.tables[table].rows).set_index(index)
        shown = committee.changes(Viewer("committee"), level, fiscal_year=PAPER_YEAR, fiscal_quarter=PAPER_QUARTER)
        shown = shown.set_index(index)
        assert len(paper) == len(shown) > 0, table
        assert (paper[columns].isna() == shown.loc[paper.index, columns].isna()).all().all(), table
        extra = complementary(national_pack, mart, keys)
        for key, row in paper.iterrows():
            key = key if isinstance(key, tuple) else (key,)
            for step, column in (("year", "previous_year_pct"), ("quarter", "previous_quarter_pct")):
                if (*earlier(PAPER_YEAR, PAPER_QUARTER, step), *key) in extra:
                    assert pd.isna(row[column]), (table, key, step)
                    found_complementary += 1
    # The paper's quarter has an earlier cell of 10 or more records hidden in its own quarter.
    assert found_complementary > 0


def known_cells(views: dict[str, pd.DataFrame], truth: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The three compliance marts as an attacker holding every change view knows them: a cell's compliant
    count is known when any row shows a figure built on it (its own figures, or an earlier rate or a change
    on it, from which the count follows with the shown examined count), else blank."""
    out = {}
    for level, (mart, keys) in LEVELS.items():
        view, frame = views[level], truth[mart].copy()
        key_cols = ["fiscal_year", "fiscal_quarter", *keys, "test_code"]
        seen: set[tuple] = set()
        for row in view.itertuples(index=False):
            here = (row.fiscal_year, int(row.fiscal_quarter))
            key = tuple(getattr(row, k) for k in keys) + (row.test_code,)
            if not pd.isna(row.compliant):
                seen.add((*here, *key))
            for step, prefix, change_col in STEPS:
                if not pd.isna(getattr(row, f"{prefix}_pct")) or not pd.isna(getattr(row, change_col)):
                    seen.add((*earlier(*here, step), *key))
        located = list(frame[key_cols].astype({"fiscal_quarter": int}).itertuples(index=False, name=None))
        frame["compliant"] = frame["compliant"].where(pd.Series([k in seen for k in located], index=frame.index))
        out[mart] = frame
    return out


def test_the_outsider_recovers_nothing_from_the_change_views(committee_view, published_warehouse: Path) -> None:
    with read_only(published_warehouse / "warehouse.duckdb") as con:
        truth = {m: con.sql(f"select * from marts.{m}").df() for m in MARTS}
    views = {level: committee.changes(Viewer("committee"), level) for level in LEVELS}
    assert recovered(cells(known_cells(views, truth))) == []
    # With the earlier cells blanked on the threshold only (as before), a complementary blank is shown as a
    # later row's earlier rate, and the roll-ups then give the small cell it protected away.
    leaky = {}
    for level, view in views.items():
        frame = view.copy()
        for prefix, change_col in (("previous_year", "change_pp"), ("previous_quarter", "qoq_change_pp")):
            small = frame[f"{prefix}_examined"] < MIN_RECORDS
            restored = committee.changes(Viewer("engineer"), level)
            frame[f"{prefix}_pct"] = restored[f"{prefix}_pct"].where(~small)
            frame[change_col] = restored[change_col].where(~small & frame["compliant"].notna())
        leaky[level] = frame
    found = recovered(cells(known_cells(leaky, truth)))
    assert found, "threshold-only blanking of earlier cells should give some hidden count away"
    whole = cells(truth).set_index([*PART, "node"])["compliant"]
    assert all(whole.loc[tuple(f[:-1])] == f[-1] for f in found)  # the attack is right, not lucky


def test_figures_as_reported_are_blanked_where_todays_cell_is(
    committee_view: Path, published_warehouse: Path, national_pack
) -> None:
    with read_only(published_warehouse / "warehouse.duckdb") as con:
        figures = current_figures(con, PAPER_YEAR, PAPER_QUARTER)
    as_reported.finalise(committee_view, PAPER_YEAR, PAPER_QUARTER, figures, run_id="r", published_at="2021-05-01")
    frame = committee.as_reported(Viewer("committee"), PAPER_YEAR, PAPER_QUARTER)
    assert len(frame) == len(figures)
    hidden = {
        "national": blanked(national_pack, "compliance_national_test", []),
        "command_area": blanked(national_pack, "compliance_by_command_area_test", ["command_area"]),
        "division": {
            (y, q, d, t)
            for y, q, _, d, t in blanked(
                national_pack, "compliance_by_division_test", ["command_area", "division_code"]
            )
        },
    }
    extra = 0
    for row in frame.itertuples(index=False):
        key = (PAPER_YEAR, PAPER_QUARTER, *(() if row.level == "national" else (row.unit_code,)), row.test_code)
        expect = key in hidden[row.level]
        assert pd.isna(row.reported_compliant) == expect == pd.isna(row.current_compliant), key
        extra += expect and row.reported_examined >= MIN_RECORDS
    assert extra > 0, "the test data should have a complementary blank among the quarter's cells"
