"""Incidents (command and control): when, where, what, how closed, and the planted TEST1 verdicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scrs.generator import plan
from scrs.generator.mixes import Mixes, covid_variant
from scrs.generator.periods import (
    DAY,
    HOUR,
    Window,
    clock_changes,
    fiscal_period,
    fix_instant,
    fix_local,
    local_to_utc,
)
from scrs.generator.reference import Reference
from scrs.generator.sampling import CellGrid, draw, draw_rows, mix_vector


def edge_count(scale: float) -> int:
    return max(plan.EDGE_RECORDS_MIN, round(plan.EDGE_RECORDS_PER_WINDOW * scale))


def edge_windows(win: Window) -> list[tuple[int, int]]:
    """[start, end) naive-local windows next to quarter boundaries and around the changeover hours."""
    out: list[tuple[int, int]] = []
    for b in win.quarter_starts_local():
        b = int(b)
        if b - 15 * 60 >= win.start_local:
            out.append((b - 15 * 60, b))
        if b < win.end_local:
            out.append((b, b + 15 * 60))
    spring, autumn = clock_changes(win.start_utc, win.end_utc)
    for change in np.r_[spring, autumn]:
        c = int(change)  # as naive local: 01:00 on the change day
        out.append((c - 20 * 60, c))  # 00:40-00:59 local
        out.append((c + HOUR, c + HOUR + 20 * 60))  # 02:00-02:19 local
    return out


def sample_local_times(
    rng: np.random.Generator, win: Window, per_day: float, n_edge: int
) -> tuple[np.ndarray, np.ndarray]:
    """Naive local times with daily, weekly and seasonal rhythm, plus records planted near the edges.

    Returns (sorted local seconds, edge flag). No time falls in a changeover hour.
    """
    days = win.days
    day_num = days.astype(np.int64)
    dow = (day_num + 3) % 7  # Monday = 0
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    season = 1.0 + plan.SEASONAL_AMPLITUDE * np.sin(2 * np.pi * (doy - 105) / 365.25)
    mean = per_day * np.asarray(plan.WEEKDAY_FACTOR)[dow] * season
    counts = rng.poisson(mean)
    n = int(counts.sum())
    day = np.repeat(day_num, counts)
    hours = draw(rng, np.asarray(plan.HOURLY_WEIGHT, dtype=float), n)
    local = day * DAY + hours * HOUR + rng.integers(0, HOUR, n)
    edge = np.zeros(n, dtype=bool)
    windows = edge_windows(win)
    k = min(n_edge, n // max(1, 4 * len(windows)))
    if k > 0:
        pick = rng.choice(n, size=k * len(windows), replace=False)
        lo = np.repeat([w[0] for w in windows], k)
        hi = np.repeat([w[1] for w in windows], k)
        local[pick] = lo + (rng.random(pick.size) * (hi - lo)).astype(np.int64)
        edge[pick] = True
    local = fix_local(local)
    order = np.argsort(local, kind="stable")
    return local[order], edge[order]


@dataclass
class Incidents:
    created_local: np.ndarray
    created_utc: np.ndarray
    edge: np.ndarray
    division: np.ndarray
    grade: np.ndarray
    channel: np.ndarray
    initial_type: np.ndarray
    final_type: np.ndarray  # -1 = null (open, or closed without a final type)
    disposal: np.ndarray  # -1 = open at the end of the data
    closing_unit: np.ndarray  # planned closing unit (written only when closed)
    closed_utc: np.ndarray  # planned closure instant (meaningful only when disposal >= 0)
    cyber: np.ndarray
    planned_sc01: np.ndarray
    intended_code: np.ndarray  # first crime's code for crime-related incidents, else -1
    t1_fail: np.ndarray  # planted: crime-related, closed, and no crime will be recorded

    @property
    def n(self) -> int:
        return self.created_utc.size

    @property
    def closed(self) -> np.ndarray:
        return self.disposal >= 0

    @property
    def effective_type(self) -> np.ndarray:
        """The type TEST2 judges by: final type, else initial type."""
        return np.where(self.final_type >= 0, self.final_type, self.initial_type)


def build_incidents(
    rng: np.random.Generator, ref: Reference, mixes: Mixes, win: Window, grid: CellGrid, scale: float
) -> Incidents:
    local, edge = sample_local_times(rng, win, plan.INCIDENTS_PER_DAY * scale, edge_count(scale))
    n = local.size
    utc = local_to_utc(local)
    division = draw(rng, ref.division_share, n)
    sc01_code = ref.crime_related_disposals[0]
    sc01 = rng.random(n) < plan.SC01_SHARE

    # what happened: the first crime's code decides the type of a crime-related incident
    intended = np.full(n, -1, dtype=np.int64)
    variant = covid_variant(local)
    intended[sc01] = draw_rows(rng, mixes.code_weight, variant[sc01])
    eff = np.empty(n, dtype=np.int64)
    eff[sc01] = draw_rows(rng, mixes.type_given_code, intended[sc01])
    nc_types = mix_vector(
        ref.incident_types, plan.NON_CRIME_TYPE_MIX, "NON_CRIME_TYPE_MIX", plan.NON_CRIME_OTHER_TYPES_SHARE
    )
    eff[~sc01] = draw(rng, nc_types, int((~sc01).sum()))

    disposal_planned = np.full(n, ref.disposals.index(sc01_code), dtype=np.int64)
    nc_mix = mix_vector(ref.disposals, plan.NON_CRIME_DISPOSAL_MIX, "NON_CRIME_DISPOSAL_MIX")
    if nc_mix[ref.disposals.index(sc01_code)] > 0:
        raise ValueError("plan.NON_CRIME_DISPOSAL_MIX must not include a crime-related disposal")
    disposal_planned[~sc01] = draw(rng, nc_mix, int((~sc01).sum()))

    closing = np.empty(n, dtype=np.int64)
    closing[sc01] = draw(
        rng,
        mix_vector(ref.closing_units, plan.CLOSING_UNIT_MIX_SC01, "CLOSING_UNIT_MIX_SC01"),
        int(sc01.sum()),
    )
    closing[~sc01] = draw(
        rng,
        mix_vector(ref.closing_units, plan.CLOSING_UNIT_MIX_NC, "CLOSING_UNIT_MIX_NC"),
        int((~sc01).sum()),
    )
    grade_table = np.array(
        [
            mix_vector(ref.grades, plan.GRADE_MIX_BY_CLOSING_UNIT[u], "GRADE_MIX_BY_CLOSING_UNIT")
            for u in ref.closing_units
        ]
    )
    grade = draw_rows(rng, grade_table, closing)
    channel = draw(rng, mix_vector(ref.channels, plan.CHANNEL_MIX, "CHANNEL_MIX"), n)

    # closure
    median_h = np.array([plan.CLOSE_MEDIAN_HOURS[g] for g in ref.grades])[grade]
    delay = np.exp(np.log(median_h * HOUR) + rng.normal(0.0, 1.0, n))
    long_tail = rng.random(n) < plan.CLOSE_LONG_TAIL_SHARE
    delay[long_tail] = rng.uniform(2 * DAY, 45 * DAY, int(long_tail.sum()))
    closed_utc = fix_instant(utc + np.maximum(delay, 120).astype(np.int64))
    never = rng.random(n) < plan.OPEN_FOREVER_SHARE
    closed = ~never & (closed_utc < win.end_utc)
    disposal = np.where(closed, disposal_planned, -1)

    # types: the final type is what was found; sometimes the first call was typed differently
    final_missing = closed & (rng.random(n) < plan.FINAL_TYPE_MISSING_SHARE)
    retyped = ~final_missing & (rng.random(n) < plan.RETYPED_SHARE)
    initial = eff.copy()
    initial[retyped] = draw(
        rng, mix_vector(ref.incident_types, plan.RETYPED_FROM_MIX, "RETYPED_FROM_MIX"), int(retyped.sum())
    )
    final = np.where(closed & ~final_missing, eff, -1)

    p_cyber = np.array([plan.CYBER_FLAG_P_BY_TYPE.get(t, plan.CYBER_FLAG_P_DEFAULT) for t in ref.incident_types])
    cyber = rng.random(n) < p_cyber[eff]

    # TEST1: crime-related incidents (closed SC01) planted to have no crime
    pop = closed & sc01
    fy, fq = fiscal_period(local)
    cell = np.where(pop, grid.cell(fy, fq, division), -1)
    t1_fail = grid.plant(rng, "TEST1", cell)

    return Incidents(
        created_local=local,
        created_utc=utc,
        edge=edge,
        division=division,
        grade=grade,
        channel=channel,
        initial_type=initial,
        final_type=final,
        disposal=disposal,
        closing_unit=closing,
        closed_utc=closed_utc,
        cyber=cyber,
        planned_sc01=sc01,
        intended_code=intended,
        t1_fail=t1_fail,
    )
