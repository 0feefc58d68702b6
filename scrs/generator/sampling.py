"""Vectorised sampling helpers and the exact planting of failures per (period, division) cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from scrs.generator import plan
from scrs.generator.periods import fiscal_year_label


def mix_vector(names: Sequence[str], mix: Mapping[str, float], what: str, rest: float = 0.0) -> np.ndarray:
    """Probability vector over `names` from a {code: weight} mix; unknown codes are a plan error.

    Codes not in the mix get `rest` each. The result is normalised.
    """
    unknown = set(mix) - set(names)
    if unknown:
        raise ValueError(f"plan.{what} names codes not in the seeds: {sorted(unknown)}")
    p = np.array([mix.get(n, rest) for n in names], dtype=float)
    if p.sum() <= 0:
        raise ValueError(f"plan.{what} has no positive weight")
    return p / p.sum()


def draw(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws from a categorical distribution."""
    cum = np.cumsum(p)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), p.size - 1)


def draw_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per record from `weights[rows[i]]` (rows of a 2-D weight table).

    Rows with no positive weight give -1.
    """
    w = np.asarray(weights, dtype=float)
    cum = np.cumsum(w, axis=1)
    tot = cum[:, -1]
    out = np.full(rows.size, -1, dtype=np.int64)
    ok = tot[rows] > 0
    if ok.any():
        r = rows[ok]
        u = rng.random(r.size) * tot[r]
        # chunk to bound memory on large runs
        res = np.empty(r.size, dtype=np.int64)
        step = 200_000
        for i in range(0, r.size, step):
            res[i : i + step] = (cum[r[i : i + step]] <= u[i : i + step, None]).sum(axis=1)
        out[ok] = np.minimum(res, w.shape[1] - 1)
    return out


def rank_within(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """0-based rank of each record within its group, by descending key (ties by position)."""
    order = np.lexsort((-key, group))
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(start, np.diff(np.r_[start, g.size]))
    rank = np.empty(group.size, dtype=np.int64)
    rank[order] = np.arange(group.size) - first
    return rank


def _allocate(total: int, expected: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share an integer total among cells in proportion to `expected`, never above `cap`.

    Largest-remainder rounding, so the parts add up to the total exactly.
    """
    total = int(min(total, cap.sum()))
    x = np.zeros(expected.size)
    free = cap > 0
    left = float(total)
    for _ in range(expected.size + 1):
        if left <= 1e-9 or not free.any():
            break
        w = np.where(free, expected, 0.0)
        if w.sum() <= 0:
            w = np.where(free, cap - x, 0.0).astype(float)
        add = left * w / w.sum()
        over = free & (x + add > cap)
        if not over.any():
            x = x + add
            break
        x[over] = cap[over]
        free &= ~over
        left = total - x.sum()
    k = np.floor(x + 1e-9).astype(np.int64)
    short = total - int(k.sum())
    if short > 0:
        frac = np.where(k < cap, x - k, -1.0)
        for i in np.argsort(-frac, kind="stable")[:short]:
            k[i] += 1
    return np.minimum(k, cap)


def national_rate(test: str, fy: int, quarter: int) -> float:
    """Planted national rate (fraction) for a fiscal year and quarter: Q4 from the table, Q1-3 ramped."""
    table = plan.NATIONAL_Q4_RATE_PCT[test]
    years = sorted(int(k[:4]) for k in table)

    def q4(y: int) -> float:
        y = min(max(y, years[0]), years[-1])
        return table[fiscal_year_label(y)]

    this = q4(fy)
    prev = q4(fy - 1) if fy - 1 >= years[0] else this - plan.FIRST_YEAR_RAMP_PP
    if fy > years[-1]:
        prev = this
    return (prev + (this - prev) * quarter / 4.0) / 100.0


class CellGrid:
    """Cells (fiscal year, quarter, division) over the window; cell = group * n_div + division."""

    def __init__(self, fy_starts: Sequence[int], divisions: Sequence[str], go_live: Mapping[str, np.datetime64]):
        self.fy0 = fy_starts[0]
        self.n_groups = 4 * len(fy_starts)
        self.divisions = list(divisions)
        self.n_div = len(divisions)
        self.n_cells = self.n_groups * self.n_div
        self.go_live = go_live

    def cell(self, fy: np.ndarray, fq: np.ndarray, div: np.ndarray) -> np.ndarray:
        g = (fy - self.fy0) * 4 + (fq - 1)
        if g.size and (g.min() < 0 or g.max() >= self.n_groups):
            raise AssertionError("a dated record falls outside the generated fiscal years")
        return g * self.n_div + div

    def group_period(self, g: int) -> tuple[int, int]:
        return self.fy0 + g // 4, g % 4 + 1

    def quarter_start(self, g: int) -> np.datetime64:
        fy, q = self.group_period(g)
        month = (3 + 3 * (q - 1)) % 12 + 1
        year = fy + (q == 4)
        return np.datetime64(f"{year:04d}-{month:02d}-01", "D")

    def rates(self, test: str) -> tuple[np.ndarray, np.ndarray]:
        """(national rate per group, division rate per cell) as fractions."""
        nat = np.array([national_rate(test, *self.group_period(g)) for g in range(self.n_groups)])
        offsets = plan.DIVISION_OFFSET_PP.get(test, {})
        cell_rate = np.empty(self.n_cells)
        for g in range(self.n_groups):
            qs = self.quarter_start(g)
            for d, code in enumerate(self.divisions):
                bonus = plan.GO_LIVE_BONUS_PP if code in self.go_live and qs >= self.go_live[code] else 0.0
                r = nat[g] + (offsets.get(code, 0.0) + bonus) / 100.0
                cell_rate[g * self.n_div + d] = min(max(r, plan.RATE_FLOOR), plan.RATE_CEILING)
        return nat, cell_rate

    def plant(
        self, rng: np.random.Generator, test: str, cell: np.ndarray, weight: np.ndarray | None = None
    ) -> np.ndarray:
        """Choose exactly which records fail: a national count per (year, quarter), shared among divisions.

        `cell` is -1 for records outside the population. `weight` (> 0 eligible, 0 cannot fail) tilts which
        records of a cell fail (sampling without replacement). Returns a bool fail mask.
        """
        fail = np.zeros(cell.size, dtype=bool)
        inpop = cell >= 0
        if not inpop.any():
            return fail
        c = cell[inpop]
        w = np.ones(c.size) if weight is None else np.asarray(weight, dtype=float)[inpop]
        n = np.bincount(c, minlength=self.n_cells)
        cap = np.bincount(c, weights=(w > 0).astype(float), minlength=self.n_cells).astype(np.int64)
        nat, cell_rate = self.rates(test)
        k = np.zeros(self.n_cells, dtype=np.int64)
        for g in range(self.n_groups):
            sl = slice(g * self.n_div, (g + 1) * self.n_div)
            total = int(np.floor(n[sl].sum() * (1.0 - nat[g]) + 0.5))
            if total:
                k[sl] = _allocate(total, n[sl] * (1.0 - cell_rate[sl]), cap[sl])
        u = rng.random(c.size)
        with np.errstate(divide="ignore"):
            key = np.where(w > 0, np.log(np.maximum(u, 1e-300)) / np.where(w > 0, w, 1.0), -np.inf)
        rank = rank_within(c, key)
        fail[inpop] = rank < k[c]
        return fail
