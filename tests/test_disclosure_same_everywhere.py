"""A cell is suppressed the same way in `scrs export --national` and in the committee's dashboard view: the
same cells (those the mart itself shows built on fewer than the threshold, and the complementary cells of
contract 5.1), the same figures blanked."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scrs.disclosure import RATE_COLUMNS
from scrs.export import export
from scrs.settings import Settings
from streamlit_app.access.policy import Viewer
from streamlit_app.data import compliance

KEY = ["fiscal_year", "fiscal_quarter", "division_code", "test_code"]


def test_export_and_dashboard_blank_the_same_cells(
    published_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    settings = Settings.from_env()
    threshold = settings.disclosure_min_records
    with duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True) as con:
        mart = con.sql("select * from marts.compliance_by_division_test").df()
    small = set(map(tuple, mart.loc[mart["examined"] < threshold, KEY].to_numpy().tolist()))
    assert small, "the test data should include small cells"

    export(settings, tmp_path, national=True)
    exported = pd.read_csv(tmp_path / "compliance_by_division_test.csv", dtype={"fiscal_year": str})
    shown = compliance.division_compliance(Viewer("committee"))

    blanks: dict[str, set[tuple]] = {}
    for name, frame in (("export", exported), ("dashboard", shown)):
        blank = frame[RATE_COLUMNS[0]].isna()
        blanks[name] = set(map(tuple, frame.loc[blank, KEY].to_numpy().tolist()))
        # Every small cell, plus the complementary cells that stop one being worked out (contract 5.1).
        assert small <= blanks[name] and len(blanks[name]) < len(mart) / 2
        assert frame.loc[blank, list(RATE_COLUMNS)].isna().all().all()
        kept = frame[~blank].merge(mart, on=KEY, suffixes=("", "_mart"))
        assert len(kept) == len(mart) - len(blanks[name])
        assert kept["compliant"].astype("int64").tolist() == kept["compliant_mart"].tolist()
        assert kept["status"].tolist() == kept["status_mart"].tolist()
    assert blanks["export"] == blanks["dashboard"]
    assert shown.loc[shown["suppressed"], KEY].shape[0] == len(blanks["dashboard"])
