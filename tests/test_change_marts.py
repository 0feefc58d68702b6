"""Every row of the three change marts against statsmodels' Newcombe interval (an independent
implementation), on the session's published warehouse; and the words follow the interval."""

from __future__ import annotations

import duckdb
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

MARTS = (
    "compliance_change_national_test",
    "compliance_change_by_command_area_test",
    "compliance_change_by_division_test",
)


@pytest.mark.parametrize("mart", MARTS)
def test_change_marts_equal_statsmodels_newcombe(published_warehouse, mart) -> None:
    con = duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute(f"select * from marts.{mart}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    checked = 0
    for row in rows:
        for prefix, earlier, change, lower, upper in (
            ("previous_year", "change_pp", "change", "change_ci_lower_pp", "change_ci_upper_pp"),
            ("previous_quarter", "qoq_change_pp", "qoq_change", "qoq_ci_lower_pp", "qoq_ci_upper_pp"),
        ):
            n2, x2 = row[f"{prefix}_examined"], row[f"{prefix}_compliant"]
            if n2 is None:  # no earlier figure
                assert row[change] is None, row
                continue
            lo, hi = confint_proportions_2indep(row["compliant"], row["examined"], x2, n2, method="newcomb")
            assert row[lower] == pytest.approx(round(100 * lo, 2), abs=0.0101), row
            assert row[upper] == pytest.approx(round(100 * hi, 2), abs=0.0101), row
            diff = 100 * (row["compliant"] / row["examined"] - x2 / n2)
            assert row[earlier] == pytest.approx(diff, abs=0.0051)
            words = "improved" if lo > 0 else "worsened" if hi < 0 else "no_clear_change"
            assert row[change] == words, row
            checked += 1
    assert checked > 20
