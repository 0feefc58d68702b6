"""The Impact page's before/after sides sum four quarterly division cells (marts.crime_system_impact): a side
holding a quarter the committee's pattern hides is blanked, else the side minus the three shown quarters
would give the hidden one back (contract 5.1). Hand-checked go-live quarters."""

from __future__ import annotations

import pandas as pd
import pytest

from streamlit_app.access.policy import Viewer
from streamlit_app.data import improvement


@pytest.fixture
def pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    hidden = pd.DataFrame(
        [
            ("2020/21", 3, "G", "TEST1", True),  # before G's go-live (2021/22 Q2): 2020/21 Q2 .. 2021/22 Q1
            ("2022/23", 3, "G", "TIMELY72", True),  # after: 2021/22 Q3 .. 2022/23 Q2, so outside
            ("2021/22", 4, "E", "TEST1", True),  # after E's go-live: inside
        ],
        columns=["fiscal_year", "fiscal_quarter", "division_code", "test_code", "_hidden"],
    )
    monkeypatch.setattr(improvement, "compliance_pattern", lambda mart: hidden)


ROWS = pd.DataFrame(
    {
        "go_live_date": pd.to_datetime(["2021-09-28", "2021-09-28", "2021-09-28"]),
        "division_code": ["G", "G", "E"],
        "test_code": ["TEST1", "TIMELY72", "TEST1"],
    }
)


def test_a_side_holding_a_hidden_quarter_is_hidden(pattern: None) -> None:
    sides = improvement._window_hidden(ROWS, Viewer("committee", username="committee"))
    assert sides["before"].tolist() == [True, False, False]
    assert sides["after"].tolist() == [False, False, True]


def test_a_division_sees_its_own_sides(pattern: None) -> None:
    sides = improvement._window_hidden(ROWS, Viewer("division", "G", username="division-g"))
    assert sides["before"].tolist() == [False, False, False]
    assert sides["after"].tolist() == [False, False, True]
