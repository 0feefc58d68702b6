"""Playing the outsider (contract 5.1, issue 11): from what a role receives, work out a suppressed count.

The attacker is a linear program (scipy's HiGHS, independent of `scrs.disclosure`'s bounds propagation): the
unknowns are the blanked compliant counts, the constraints every roll-up the marts obey (an area is the sum
of its divisions, Scotland the sum of its areas), each count between 0 and its shown `examined`, and every
value the attacker holds fixed. Minimising and maximising each unknown gives exactly what can be learnt; a
count is recovered when its lowest and highest possible values are equal. This covers every subtraction (an
area minus its other divisions, Scotland minus the other areas, any chain of them) and every bound trick.

Attackers: the committee with the national pack; each division with its own pack (its rows exact, its
area's and Scotland's as the committee's) plus the national pack. The same attack on primary suppression
alone recovers cells, so the test can fail.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from scrs.disclosure import RATE_COLUMNS, suppress_small_cells
from scrs.export import export
from scrs.settings import Settings
from streamlit_app.access.policy import Viewer
from streamlit_app.data import compliance
from tests.conftest import run_scrs

MARTS = ("compliance_by_division_test", "compliance_by_command_area_test", "compliance_national_test")
PART = ["fiscal_year", "fiscal_quarter", "test_code"]
MIN_RECORDS = 10


@pytest.fixture(scope="module")
def packs(published_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pd.DataFrame]]:
    out: dict[str, dict[str, pd.DataFrame]] = {}
    base = tmp_path_factory.mktemp("packs")
    run_scrs(
        "export", "--warehouse", str(published_warehouse), "--out", str(base / "national"), "--national", check=True
    )
    out["national"] = {m: pd.read_csv(base / "national" / f"{m}.csv", dtype={"fiscal_quarter": int}) for m in MARTS}
    settings = Settings.from_env(warehouse_dir=published_warehouse)
    for code in division_codes(published_warehouse):  # in process: thirteen CLI start-ups would be slow
        folder = base / f"division_{code}"
        export(settings, folder, division=code)
        out[code] = {m: pd.read_csv(folder / f"{m}.csv", dtype={"fiscal_quarter": int}) for m in MARTS}
    return out


def division_codes(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return [
            r[0] for r in con.sql("select distinct division_code from marts.compliance_by_division_test").fetchall()
        ]


def truth(warehouse: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return {m: con.sql(f"select * from marts.{m}").df() for m in MARTS}


def cells(national_pack: dict[str, pd.DataFrame], own: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per cell as the attacker holds it: node, parent, examined, compliant (NaN when blank)."""
    d, a, n = (national_pack[m] for m in MARTS)
    frame = pd.concat(
        [
            d.assign(node="D:" + d["division_code"], parent="A:" + d["command_area"], owner=d["division_code"]),
            a.assign(node="A:" + a["command_area"], parent="N", owner=None),
            n.assign(node="N", parent=None, owner=None),
        ],
        ignore_index=True,
    )[[*PART, "node", "parent", "owner", "examined", "compliant"]]
    if own is not None:  # the division's own rows, exact, from its own pack
        mine = own.assign(node="D:" + own["division_code"])[[*PART, "node", "compliant"]]
        frame = frame.merge(mine, on=[*PART, "node"], how="left", suffixes=("", "_own"))
        frame["compliant"] = frame["compliant_own"].combine_first(frame["compliant"])
        frame = frame.drop(columns="compliant_own")
    return frame


def recovered(frame: pd.DataFrame, partitions: set[tuple] | None = None) -> list[tuple]:
    """Every blank compliant count the attacker can pin to one value (partition, node, value), in every
    partition or only in `partitions`. Each parent's value is the sum of its children's (of each `equation`,
    when the frame has that column: a total with several partitions, such as Scotland by crime type)."""
    found = []
    for key, group in frame.groupby(PART, sort=True):
        if partitions is not None and key not in partitions:
            continue
        group = group.reset_index(drop=True)
        unknown = group["compliant"].isna().to_numpy()
        if not unknown.any():
            continue
        index = {node: i for i, node in enumerate(group["node"])}
        rows = []
        # One equation per parent, or per parent and `equation` where a total has several partitions.
        sums = ["parent", "equation"] if "equation" in group.columns else ["parent"]
        equations = group.assign(equation=group["equation"].fillna("")) if "equation" in group.columns else group
        for sum_key, children in equations.groupby(sums)["node"]:
            parent = sum_key[0] if isinstance(sum_key, tuple) else sum_key
            if parent not in index:
                continue
            row = np.zeros(len(group))
            row[index[parent]] = 1.0
            for child in children:
                row[index[child]] = -1.0
            rows.append(row)
        bounds = [
            (0.0, float(e)) if u else (float(c), float(c))
            for e, c, u in zip(group["examined"], group["compliant"], unknown, strict=True)
        ]
        a_eq = np.array(rows) if rows else None
        b_eq = np.zeros(len(rows)) if rows else None
        for i in np.flatnonzero(unknown):
            goal = np.zeros(len(group))
            goal[i] = 1.0
            low = linprog(goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            high = linprog(-goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            assert low.status == 0 and high.status == 0, (key, group["node"][i])
            if round(high.x[i] - low.x[i], 6) < 1:  # one integer value left (network LPs have integral vertices)
                found.append((*key, group["node"][i], round(low.x[i])))
    return found


def test_the_marts_obey_the_roll_ups_the_attacker_uses(published_warehouse: Path) -> None:
    d, a, n = (truth(published_warehouse)[m] for m in MARTS)
    by_area = d.groupby([*PART, "command_area"])[["examined", "compliant"]].sum().reset_index()
    check = a.merge(by_area, on=[*PART, "command_area"], suffixes=("", "_sum"))
    assert len(check) == len(a) and (check["compliant"] == check["compliant_sum"]).all()
    by_nation = a.groupby(PART)[["examined", "compliant"]].sum().reset_index()
    check = n.merge(by_nation, on=PART, suffixes=("", "_sum"))
    assert len(check) == len(n) and (check["compliant"] == check["compliant_sum"]).all()


def test_primary_suppression_alone_is_undone_by_subtraction(published_warehouse: Path) -> None:
    """What the issue found: with only the primary rule, the committee's pack gives suppressed counts away."""
    marts = truth(published_warehouse)
    primary = {m: suppress_small_cells(marts[m], MIN_RECORDS, blank=RATE_COLUMNS) for m in MARTS}
    found = recovered(cells(primary))
    assert len(found) >= 5, found
    true = cells(marts).set_index([*PART, "node"])["compliant"]
    assert all(true.loc[tuple(f[:-1])] == f[-1] for f in found)  # the attack is right, not lucky


def test_the_committee_recovers_nothing_from_the_national_pack(packs: dict) -> None:
    national = packs["national"]
    assert recovered(cells(national)) == []
    for mart in MARTS:  # and no count built on fewer than 10 records is shown
        frame = national[mart]
        small = frame[frame["examined"] < MIN_RECORDS]
        assert len(small) > 0 or mart == "compliance_national_test"
        assert small[list(RATE_COLUMNS)].isna().all().all(), mart


def test_no_division_recovers_a_neighbour_from_its_pack_and_the_national_pack(packs: dict, published_warehouse) -> None:
    marts = truth(published_warehouse)
    for code, pack in packs.items():
        if code == "national":
            continue
        own = pack["compliance_by_division_test"]
        assert (own["division_code"] == code).all() and own["compliant"].notna().all()  # its own, unsuppressed
        # Its area's and Scotland's rows are exactly the committee's (blank where the committee's are).
        for mart in MARTS[1:]:
            committee = packs["national"][mart].merge(pack[mart][PART + ["compliant"]], on=PART, how="inner")
            if mart == MARTS[1]:
                committee = committee[committee["command_area"].isin(pack[mart]["command_area"])]
            assert (committee["compliant_x"].isna() == committee["compliant_y"].isna()).all(), (code, mart)
        # A cell the division knows from its own figures alone (an area where it is the only division with
        # records that quarter) tells it nothing about anyone else.
        # Only where its own cell is blank to the committee does it know more than the committee (whose
        # attack is the test above), so only those periods and tests are attacked again.
        committee = cells(packs["national"])
        mine = committee[committee["owner"].eq(code) & committee["compliant"].isna()]
        partitions = set(mine[PART].itertuples(index=False, name=None))
        own_only = cells(packs["national"], own)
        own_only["compliant"] = own_only["compliant"].where(own_only["owner"].eq(code))
        implied = {f[:4] for f in recovered(own_only, partitions)}
        found = [
            f
            for f in recovered(cells(packs["national"], own), partitions)
            if f[3] != f"D:{code}" and f[:4] not in implied
        ]
        assert found == [], (code, found)
    assert len(marts[MARTS[0]]) == sum(
        len(p["compliance_by_division_test"]) for c, p in packs.items() if c != "national"
    )


def dashboard_frames(viewer: Viewer) -> dict[str, pd.DataFrame]:
    """The three compliance views as the dashboard's data layer gives them to `viewer` (every period)."""
    return {
        MARTS[0]: compliance.division_compliance(viewer),
        MARTS[1]: compliance.command_area_compliance(viewer),
        MARTS[2]: compliance.national_compliance(viewer),
    }


def test_the_dashboard_gives_a_committee_viewer_or_a_division_nothing_more(
    published_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    committee = dashboard_frames(Viewer("committee", username="committee"))
    assert recovered(cells(committee)) == []
    for mart in MARTS:  # no count under 10 visible
        frame = committee[mart]
        assert frame.loc[frame["examined"] < MIN_RECORDS, list(RATE_COLUMNS)].isna().all().all(), mart
    code = "E"
    seen = dashboard_frames(Viewer("division", code, username="division-e"))
    own = seen[MARTS[0]][seen[MARTS[0]]["division_code"].eq(code)]
    assert own["compliant"].notna().all()  # its own division unsuppressed
    whole = cells(seen)
    own_only = whole.assign(compliant=whole["compliant"].where(whole["owner"].eq(code)))
    implied = {f[:4] for f in recovered(own_only)}
    assert [f for f in recovered(whole) if f[3] != f"D:{code}" and f[:4] not in implied] == []
