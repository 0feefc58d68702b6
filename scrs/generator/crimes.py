"""Crime records: links to incidents, codes, timing, No Crime, cyber marker, with planted verdicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scrs.generator import plan
from scrs.generator.incidents import Incidents, edge_count, sample_local_times
from scrs.generator.mixes import Mixes, covid_variant
from scrs.generator.periods import (
    DAY,
    HOUR,
    Window,
    clock_changes,
    fiscal_period,
    fix_instant,
    in_changeover_hour,
    local_to_utc,
    utc_to_local,
)
from scrs.generator.reference import Reference
from scrs.generator.sampling import CellGrid, draw, draw_rows, mix_vector
from scrs.generator.training import People

LIMIT_72H = 72 * HOUR


@dataclass
class Crimes:
    incident: np.ndarray  # index into Incidents, -1 = recorded without an incident
    division: np.ndarray
    reported_utc: np.ndarray
    recorded_utc: np.ndarray
    code: np.ndarray
    recording_unit: np.ndarray
    cyber_marker: np.ndarray
    no_crime: np.ndarray  # final status NO_CRIME
    no_crime_utc: np.ndarray  # meaningful where no_crime
    reason: np.ndarray  # index into reason_texts, -1 = null
    reason_texts: list[str]
    requester: np.ndarray  # index into People, -1 = null
    authoriser: np.ndarray
    role: np.ndarray  # index into ref.authoriser_roles, -1 = null
    complainer: np.ndarray  # -1 null, 0 N, 1 Y
    cos: np.ndarray  # source_system COS (else LEGACY)
    planted_fail: dict[str, np.ndarray]  # per test, for self-checks only (truth is recomputed)

    @property
    def n(self) -> int:
        return self.incident.size


def _link_counts(rng: np.random.Generator, ref: Reference, inc: Incidents) -> np.ndarray:
    n = inc.n
    sc01 = ref.disposals.index(ref.crime_related_disposals[0])
    two = (rng.random(n) < plan.TWO_CRIME_SHARE).astype(np.int64)
    u = rng.random(n)
    counts = np.zeros(n, dtype=np.int64)
    pop = inc.disposal == sc01
    counts[pop & ~inc.t1_fail] = 1 + two[pop & ~inc.t1_fail]
    open_sc01 = inc.planned_sc01 & ~inc.closed
    counts[open_sc01] = (u[open_sc01] < plan.OPEN_SC01_WITH_CRIME_SHARE) * (1 + two[open_sc01])
    nc = inc.closed & ~pop
    counts[nc] = u[nc] < plan.NON_CRIME_INCIDENT_WITH_CRIME_SHARE
    return counts


def _nocrime_fields(
    rng: np.random.Generator, ref: Reference, people: People, victim: np.ndarray, fail: np.ndarray
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """No Crime fields for m records: compliant by default, broken per planted failure reasons."""
    m = victim.size
    valid = ref.no_crime_reasons
    texts = list(valid) + [f" {r} " for r in valid] + [t for t in plan.INVALID_REASON_TEXTS if t is not None]
    # compliant defaults
    reason = np.empty(m, dtype=np.int64)
    if "PROCEDURAL_ERROR" not in valid:
        raise ValueError("seeds/no_crime_reasons.csv must include PROCEDURAL_ERROR (contract table 2.4)")
    proc = valid.index("PROCEDURAL_ERROR")
    victim_ok = np.array([i for i in range(len(valid)) if i != proc])
    reason[victim] = victim_ok[draw(rng, np.linspace(3, 1, victim_ok.size), int(victim.sum()))]
    reason[~victim] = draw(rng, np.ones(len(valid)), int((~victim).sum()))
    padded = rng.random(m) < plan.PADDED_REASON_SHARE
    reason[padded] += len(valid)
    req_pool, auth_pool = people.requesters, people.authorisers
    requester = req_pool[rng.integers(0, req_pool.size, m)]
    authoriser = auth_pool[rng.integers(0, auth_pool.size, m)]
    clash = requester == authoriser
    authoriser[clash] = auth_pool[(np.searchsorted(auth_pool, authoriser[clash]) + 1) % auth_pool.size]
    ok_roles = np.array([ref.authoriser_roles.index(r) for r in ref.authorising_roles])
    bad_roles = np.array([i for i in range(len(ref.authoriser_roles)) if i not in set(ok_roles)])
    role = ok_roles[draw(rng, np.linspace(2, 1, ok_roles.size), m)]
    complainer = np.where(victim, 1, rng.choice(np.array([-1, 0, 1]), m, p=[0.3, 0.5, 0.2]))

    # failures: a first reason, sometimes a second; victim-only reasons only on victim-based codes
    names = list(plan.NOCRIME_REASON_MIX)
    expected = ref.failure_reasons["NOCRIME"]
    if set(names) != set(expected):
        raise ValueError(f"plan.NOCRIME_REASON_MIX must name exactly {expected}")
    p_all = np.array([plan.NOCRIME_REASON_MIX[r] for r in names])
    victim_only = np.array([r in ("PROCEDURAL_ERROR_ON_VICTIM_CRIME", "COMPLAINER_NOT_INFORMED") for r in names])
    p_nonvictim = np.where(victim_only, 0.0, p_all)
    flags = np.zeros((m, len(names)), dtype=bool)
    idx = np.flatnonzero(fail)
    for second in (False, True):
        sel = idx if not second else idx[rng.random(idx.size) < plan.SECOND_REASON_SHARE]
        v = victim[sel]
        pick = np.empty(sel.size, dtype=np.int64)
        pick[v] = draw(rng, p_all, int(v.sum()))
        pick[~v] = draw(rng, p_nonvictim, int((~v).sum()))
        flags[sel, pick] = True
    f = {name: flags[:, i] for i, name in enumerate(names)}
    # INVALID and PROCEDURAL_ERROR_ON_VICTIM both write the reason; MISSING and SELF both write the people
    f["PROCEDURAL_ERROR_ON_VICTIM_CRIME"] &= ~f["INVALID_REASON"]
    f["SELF_AUTHORISED"] &= ~f["MISSING_REQUESTER_OR_AUTHORISER"]

    sel = f["INVALID_REASON"]
    invalid = np.array([-1] + [texts.index(t) for t in plan.INVALID_REASON_TEXTS if t is not None])
    reason[sel] = invalid[rng.integers(0, invalid.size, int(sel.sum()))]
    reason[f["PROCEDURAL_ERROR_ON_VICTIM_CRIME"]] = proc
    sel = np.flatnonzero(f["MISSING_REQUESTER_OR_AUTHORISER"])
    which = draw(rng, np.array([0.6, 0.3, 0.1]), sel.size)  # requester, authoriser, both
    requester[sel[which != 1]] = -1
    authoriser[sel[which != 0]] = -1
    sel = f["SELF_AUTHORISED"]
    authoriser[sel] = requester[sel]
    sel = np.flatnonzero(f["UNAUTHORISED_ROLE"])
    choices = np.r_[bad_roles, -1]
    role[sel] = choices[draw(rng, np.r_[np.full(bad_roles.size, 0.75 / max(1, bad_roles.size)), 0.25], sel.size)]
    sel = np.flatnonzero(f["COMPLAINER_NOT_INFORMED"])
    complainer[sel] = np.where(rng.random(sel.size) < 0.7, 0, -1)
    return reason, texts, requester, authoriser, role, complainer


def build_crimes(
    rng: np.random.Generator,
    ref: Reference,
    mixes: Mixes,
    win: Window,
    grid: CellGrid,
    inc: Incidents,
    people: People,
    scale: float,
) -> Crimes:
    n_div = len(ref.divisions)
    # --- who: linked crimes first (in incident order), then crimes recorded without an incident
    counts = _link_counts(rng, ref, inc)
    link = np.repeat(np.arange(inc.n), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    second = (np.arange(link.size) - starts) > 0
    un_local, un_edge = sample_local_times(
        rng, win, plan.INCIDENTS_PER_DAY * scale * plan.UNLINKED_CRIMES_PER_INCIDENT, edge_count(scale) // 2
    )
    n_link, n_un = link.size, un_local.size
    n = n_link + n_un
    incident = np.r_[link, np.full(n_un, -1, dtype=np.int64)]
    linked = incident >= 0

    division = np.empty(n, dtype=np.int64)
    division[:n_link] = inc.division[link]
    moved = np.flatnonzero(linked & (rng.random(n) < plan.OTHER_DIVISION_SHARE))
    division[moved] = (division[moved] + rng.integers(1, n_div, moved.size)) % n_div
    division[n_link:] = draw(rng, ref.division_share, n_un)

    # --- when reported: at (or up to 20 minutes before) the incident's creation
    reported = np.empty(n, dtype=np.int64)
    created = inc.created_utc[link]
    p_before = np.where(inc.edge[link], 0.5, plan.REPORTED_BEFORE_INCIDENT_SHARE)
    offset = np.where(rng.random(n_link) < p_before, rng.integers(60, 1201, n_link), 0)
    rep = created - offset
    bad = in_changeover_hour(utc_to_local(rep)) | (rep < win.start_utc)
    reported[:n_link] = np.where(bad, created, rep)
    reported[n_link:] = local_to_utc(un_local)
    reported_local = utc_to_local(reported)

    # --- what: code, given the incident's type
    variant = np.empty(n, dtype=np.int64)
    variant[:n_link] = covid_variant(inc.created_local[link])
    variant[n_link:] = covid_variant(un_local)
    eff = np.full(n, -1, dtype=np.int64)
    eff[:n_link] = inc.effective_type[link]
    code = np.full(n, -1, dtype=np.int64)
    first_sc01 = np.zeros(n, dtype=bool)
    first_sc01[:n_link] = inc.planned_sc01[link] & ~second[:n_link]
    code[first_sc01] = inc.intended_code[incident[first_sc01]]
    second_sc01 = np.zeros(n, dtype=bool)
    second_sc01[:n_link] = inc.planned_sc01[link] & second[:n_link]
    code[second_sc01] = draw_rows(
        rng, mixes.allowed_code_weight, mixes.variant_row(variant[second_sc01], eff[second_sc01])
    )
    rest = code < 0
    code[rest] = draw_rows(rng, mixes.code_weight, variant[rest])

    sc01 = ref.disposals.index(ref.crime_related_disposals[0])
    in_t1 = np.zeros(n, dtype=bool)
    in_t1[:n_link] = inc.disposal[link] == sc01
    inc_fy, inc_fq = fiscal_period(inc.created_local)
    inc_group = np.full(n, -1, dtype=np.int64)
    inc_group[:n_link] = grid.cell(inc_fy[link], inc_fq[link], np.zeros(n_link, dtype=np.int64)) // n_div

    # TEST2: wrong classification = a code whose category the incident's type does not allow
    cell2 = np.where(in_t1, inc_group * n_div + division, -1)
    eligible2 = np.zeros(n)
    eligible2[in_t1] = mixes.restrictive_type[eff[in_t1]]
    fail2 = grid.plant(rng, "TEST2", cell2, eligible2)
    code[fail2] = draw_rows(rng, mixes.disallowed_code_weight, mixes.variant_row(variant[fail2], eff[fail2]))

    # --- who recorded it
    unit = np.empty(n, dtype=np.int64)
    table = np.array(
        [
            mix_vector(ref.recording_units, plan.RECORDING_UNIT_BY_CLOSING_UNIT[u], "RECORDING_UNIT_BY_CLOSING_UNIT")
            for u in ref.closing_units
        ]
    )
    unit[:n_link] = draw_rows(rng, table, inc.closing_unit[link])
    unit[n_link:] = draw(
        rng,
        mix_vector(ref.recording_units, plan.RECORDING_UNIT_MIX_UNLINKED, "RECORDING_UNIT_MIX_UNLINKED"),
        n_un,
    )
    rt = unit == ref.recording_units.index("RESOLUTION_TEAM")

    # --- TIMELY72: planted late records (Resolution Team ones more likely), dated by reported_at
    rfy, rfq = fiscal_period(reported_local)
    cell_t = grid.cell(rfy, rfq, division)
    late = grid.plant(rng, "TIMELY72", cell_t, np.where(rt, plan.RT_LATE_WEIGHT, 1.0))
    median = np.where(rt, plan.RECORD_MEDIAN_HOURS_RT, plan.RECORD_MEDIAN_HOURS) * HOUR
    delay = np.clip(np.exp(np.log(median) + rng.normal(0, 1.3, n)), 1500, 70 * HOUR).astype(np.int64)
    late_delay = (74 * HOUR + rng.exponential(plan.LATE_EXTRA_MEAN_DAYS * DAY, n)).astype(np.int64)
    delay = np.where(late, np.minimum(late_delay, 45 * DAY), delay)
    # edges: exactly 72 h (compliant) and one second more (late), and 72 h spans across clock changes
    k = edge_count(scale)
    on_time = np.flatnonzero(~late)
    late_idx = np.flatnonzero(late)
    k_exact = k * len(win.fy_starts)
    delay[rng.choice(on_time, min(k_exact, on_time.size), replace=False)] = LIMIT_72H
    delay[rng.choice(late_idx, min(k_exact, late_idx.size), replace=False)] = LIMIT_72H + 1
    spring, autumn = clock_changes(win.start_utc, win.end_utc)
    for change in spring:  # 71.5 real hours, 72.5 on the wall clock: compliant
        cand = np.flatnonzero(~late & (reported > change - 71 * HOUR) & (reported < change - HOUR))
        delay[rng.choice(cand, min(k, cand.size), replace=False)] = LIMIT_72H - HOUR // 2
    for change in autumn:  # 72.5 real hours, 71.5 on the wall clock: late
        cand = np.flatnonzero(late & (reported > change - 72 * HOUR) & (reported < change - 2 * HOUR))
        delay[rng.choice(cand, min(k, cand.size), replace=False)] = LIMIT_72H + HOUR // 2
    recorded = np.minimum(fix_instant(reported + delay), win.end_utc - 1)
    recorded_local = utc_to_local(recorded)

    # --- CYBER: crimes linked to a flagged incident, planted without the marker
    cyber_pop = np.zeros(n, dtype=bool)
    cyber_pop[:n_link] = inc.cyber[link]
    cell_c = np.where(cyber_pop, inc_group * n_div + division, -1)
    fail_c = grid.plant(rng, "CYBER", cell_c)
    marker = cyber_pop & ~fail_c
    p_un = np.array([plan.UNLINKED_CYBER_MARKER_P.get(c, 0.0) for c in ref.crime_codes])
    marker[n_link:] = rng.random(n_un) < p_un[code[n_link:]]

    # --- No Crime: some crimes are reclassified later; only those before the cut-off are
    cand = rng.random(n) < plan.NO_CRIME_SHARE
    nc_delay = np.clip(np.exp(np.log(plan.NO_CRIME_MEDIAN_DAYS * DAY) + rng.normal(0, 0.9, n)), HOUR, 200 * DAY)
    nc_utc = fix_instant(recorded + nc_delay.astype(np.int64))
    no_crime = cand & (nc_utc < win.end_utc)
    nfy, nfq = fiscal_period(utc_to_local(nc_utc))
    cell_n = np.where(no_crime, grid.cell(np.where(no_crime, nfy, grid.fy0), np.where(no_crime, nfq, 1), division), -1)
    fail_n = grid.plant(rng, "NOCRIME", cell_n)
    victim = ref.code_victim_based[code]
    reason = np.full(n, -1, dtype=np.int64)
    requester = np.full(n, -1, dtype=np.int64)
    authoriser = np.full(n, -1, dtype=np.int64)
    role = np.full(n, -1, dtype=np.int64)
    complainer = np.full(n, -1, dtype=np.int64)
    ncx = np.flatnonzero(no_crime)
    r, texts, req, auth, ro, comp = _nocrime_fields(rng, ref, people, victim[ncx], fail_n[ncx])
    reason[ncx], requester[ncx], authoriser[ncx], role[ncx], complainer[ncx] = r, req, auth, ro, comp

    # --- source system: the national crime system from the division's go-live date
    go_live = np.array(
        [ref.go_live.get(d, np.datetime64("2999-01-01", "D")).astype(np.int64) for d in ref.divisions],
        dtype=np.int64,
    )
    cos = (recorded_local // DAY) >= go_live[division]

    return Crimes(
        incident=incident,
        division=division,
        reported_utc=reported,
        recorded_utc=recorded,
        code=code,
        recording_unit=unit,
        cyber_marker=marker,
        no_crime=no_crime,
        no_crime_utc=np.where(no_crime, nc_utc, 0),
        reason=reason,
        reason_texts=texts,
        requester=requester,
        authoriser=authoriser,
        role=role,
        complainer=complainer,
        cos=cos,
        planted_fail={"TEST2": fail2, "TIMELY72": late, "CYBER": fail_c, "NOCRIME": fail_n},
    )
