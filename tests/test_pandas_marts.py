"""The benchmark's pandas recomputation (scrs/bench/pandas_marts.py) gets the marts' figures, so `make bench`
compares like with like; being written independently of the SQL, it is also a second check of the marts."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from scrs.bench.pandas_marts import compliance_tables, judge

KEYS = {
    "compliance_by_division_test": ["fiscal_year", "fiscal_quarter", "division_code", "test_code"],
    "compliance_by_command_area_test": ["fiscal_year", "fiscal_quarter", "command_area", "test_code"],
    "compliance_national_test": ["fiscal_year", "fiscal_quarter", "test_code"],
}


@pytest.fixture(scope="module")
def recomputed(pipeline_run) -> dict[str, pd.DataFrame]:
    return compliance_tables(judge(pipeline_run["landing"]))


@pytest.mark.parametrize("mart", list(KEYS))
def test_the_pandas_script_gets_the_marts_figures(pipeline_run, recomputed, mart):
    with duckdb.connect(str(pipeline_run["warehouse"] / "warehouse.duckdb"), read_only=True) as con:
        published = con.sql(f"select * from marts.{mart}").df()
    key = KEYS[mart]
    merged = published.merge(recomputed[mart], on=key, how="outer", suffixes=("_mart", "_pandas"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10)
    assert len(merged) > 30
    for column in ("examined", "compliant", "compliance_pct", "status"):
        differ = merged[merged[f"{column}_mart"] != merged[f"{column}_pandas"]]
        assert differ.empty, f"{column}:\n{differ[[*key, f'{column}_mart', f'{column}_pandas']].head(10)}"
    for column in ("ci_lower_pct", "ci_upper_pct"):  # 2 dp; float rounding may differ in the last place
        gap = (merged[f"{column}_mart"] - merged[f"{column}_pandas"]).abs().max()
        assert gap <= 0.01 + 1e-9, f"{column} differs by {gap}"
