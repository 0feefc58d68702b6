"""Complementary suppression (contract 5.1), hand-checked on small hierarchies: which extra cells are hidden,
smallest first, and the same pattern whatever the row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from scrs.disclosure import audit_pattern, compliance_pattern, protect_hierarchy


def tree(rows: list[tuple[str, str | None, int, int, int]]) -> pd.DataFrame:
    """(node, parent, level, examined, compliant); divisions (level 2) own their cell."""
    frame = pd.DataFrame(rows, columns=["node", "parent", "level", "examined", "compliant"])
    frame["owner"] = frame["node"].where(frame["level"].eq(2))
    return frame.assign(period="2020/21 Q4")


def hidden(frame: pd.DataFrame) -> set[str]:
    return set(frame.loc[protect_hierarchy(frame, 10, partition=["period"]), "node"])


AREA = [
    ("N", None, 0, 155, 140),
    ("A", "N", 1, 55, 50),
    ("B", "N", 1, 100, 90),
    ("X", "A", 2, 5, 5),  # small: primary
    ("Y", "A", 2, 20, 18),
    ("Z", "A", 2, 30, 27),
    ("U", "B", 2, 60, 54),
    ("V", "B", 2, 40, 36),
]


def test_one_small_division_takes_its_two_smallest_neighbours_with_it() -> None:
    # X alone: A - Y - Z gives it. X and Y: division X knows its own 5 and gets Y = 50 - 27 - 5. So Z too.
    assert hidden(tree(AREA)) == {"X", "Y", "Z"}


def test_the_pattern_does_not_depend_on_row_order() -> None:
    frame = tree(AREA)
    shuffled = frame.sample(frac=1, random_state=3)
    assert hidden(shuffled) == hidden(frame)


def test_two_small_cells_at_their_maximum_are_protected_up_the_tree() -> None:
    """X + Y = 11 = 5 + 6 once Z is known: whoever knows Z (division Z itself) gets both. So Z is hidden,
    then A (else Z's owner has X + Y = A - Z), then B (else A = N - B), then V, the smaller of B's
    divisions (else B = U + V), then U (else division V has B = U + V, A = N - B). Scotland stays shown."""
    rows = [
        ("N", None, 0, 141, 121),
        ("A", "N", 1, 41, 31),
        ("B", "N", 1, 100, 90),
        ("X", "A", 2, 5, 5),
        ("Y", "A", 2, 6, 6),
        ("Z", "A", 2, 30, 20),
        ("U", "B", 2, 60, 54),
        ("V", "B", 2, 40, 36),
    ]
    assert hidden(tree(rows)) == {"X", "Y", "Z", "A", "B", "V", "U"}


def lp_recoverable(frame: pd.DataFrame, hidden_nodes: set[str], attacker: str | None) -> list[str]:
    """Hidden nodes whose value a linear program pins to one number, from the shown values and (for a
    division) its own: the independent check of `protect_hierarchy`."""
    nodes = frame["node"].tolist()
    index = {n: i for i, n in enumerate(nodes)}
    unknown = [n in hidden_nodes and n != attacker for n in nodes]
    rows = []
    for parent, children in frame.groupby("parent")["node"]:
        row = np.zeros(len(nodes))
        row[index[parent]] = 1
        for child in children:
            row[index[child]] = -1
        rows.append(row)
    bounds = [(0, e) if u else (c, c) for e, c, u in zip(frame["examined"], frame["compliant"], unknown, strict=True)]
    # What the attacker knows from its own cell alone (an area of one division is that division) is no leak.
    own_only = [
        (c, c) if n == attacker else (0, e)
        for n, e, c in zip(nodes, frame["examined"], frame["compliant"], strict=True)
    ]
    pinned = []
    for i in np.flatnonzero(unknown):
        if _width(rows, own_only, i) < 0.5:
            continue
        if _width(rows, bounds, i) < 0.5:
            pinned.append(nodes[i])
    return pinned


def _width(rows: list[np.ndarray], bounds: list[tuple[int, int]], i: int) -> float:
    goal = np.zeros(len(bounds))
    goal[i] = 1
    low = linprog(goal, A_eq=np.array(rows), b_eq=np.zeros(len(rows)), bounds=bounds, method="highs")
    high = linprog(-goal, A_eq=np.array(rows), b_eq=np.zeros(len(rows)), bounds=bounds, method="highs")
    assert low.status == 0 and high.status == 0
    return high.x[i] - low.x[i]


def random_tree(rng: np.random.Generator) -> pd.DataFrame:
    """Scotland, 2-4 areas of 1-5 divisions; small and large counts, rates from 60 to 100%."""
    rows, n_e, n_c = [], 0, 0
    for a in range(int(rng.integers(2, 5))):
        a_e = a_c = 0
        kids = []
        for d in range(int(rng.integers(1, 6))):
            e = int(rng.choice([1, 2, 3, 5, 8, 12, 20, 40, 90]))
            c = int(rng.binomial(e, rng.choice([0.6, 0.9, 1.0])))
            kids.append((f"D{a}{d}", f"A{a}", 2, e, c))
            a_e, a_c = a_e + e, a_c + c
        rows += [(f"A{a}", "N", 1, a_e, a_c), *kids]
        n_e, n_c = n_e + a_e, n_c + a_c
    return tree([("N", None, 0, n_e, n_c), *rows])


@pytest.mark.slow  # ~11 s of CPU: in make test, not the make test-fast loop
def test_no_attacker_pins_a_hidden_value_in_random_hierarchies() -> None:
    """25 random hierarchies: the committee, and each division knowing its own cell, pin nothing hidden (an
    LP, independent of the bounds propagation); primary suppression alone is pinned in some of them."""
    rng = np.random.default_rng(20261128)
    checked = undone = 0
    for _ in range(25):
        frame = random_tree(rng)
        got = hidden(frame)
        primary = set(frame.loc[frame["examined"] < 10, "node"])
        assert primary <= got
        for attacker in [None, *sorted(n for n in got if n.startswith("D"))]:
            assert lp_recoverable(frame, got, attacker) == [], (frame, got, attacker)
            checked += 1
        undone += bool(lp_recoverable(frame, primary, None))
    assert checked > 40 and undone > 4


def test_the_compliance_marts_pattern_keeps_primary_cells_and_division_rows_line_up() -> None:
    part = {"fiscal_year": "2020/21", "fiscal_quarter": 4, "test_code": "TEST1"}
    division = pd.DataFrame(
        [
            {**part, "division_code": d, "command_area": a, "examined": e, "compliant": c}
            for d, a, e, c in [("X", "A", 5, 5), ("Y", "A", 20, 18), ("Z", "A", 30, 27), ("U", "B", 100, 90)]
        ]
    )
    area = pd.DataFrame(
        [
            {**part, "command_area": "A", "examined": 55, "compliant": 50},
            {**part, "command_area": "B", "examined": 100, "compliant": 90},
        ]
    )
    national = pd.DataFrame([{**part, "examined": 155, "compliant": 140}])
    d, a, n = compliance_pattern(division, area, national, 10)
    assert list(division.loc[d, "division_code"]) == ["X", "Y", "Z"]
    assert not a.any() and not n.any()


def test_audit_pattern_reopens_a_rare_count_with_a_cell_that_is_not_zero() -> None:
    """Hand-checked: D1 (5 audited) is small. For the compliant count alone: D2 (the smallest other) is its
    complement, but D2 knows its own 11 and would get D1 = 61 - 11 - 18 - 27, so D3 is hidden as well (each
    owner then faces two unknowns); Scotland shown. Rule-only failures are 0, 0, 0, 2 and Scotland's 2: the
    hidden D1 + D2 + D3 = 2 - 2 = 0 pins all three at 0. Only a cell whose value is not 0 reopens it: D4
    (value 2, smaller than Scotland). D4 knows its own 2, so to it D1 + D2 + D3 is pinned at 0 again until
    Scotland is hidden too."""
    division = pd.DataFrame(
        {
            "sample_id": "s",
            "test_code": "TEST1",
            "division_code": ["D1", "D2", "D3", "D4"],
            "audited": [5, 12, 20, 30],
            "compliant": [5, 11, 18, 27],
            "rule_only_failed": [0, 0, 0, 2],
        }
    )
    national = pd.DataFrame(
        {"sample_id": ["s"], "test_code": ["TEST1"], "audited": [67], "compliant": [61], "rule_only_failed": [2]}
    )
    hidden_division, hidden_national = audit_pattern(division, national, 10)
    assert set(division.loc[hidden_division, "division_code"]) == {"D1", "D2", "D3", "D4"}
    assert hidden_national.tolist() == [True]
    only_compliant = audit_pattern(division.drop(columns="rule_only_failed"), national, 10)
    assert set(division.loc[only_compliant[0], "division_code"]) == {"D1", "D2", "D3"}
    assert only_compliant[1].tolist() == [False]
