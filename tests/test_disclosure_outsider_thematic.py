"""Playing the outsider over the crime-type and recording-unit views (contract 5.1): what a committee viewer
gets for a quarter on the dashboard (Scotland's compliance by test, compliance by crime type in every
scheme, and by recording unit) must not give a blanked count away, using every sum those tables obey.

The sums the attacker uses are checked on the marts first (not taken from the code under test): for each
crime test, the 2021-22 categories sum to Scotland's cell, and so do the legacy groups (years they cover);
for TIMELY72 and TEST2 the recording units do; an HMICS theme picked out by a 2021-22 category (the mart
names it in that category's `hmics_theme`) equals that category. The attacker is tests/test_disclosure_
outsider.py's linear program (`recovered`). The same attack on threshold-only suppression recovers cells.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scrs.disclosure import RATE_COLUMNS, suppress_small_cells
from scrs.warehouse import read_only
from streamlit_app.access.policy import Viewer
from streamlit_app.data import committee, compliance
from tests.test_disclosure_outsider import PART, recovered

MIN_RECORDS = 10
PARTITIONS = ("category_2021", "legacy_group")  # the crime-type schemes that are partitions of a test's records


@pytest.fixture
def dashboard(published_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    return published_warehouse


def marts(warehouse: Path) -> dict[str, pd.DataFrame]:
    with read_only(warehouse / "warehouse.duckdb") as con:
        return {
            name: con.sql(f"select * from marts.{name}").df()
            for name in ("compliance_national_test", "compliance_national_category_test", "compliance_by_unit_test")
        }


def quarters(warehouse: Path) -> list[tuple[str, int]]:
    national = marts(warehouse)["compliance_national_test"]
    return sorted(set(zip(national["fiscal_year"], national["fiscal_quarter"].astype(int), strict=True)))


def attacker_cells(national: pd.DataFrame, categories: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """One row per cell as a viewer holds it (node, parent, equation, examined, compliant; NaN when blank),
    with the sums it knows: Scotland = each partitioning scheme's categories = the recording units; a theme
    named by a 2021-22 category = that category."""
    scheme = categories["scheme"]
    named = categories[scheme.eq("category_2021") & categories["hmics_theme"].notna()]
    theme_of = {
        (y, int(q), t, theme): f"C:category_2021:{code}"
        for y, q, t, theme, code in named[[*PART, "hmics_theme", "category_code"]].itertuples(index=False)
    }
    theme_parent = [
        theme_of.get((y, int(q), t, code)) if s == "hmics_theme" else None
        for y, q, t, s, code in categories[[*PART, "scheme", "category_code"]].itertuples(index=False)
    ]
    partition = scheme.isin(PARTITIONS)
    frame = pd.concat(
        [
            national.assign(node="N", parent=None, equation=None),
            categories.assign(
                node="C:" + scheme + ":" + categories["category_code"],
                parent=pd.Series(theme_parent, index=categories.index, dtype=object).mask(partition, "N"),
                equation=scheme.where(partition, "theme"),
            ),
            units.assign(node="U:" + units["recording_unit"], parent="N", equation="unit"),
        ],
        ignore_index=True,
    )
    frame["fiscal_quarter"] = frame["fiscal_quarter"].astype(int)
    return frame[[*PART, "node", "parent", "equation", "examined", "compliant"]]


def test_the_sums_the_attacker_uses_hold_in_the_marts(published_warehouse: Path) -> None:
    m = marts(published_warehouse)
    national = m["compliance_national_test"].set_index(PART)[["examined", "compliant"]]
    categories = m["compliance_national_category_test"]
    for scheme in PARTITIONS:
        sums = categories[categories["scheme"].eq(scheme)].groupby(PART)[["examined", "compliant"]].sum()
        assert len(sums) > 0 and (sums == national.loc[sums.index]).all().all(), scheme
    assert set(categories.loc[categories["scheme"].eq("category_2021"), "test_code"]) == {
        "TEST2",
        "NOCRIME",
        "TIMELY72",
        "CYBER",
    }
    sums = m["compliance_by_unit_test"].groupby(PART)[["examined", "compliant"]].sum()
    assert set(sums.index.get_level_values("test_code")) == {"TIMELY72", "TEST2"}
    assert (sums == national.loc[sums.index]).all().all()
    themes = categories[categories["scheme"].eq("hmics_theme")].set_index([*PART, "category_code"])
    named = categories[categories["scheme"].eq("category_2021") & categories["hmics_theme"].notna()]
    assert len(named) > 0
    for row in named.itertuples(index=False):
        theme = themes.loc[(row.fiscal_year, row.fiscal_quarter, row.test_code, row.hmics_theme)]
        assert (theme["examined"], theme["compliant"]) == (row.examined, row.compliant)


def committee_view(year: str, quarter: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    viewer = Viewer("committee", username="committee")
    national = compliance.national_compliance(viewer)
    national = national[national["fiscal_year"].eq(year) & national["fiscal_quarter"].eq(quarter)]
    return national, committee.categories(viewer, year, quarter), committee.units(viewer, year, quarter)


def test_a_committee_viewer_recovers_no_blanked_count_from_crime_types_and_units(dashboard: Path) -> None:
    blanks = 0
    for year, quarter in quarters(dashboard):
        national, categories, units = committee_view(year, quarter)
        assert len(categories) > 0 and len(units) > 0
        for frame in (national, categories, units):  # nothing on fewer than 10 records shown
            small = frame[frame["examined"] < MIN_RECORDS]
            assert small[list(RATE_COLUMNS)].isna().all().all()
        found = recovered(attacker_cells(national, categories, units))
        assert found == [], (year, quarter, found)
        blanks += int(categories["compliant"].isna().sum())
    assert blanks > 0, "the test data should have blanked crime-type cells"


def test_threshold_only_suppression_gives_counts_away(dashboard: Path) -> None:
    m = marts(dashboard)
    primary = {name: suppress_small_cells(frame, MIN_RECORDS, blank=RATE_COLUMNS) for name, frame in m.items()}
    found = recovered(attacker_cells(*primary.values()))
    assert len(found) >= 3, found
    truth = attacker_cells(*m.values()).set_index([*PART, "node"])["compliant"]
    assert all(truth.loc[tuple(f[:-1])] == f[-1] for f in found)  # the attack is right, not lucky
