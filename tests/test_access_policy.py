"""The access policy and the disclosure rule as plain functions (no Streamlit, no warehouse): hand-checked
cases of what each role may see and download, and of which cells are blanked."""

from __future__ import annotations

import pandas as pd
import pytest

from scrs.disclosure import RATE_COLUMNS, suppress_small_cells
from streamlit_app.access import policy
from streamlit_app.access.policy import NATIONAL, Viewer

COMMITTEE = Viewer("committee", username="committee")
DIVISION_E = Viewer("division", "E", username="division-e")
REGISTRAR = Viewer("registrar", username="registrar")
ENGINEER = Viewer("engineer", username="engineer")
CODES = ["A", "E", "G"]


def test_download_scopes_per_role() -> None:
    assert policy.download_scopes(COMMITTEE, CODES) == [NATIONAL]
    assert policy.download_scopes(DIVISION_E, CODES) == ["E", NATIONAL]
    assert policy.download_scopes(REGISTRAR, CODES) == [NATIONAL, "A", "E", "G"]
    assert policy.download_scopes(ENGINEER, CODES) == [NATIONAL, "A", "E", "G"]


@pytest.mark.parametrize(
    ("viewer", "scope", "refused"),
    [
        (COMMITTEE, NATIONAL, False),
        (COMMITTEE, "E", True),
        (DIVISION_E, "E", False),
        (DIVISION_E, "G", True),
        (DIVISION_E, NATIONAL, False),
        (REGISTRAR, "G", False),
    ],
)
def test_pack_refusals(viewer: Viewer, scope: str, refused: bool) -> None:
    refusal = policy.pack_refusal(viewer, scope)
    assert (refusal is not None) is refused
    if refusal is not None:
        assert refusal.scope == scope and refusal.message


def test_record_derived_figures_and_division_requests() -> None:
    assert policy.division_records_refusal(DIVISION_E, "E") is None
    assert policy.division_records_refusal(DIVISION_E, "G").scope == "G"
    assert policy.division_records_refusal(DIVISION_E, None).scope == "all divisions"
    assert policy.division_records_refusal(COMMITTEE, None) is not None  # no record-derived breakdowns at all
    assert policy.division_records_refusal(COMMITTEE, "E") is not None
    assert COMMITTEE.may_open_division("E") and not COMMITTEE.may_see_division_records("E")
    assert DIVISION_E.may_open_division("E") and not DIVISION_E.may_open_division("G")
    assert policy.division_records_refusal(REGISTRAR, None) is None
    assert policy.division_request_refusal(DIVISION_E, "G") is not None
    assert policy.division_request_refusal(DIVISION_E, "") is None
    assert policy.division_request_refusal(ENGINEER, "G") is None


def test_access_log_readers_and_suppression() -> None:
    assert [v.role for v in (COMMITTEE, DIVISION_E, REGISTRAR, ENGINEER) if policy.access_log_refusal(v) is None] == [
        "registrar",
        "engineer",
    ]
    assert policy.suppresses(COMMITTEE) and policy.suppresses(COMMITTEE, "E")
    assert policy.suppresses(DIVISION_E) and not policy.suppresses(DIVISION_E, "E")
    assert not policy.suppresses(REGISTRAR) and not policy.suppresses(ENGINEER)
    assert policy.exempt_division(DIVISION_E) == "E" and policy.exempt_division(COMMITTEE) is None


def test_a_division_viewer_needs_its_division() -> None:
    with pytest.raises(ValueError):
        Viewer("division")


def _cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fiscal_year": ["2020/21"] * 3,
            "division_code": ["A", "E", "G"],
            "examined": [9, 3, 10],
            "compliant": [9, 1, 9],
            "compliance_pct": [100.0, 33.33, 90.0],
            "ci_lower_pct": [70.09, 6.15, 59.58],
            "ci_upper_pct": [100.0, 79.23, 98.21],
            "status": ["not_distinguishable", "below", "not_distinguishable"],
        }
    )


def test_primary_suppression_blanks_everything_but_the_count() -> None:
    cells = _cells()
    out = suppress_small_cells(cells, 10, hierarchy=("fiscal_year", "division_code"))
    assert list(out.columns) == list(cells.columns)  # no flag column unless asked for
    blanked = out.loc[[0, 1], list(RATE_COLUMNS)]
    assert blanked.isna().all().all()
    assert list(out["examined"]) == [9, 3, 10]
    assert out.loc[2, "compliant"] == 9 and out.loc[2, "status"] == "not_distinguishable"
    assert str(out["compliant"].dtype) == "Int64"  # a blanked count stays a count (no 9.0 in a CSV)
    assert cells.loc[0, "compliant"] == 9  # the input is not modified


def test_exempt_rows_and_the_flag() -> None:
    cells = _cells()
    out = suppress_small_cells(cells, 10, exempt=cells["division_code"].eq("E"), flag_col="suppressed")
    assert list(out["suppressed"]) == [True, False, False]
    assert out.loc[1, "compliant"] == 1 and out.loc[1, "status"] == "below"


def test_a_count_that_is_itself_small_is_blanked_when_listed() -> None:
    reasons = pd.DataFrame({"records": [4, 25], "share_pct": [2.0, 12.5]})
    out = suppress_small_cells(reasons, 10, count_col="records", blank=("records", "share_pct"))
    assert pd.isna(out.loc[0, "records"]) and pd.isna(out.loc[0, "share_pct"])
    assert out.loc[1, "records"] == 25


def test_unknown_columns_are_errors() -> None:
    with pytest.raises(KeyError):
        suppress_small_cells(_cells(), 10, count_col="people")
    with pytest.raises(KeyError):
        suppress_small_cells(_cells(), 10, hierarchy=("command_area",))
