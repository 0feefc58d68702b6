"""`scrs sample` (contract section 6): sizes by the contract's formula, SRS within strata, reproducible.

Sizes are recomputed here from the formula as the contract writes it (not by calling the sampler's
function), and checked against the contract's check values.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import pytest

from scrs.audit.sampling import SAMPLE_COLUMNS, initial_size, sample_size
from tests.conftest import run_scrs

Z = 1.959964


def contract_n(N: int, margin: float = 3, expected: float = 95) -> int:
    p, e = expected / 100, margin / 100
    n0 = Z**2 * p * (1 - p) / e**2
    return min(N, math.ceil(n0 / (1 + (n0 - 1) / N)))


@pytest.mark.parametrize(("margin", "n0"), [(2, 457), (3, 203), (5, 73)])
def test_initial_size_rounds_up_to_the_contract_check_values(margin, n0):
    assert math.ceil(initial_size(margin, 95)) == n0


def test_finite_population_correction_check_value():
    assert sample_size(1000, 3, 95) == 169


@pytest.mark.parametrize("N", [1, 2, 3, 5, 7])
def test_a_small_stratum_is_taken_whole(N):
    assert sample_size(N, 3, 95) == N


@pytest.mark.parametrize("N", [8, 20, 46, 150, 999, 5000, 100_000])
@pytest.mark.parametrize(("margin", "expected"), [(2, 95), (3, 95), (5, 90), (3, 80)])
def test_sizes_follow_the_formula(N, margin, expected):
    assert sample_size(N, margin, expected) == contract_n(N, margin, expected)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def samples(published_warehouse, tmp_path_factory):
    """Three draws on the session warehouse: seed 11 twice, seed 12 once."""
    base = tmp_path_factory.mktemp("samples")
    out = {}
    for name, seed in (("a", "11"), ("b", "11"), ("c", "12")):
        run_scrs(
            "sample", "--warehouse", str(published_warehouse), "--fiscal-year", "2020/21", "--quarter", "4",
            "--seed", seed, "--out", str(base / name), "--quiet", check=True,
        )  # fmt: skip
        (path,) = (base / name).glob("audit_sample_*.csv")
        out[name] = path
    return out


def test_same_seed_gives_the_identical_file(samples):
    assert samples["a"].name == samples["b"].name
    assert samples["a"].read_bytes() == samples["b"].read_bytes()


def test_a_different_seed_draws_a_different_sample_of_the_same_sizes(samples):
    a, c = read_rows(samples["a"]), read_rows(samples["c"])
    assert {r["record_id"] for r in a} != {r["record_id"] for r in c}

    def sizes(rows):
        out: dict[tuple[str, str], int] = {}
        for r in rows:
            out[(r["division_code"], r["test_code"])] = out.get((r["division_code"], r["test_code"]), 0) + 1
        return out

    assert sizes(a) == sizes(c)


def test_every_stratum_has_the_contract_size_and_only_its_own_records(samples, published_warehouse):
    rows = read_rows(samples["a"])
    assert list(rows[0]) == list(SAMPLE_COLUMNS)
    con = duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        examined = {
            (d, t): n
            for d, t, n in con.sql(
                """select division_code, test_code, examined from marts.compliance_by_division_test
                   where fiscal_year = '2020/21' and fiscal_quarter = 4
                     and test_code in ('TEST1', 'TEST2', 'NOCRIME')"""
            ).fetchall()
        }
        population = {
            (d, t, r)
            for d, t, r in con.sql(
                """select division_code, test_code, record_id from intermediate.int_record_verdicts
                   where fiscal_year = '2020/21' and fiscal_quarter = 4"""
            ).fetchall()
        }
    finally:
        con.close()
    drawn: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        drawn.setdefault((r["division_code"], r["test_code"]), []).append(r["record_id"])
        assert (r["division_code"], r["test_code"], r["record_id"]) in population
        assert int(r["stratum_population"]) == examined[(r["division_code"], r["test_code"])]
        assert (r["fiscal_year"], r["fiscal_quarter"]) == ("2020/21", "4")
    assert set(drawn) == set(examined), "every stratum of the quarter is sampled"
    for key, ids in drawn.items():
        assert len(ids) == len(set(ids)), f"{key}: drawn with replacement"
        assert len(ids) == contract_n(examined[key]), key
    assert any(len(ids) < examined[k] for k, ids in drawn.items()), "some stratum is actually sampled"
    assert any(len(ids) == examined[k] for k, ids in drawn.items()), "some small stratum is taken whole"


def test_worklists_per_division_in_the_outcomes_layout(samples, pipeline_run):
    folder = samples["a"].parent / "worklists"
    rows = read_rows(samples["a"])
    divisions = {r["division_code"] for r in rows}
    assert {p.stem.rsplit("_", 1)[1] for p in folder.glob("*.csv")} == divisions
    assert len(list(folder.glob("*.xlsx"))) == len(divisions)
    g = read_rows(next(folder.glob("*_G.csv")))
    assert list(g[0])[:8] == [
        "sample_id", "test_code", "record_id", "verdict", "failure_reasons", "audited_by", "audited_at",
        "extracted_at",
    ]  # fmt: skip
    assert all(r["verdict"] == "" and r["division_code"] == "G" for r in g)
    assert len(g) == sum(r["division_code"] == "G" for r in rows)
    staff = {r["staff_number"] for r in read_rows(pipeline_run["truth"] / "staff_numbers.csv")}
    text = samples["a"].read_text() + "".join(p.read_text() for p in folder.glob("*.csv"))
    assert not [s for s in staff if s in text], "a staff number in the sample or a worklist"


def test_bad_options_get_a_clear_error(published_warehouse, tmp_path):
    proc = run_scrs(
        "sample", "--warehouse", str(published_warehouse), "--fiscal-year", "2020/21", "--quarter", "4",
        "--tests", "TEST9", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == "scrs sample: unknown test(s) TEST9; known: TEST1, TEST2, NOCRIME, TIMELY72, CYBER"
    proc = run_scrs("sample", "--warehouse", str(tmp_path / "none"), "--fiscal-year", "2020/21", "--quarter", "4",
                    "--out", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
