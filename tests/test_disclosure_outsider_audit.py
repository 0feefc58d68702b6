"""Playing the outsider (contract 5.1) on the Registrar audit views: from what the dashboard's data layer
gives a committee viewer or a division user, work out a blanked division count of the registrars' audit.

The attacker is a linear program (scipy's HiGHS, independent of `scrs.disclosure`'s bounds propagation), as
in tests/test_disclosure_outsider.py, over one sample and test at a time. Unknowns: every blank count of a
division or Scotland (the registrars' compliant count and the four agreement 2x2 counts). Constraints, each
checked to hold on the warehouse first: Scotland's count is the sum of the divisions' for each of the five;
a cell's four 2x2 counts add up to its (always shown) audited count; its compliant count (the registrars')
is both_compliant + rule_only_failed; every count between 0 and audited. A count is recovered when its lowest
and highest possible values are equal. A division also holds its own rows exactly.

The same attack on primary suppression alone recovers cells (the test can fail). Not attacked here: the
national stratified estimate's population weights (see `scrs.disclosure.audit_pattern`, left open).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from scrs.disclosure import suppress_small_cells
from streamlit_app.access.policy import Viewer
from streamlit_app.data import registrar_audit

SAMPLE_ID = "2020-21-Q4-generated"
MIN_RECORDS = 10
COUNTS = ("both_compliant", "both_noncompliant", "rule_only_failed", "registrar_only_failed")
VALUES = ("compliant", *COUNTS)
PART = ["sample_id", "test_code"]


def truth(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The division and national cells straight from the warehouse file (results joined to agreement)."""
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        division = con.sql(
            """select r.sample_id, r.test_code, r.division_code, r.audited, r.compliant, a.both_compliant,
                      a.both_noncompliant, a.rule_only_failed, a.registrar_only_failed
               from marts.audit_results_by_division_test r
               join marts.audit_agreement_by_division_test a using (sample_id, test_code, division_code)"""
        ).df()
        national = con.sql(
            """select r.sample_id, r.test_code, r.audited, r.compliant, a.both_compliant, a.both_noncompliant,
                      a.rule_only_failed, a.registrar_only_failed
               from marts.audit_results_national_test r
               join marts.audit_agreement_national_test a using (sample_id, test_code)"""
        ).df()
    return division, national


def cells(division: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """One row per cell as the attacker holds it: node (D:<code> or N), owner, audited and the five counts."""
    columns = [*PART, "node", "owner", "audited", *VALUES]
    return pd.concat(
        [
            division.assign(node="D:" + division["division_code"], owner=division["division_code"])[columns],
            national.assign(node="N", owner=None)[columns],
        ],
        ignore_index=True,
    )


def seen(viewer: Viewer) -> pd.DataFrame:
    """What the dashboard's data layer gives `viewer` of the sample, as cells (results and agreement views)."""
    keys = [*PART, "division_code"]
    division = registrar_audit.division_results(viewer, SAMPLE_ID)[[*keys, "audited", "compliant"]].merge(
        registrar_audit.division_agreement(viewer, SAMPLE_ID)[[*keys, *COUNTS]], on=keys, validate="one_to_one"
    )
    national = registrar_audit.national_results(viewer, SAMPLE_ID)[[*PART, "audited", "compliant"]].merge(
        registrar_audit.national_agreement(viewer, SAMPLE_ID)[[*PART, *COUNTS]], on=PART, validate="one_to_one"
    )
    return cells(division, national)


def recovered(frame: pd.DataFrame) -> list[tuple]:
    """Every blank count the attacker can pin to one value: (sample, test, node, value name, value)."""
    found = []
    for key, group in frame.groupby(PART, sort=True):
        group = group.reset_index(drop=True)
        variables = [(i, v) for i in range(len(group)) for v in VALUES]
        column = {var: j for j, var in enumerate(variables)}
        known = {var: group.at[var[0], var[1]] for var in variables}
        unknown = [j for j, var in enumerate(variables) if pd.isna(known[var])]
        if not unknown:
            continue
        rows: list[np.ndarray] = []
        rhs: list[float] = []

        def equation(terms: dict[tuple[int, str], float], total: float = 0.0, *, rows=rows, rhs=rhs, column=column):
            row = np.zeros(len(column))
            for var, coefficient in terms.items():
                row[column[var]] += coefficient
            rows.append(row)
            rhs.append(total)

        top = group.index[group["node"].eq("N")]
        for value in VALUES:  # Scotland = the sum of the divisions
            if len(top):
                equation({(top[0], value): 1.0, **{(i, value): -1.0 for i in group.index if i != top[0]}})
        for i in group.index:  # a cell's 2x2 adds up to its audited; the registrars' compliant is two of them
            equation({(i, c): 1.0 for c in COUNTS}, float(group.at[i, "audited"]))
            equation({(i, "compliant"): 1.0, (i, "both_compliant"): -1.0, (i, "rule_only_failed"): -1.0})
        bounds = [
            (0.0, float(group.at[var[0], "audited"])) if pd.isna(known[var]) else (float(known[var]),) * 2
            for var in variables
        ]
        for j in unknown:
            goal = np.zeros(len(variables))
            goal[j] = 1.0
            low = linprog(goal, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=bounds, method="highs")
            high = linprog(-goal, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=bounds, method="highs")
            assert low.status == 0 and high.status == 0, (key, variables[j])
            if round(high.x[j] - low.x[j], 6) < 1:
                i, value = variables[j]
                found.append((*key, group.at[i, "node"], value, round(low.x[j])))
    return found


def division_attack(whole: pd.DataFrame, code: str) -> list[tuple]:
    """What division `code` recovers of anyone else's blank counts beyond what its own rows alone imply."""
    own_only = whole.copy()
    own_only.loc[~own_only["owner"].eq(code), list(VALUES)] = np.nan
    implied = {f[:4] for f in recovered(own_only)}
    return [f for f in recovered(whole) if f[2] != f"D:{code}" and f[:4] not in implied]


@pytest.fixture
def served(published_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    return published_warehouse


def test_the_audit_marts_obey_the_equations_the_attacker_uses(published_warehouse: Path) -> None:
    division, national = truth(published_warehouse)
    total = division.groupby(PART)[["audited", *VALUES]].sum().reset_index()
    check = national.merge(total, on=PART, suffixes=("", "_sum"))
    assert len(check) == len(national) > 0
    for value in ("audited", *VALUES):
        assert (check[value] == check[f"{value}_sum"]).all(), value
    for frame in (division, national):
        assert (frame[list(COUNTS)].sum(axis=1) == frame["audited"]).all()
        assert (frame["compliant"] == frame["both_compliant"] + frame["rule_only_failed"]).all()


def test_primary_suppression_alone_is_undone(published_warehouse: Path) -> None:
    division, national = truth(published_warehouse)
    primary = [suppress_small_cells(f, MIN_RECORDS, count_col="audited", blank=VALUES) for f in (division, national)]
    assert (division["audited"] < MIN_RECORDS).any()  # the sample has small cells to protect
    found = recovered(cells(*primary))
    assert len(found) >= 5, found
    true = cells(division, national).set_index([*PART, "node"])
    assert all(true.loc[tuple(f[:3]), f[3]] == f[4] for f in found)  # the attack is right, not lucky


def test_a_committee_viewer_recovers_nothing_from_the_audit_views(served: Path) -> None:
    whole = seen(Viewer("committee", username="committee"))
    assert recovered(whole) == []
    small = whole[whole["audited"] < MIN_RECORDS]
    assert len(small) > 0 and small[list(VALUES)].isna().all().all()  # no count under 10 shown
    division, _ = truth(served)
    assert whole["node"].str.startswith("D:").sum() == len(division)  # every cell is there, some blank
    assert whole[list(VALUES)].notna().any(axis=1).sum() > len(whole) / 2  # and most are shown


def test_no_division_recovers_a_neighbour_from_its_audit_views(served: Path) -> None:
    division, _ = truth(served)
    committee_blank = seen(Viewer("committee", username="committee"))["compliant"].isna()
    for code in sorted(division["division_code"].unique()):
        whole = seen(Viewer("division", code, username=f"division-{code.lower()}"))
        mine = whole[whole["owner"].eq(code)]
        assert mine[list(VALUES)].notna().all().all(), code  # its own rows unsuppressed
        others = ~whole["owner"].eq(code)
        assert (whole.loc[others, "compliant"].isna() == committee_blank[others]).all(), code  # the committee's
        assert division_attack(whole, code) == [], code


def test_the_division_attack_finds_a_primary_only_neighbour(published_warehouse: Path) -> None:
    """The division attacker is strong enough: with primary suppression only (its own rows exact) a division
    in a sample and test with one small cell recovers it by subtraction."""
    division, national = truth(published_warehouse)
    primary = [suppress_small_cells(f, MIN_RECORDS, count_col="audited", blank=VALUES) for f in (division, national)]
    whole = cells(*primary)
    truth_cells = cells(division, national)
    own = truth_cells["owner"].eq("A")
    whole.loc[own, list(VALUES)] = truth_cells.loc[own, list(VALUES)]
    assert division_attack(whole, "A") != []
