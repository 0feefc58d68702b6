"""The registrar-audit marts on the session pipeline (contract section 6): they recover the generator's
planted sample, verdicts and agreement exactly, and their statistics agree with statsmodels and with an
independent stratified estimate computed here from the truth.

The generator plants its audit (scrs/generator/audit.py) and records the truth in `_truth/`; nothing here
reads the SQL's own intermediate results as the expected value.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from tests.conftest import run_scrs

Z = 1.959964
SAMPLE_ID = "2020-21-Q4-generated"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def marts(published_warehouse):
    con = duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True)

    def rows(name: str) -> list[dict]:
        rel = con.sql(f"select * from marts.{name}")
        return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]

    out = {
        name: rows(name)
        for name in (
            "audit_results_by_division_test",
            "audit_results_national_test",
            "audit_agreement_by_division_test",
            "audit_agreement_national_test",
            "audit_disagreements",
            "compliance_national_test",
        )
    }
    con.close()
    return out


@pytest.fixture(scope="module")
def truth(pipeline_run):
    return {(r["division_code"], r["test_code"]): r for r in read_csv(pipeline_run["truth"] / "audit_truth.csv")}


def test_columns_are_the_contracts(marts):
    assert list(marts["audit_results_by_division_test"][0]) == [
        "sample_id", "fiscal_year", "fiscal_quarter", "division_code", "division_name", "command_area",
        "test_code", "population", "sampled", "audited", "compliant", "compliance_pct", "ci_lower_pct",
        "ci_upper_pct", "status",
    ]  # fmt: skip
    assert list(marts["audit_results_national_test"][0]) == [
        "sample_id", "fiscal_year", "fiscal_quarter", "test_code", "population", "sampled", "audited",
        "compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "status", "automated_pct",
    ]  # fmt: skip
    agreement = [
        "audited", "both_compliant", "both_noncompliant", "rule_only_failed", "registrar_only_failed",
        "agreement_pct", "kappa", "kappa_ci_lower", "kappa_ci_upper",
    ]  # fmt: skip
    assert list(marts["audit_agreement_national_test"][0])[-len(agreement) :] == agreement
    assert list(marts["audit_agreement_by_division_test"][0])[-len(agreement) :] == agreement


def test_sampled_results_recover_the_planted_verdicts_exactly(marts, truth):
    got = {(r["division_code"], r["test_code"]): r for r in marts["audit_results_by_division_test"]}
    assert set(got) == set(truth)
    for key, t in truth.items():
        g = got[key]
        assert g["sample_id"] == SAMPLE_ID and (g["fiscal_year"], g["fiscal_quarter"]) == ("2020/21", 4)
        for col in ("population", "sampled", "audited", "compliant"):
            assert g[col] == int(t[col]), (key, col)
        lo, hi = proportion_confint(int(t["compliant"]), int(t["audited"]), method="wilson")
        assert float(g["ci_lower_pct"]) == pytest.approx(round(100 * lo, 2), abs=0.005001), key
        assert float(g["ci_upper_pct"]) == pytest.approx(round(100 * hi, 2), abs=0.005001), key
    unfinished = [k for k, t in truth.items() if int(t["audited"]) < int(t["sampled"])]
    assert unfinished, "the generator plants a division that has not finished"


def test_agreement_recovers_the_planted_disagreements_and_matches_statsmodels(marts, truth):
    got = {(r["division_code"], r["test_code"]): r for r in marts["audit_agreement_by_division_test"]}
    assert set(got) == set(truth)
    cols = ("both_compliant", "both_noncompliant", "rule_only_failed", "registrar_only_failed")
    for key, t in truth.items():
        g = got[key]
        assert [g[c] for c in cols] == [int(t[c]) for c in cols], key
        a, d, b, c = (int(t[x]) for x in cols)
        assert g["audited"] == a + b + c + d
        assert float(g["agreement_pct"]) == round(100 * (a + d) / (a + b + c + d), 2)
        check_kappa(g, a, b, c, d)
    assert any(g["kappa"] is not None for g in got.values())
    national = {r["test_code"]: r for r in marts["audit_agreement_national_test"]}
    for test in ("TEST1", "TEST2", "NOCRIME"):
        a, d, b, c = (sum(int(t[x]) for k, t in truth.items() if k[1] == test) for x in cols)
        assert [national[test][x] for x in cols] == [a, d, b, c]
        check_kappa(national[test], a, b, c, d)


def check_kappa(row: dict, a: int, b: int, c: int, d: int) -> None:
    """kappa and its interval as statsmodels computes them (interval clamped to kappa's range)."""
    n = a + b + c + d
    pe = ((a + c) * (a + b) + (b + d) * (c + d)) / n**2 if n else 1.0
    if n == 0 or pe >= 1 - 1e-12:
        assert row["kappa"] is None and row["kappa_ci_lower"] is None and row["kappa_ci_upper"] is None
        return
    # statsmodels also tests kappa = 0, whose variance is not positive for some tables (sqrt and z of nan): only
    # kappa and its interval are compared, so that warning is not ours to see.
    with np.errstate(invalid="ignore", divide="ignore"):
        res = cohens_kappa([[a, c], [b, d]])
    assert float(row["kappa"]) == pytest.approx(round(res.kappa, 3), abs=1e-9)
    assert float(row["kappa_ci_lower"]) == pytest.approx(round(max(-1.0, res.kappa_low), 3), abs=1e-9)
    assert float(row["kappa_ci_upper"]) == pytest.approx(round(min(1.0, res.kappa_upp), 3), abs=1e-9)


def test_the_national_figure_is_the_stratified_estimate_beside_the_census(marts, truth):
    census = {
        r["test_code"]: r["compliance_pct"]
        for r in marts["compliance_national_test"]
        if (r["fiscal_year"], r["fiscal_quarter"]) == ("2020/21", 4)
    }
    national = {r["test_code"]: r for r in marts["audit_results_national_test"]}
    for test in ("TEST1", "TEST2", "NOCRIME"):
        strata = [t for k, t in truth.items() if k[1] == test]
        use = [
            (int(t["population"]), int(t["audited"]), int(t["compliant"]))
            for t in strata
            if int(t["audited"]) >= 2 or int(t["audited"]) == int(t["population"]) > 0
        ]
        big_n = sum(n_pop for n_pop, _, _ in use)
        p = sum(n_pop * c / n for n_pop, n, c in use) / big_n
        var = sum(
            (n_pop / big_n) ** 2 * (1 - n / n_pop) * (c / n) * (1 - c / n) / (n - 1) for n_pop, n, c in use if n < n_pop
        )
        row = national[test]
        assert float(row["compliance_pct"]) == pytest.approx(round(100 * p, 2), abs=1e-9), test
        assert float(row["ci_lower_pct"]) == pytest.approx(round(100 * max(0.0, p - Z * math.sqrt(var)), 2), abs=1e-9)
        assert float(row["ci_upper_pct"]) == pytest.approx(round(100 * min(1.0, p + Z * math.sqrt(var)), 2), abs=1e-9)
        assert row["population"] == sum(int(t["population"]) for t in strata)
        assert row["audited"] == sum(int(t["audited"]) for t in strata)
        assert row["automated_pct"] == census[test]


def test_disagreements_are_exactly_the_planted_ones_with_both_reason_lists(marts, pipeline_run):
    planted = {
        (r["test_code"], r["record_id"]): r["disagreement"]
        for r in read_csv(pipeline_run["truth"] / "audit_disagreements_truth.csv")
    }
    got = {(r["test_code"], r["record_id"]): r for r in marts["audit_disagreements"]}
    assert {k: r["disagreement"] for k, r in got.items()} == planted
    for r in got.values():
        if r["disagreement"] == "rule_only_failed":
            assert r["rule_failure_reasons"] and r["registrar_failure_reasons"] is None
            assert (r["rule_verdict"], r["registrar_verdict"]) == ("NON_COMPLIANT", "COMPLIANT")
        else:
            assert r["registrar_failure_reasons"] and r["rule_failure_reasons"] is None
            assert (r["rule_verdict"], r["registrar_verdict"]) == ("COMPLIANT", "NON_COMPLIANT")


def test_scrs_sample_with_the_generators_seed_draws_the_generators_sample(published_warehouse, pipeline_run, tmp_path):
    """The generator draws from its own truth; `scrs sample` from the warehouse: same records, same sizes."""
    from tests.conftest import TEST_SEED

    run_scrs(
        "sample", "--warehouse", str(published_warehouse), "--fiscal-year", "2020/21", "--quarter", "4",
        "--seed", TEST_SEED, "--out", str(tmp_path), "--quiet", check=True,
    )  # fmt: skip
    (drawn,) = tmp_path.glob("audit_sample_*.csv")
    ours = read_csv(drawn)
    generated = read_csv(pipeline_run["landing"] / f"audit_sample_{SAMPLE_ID}.csv")
    cols = ("test_code", "record_id", "division_code", "stratum_population", "stratum_sample_size", "event_date")
    assert sorted(tuple(r[c] for c in cols) for r in ours) == sorted(tuple(r[c] for c in cols) for r in generated)


def test_registrar_staff_numbers_never_reach_the_warehouse(published_warehouse, pipeline_run):
    outcomes = read_csv(pipeline_run["landing"] / f"audit_outcomes_{SAMPLE_ID}_1.csv")
    registrars = {r["audited_by"] for r in outcomes}
    listed = {r["staff_number"] for r in read_csv(pipeline_run["truth"] / "staff_numbers.csv")}
    assert registrars and registrars <= listed
    con = duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        stored = {r[0] for r in con.sql("select distinct audited_by from raw.audit_outcomes").fetchall()}
    finally:
        con.close()
    assert len(stored) == len(registrars) and all(s.startswith("P-") for s in stored)


def test_a_division_pack_holds_its_own_audit_rows_and_the_national_pack_none(
    published_warehouse, pipeline_run, tmp_path
):
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(tmp_path / "G"), "--division", "G",
             check=True)  # fmt: skip
    planted = [
        r for r in read_csv(pipeline_run["truth"] / "audit_disagreements_truth.csv") if r["division_code"] == "G"
    ]
    own = read_csv(tmp_path / "G" / "audit_disagreements.csv")
    assert planted and sorted(r["record_id"] for r in own) == sorted(r["record_id"] for r in planted)
    for mart in ("audit_results_by_division_test", "audit_agreement_by_division_test"):
        assert {r["division_code"] for r in read_csv(tmp_path / "G" / f"{mart}.csv")} == {"G"}
    run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(tmp_path / "n"), "--national", check=True)
    assert not list((tmp_path / "n").glob("audit_*"))
