"""The planted truth, recomputed from the FINAL state of every record by applying contract section 3.

Nothing here looks at what was planted: it applies the rules to the same values the extracts carry in their
latest rows, so it is what a correct pipeline must report.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scrs.generator.crimes import LIMIT_72H, Crimes
from scrs.generator.incidents import Incidents
from scrs.generator.periods import fiscal_period, fiscal_year_label, utc_to_local
from scrs.generator.reference import Reference


@dataclass
class TestRecords:
    """One test's population: dating local time, division and failure-reason flags per record."""

    local: np.ndarray
    division: np.ndarray
    reasons: dict[str, np.ndarray]
    index: np.ndarray | None = None
    """Position of each record in the incidents (TEST1) or crimes (the other tests) arrays."""

    @property
    def failing(self) -> np.ndarray:
        out = np.zeros(self.local.size, dtype=bool)
        for flags in self.reasons.values():
            out |= flags
        return out


def evaluate(ref: Reference, inc: Incidents, cr: Crimes) -> dict[str, TestRecords]:
    """Every record of every test's population with its failure reasons."""
    related = np.isin(np.arange(len(ref.disposals)), [ref.disposals.index(d) for d in ref.crime_related_disposals])
    inc_t1 = np.zeros(inc.n, dtype=bool)
    inc_t1[inc.disposal >= 0] = related[inc.disposal[inc.disposal >= 0]]
    linked = cr.incident >= 0
    link = np.where(linked, cr.incident, 0)
    out: dict[str, TestRecords] = {}

    has_crime = np.bincount(cr.incident[linked], minlength=inc.n) > 0
    out["TEST1"] = TestRecords(
        inc.created_local[inc_t1],
        inc.division[inc_t1],
        {"CRIME_NOT_RECORDED": ~has_crime[inc_t1]},
        np.flatnonzero(inc_t1),
    )

    pop2 = linked & inc_t1[link]
    typ = inc.effective_type[link[pop2]]
    ok = ref.code_allowed()[typ, cr.code[pop2]]
    out["TEST2"] = TestRecords(
        inc.created_local[link[pop2]], cr.division[pop2], {"WRONG_CLASSIFICATION": ~ok}, np.flatnonzero(pop2)
    )

    nc = cr.no_crime
    texts = np.array([t.strip() for t in cr.reason_texts] + [""], dtype=object)
    reason = texts[np.where(cr.reason[nc] >= 0, cr.reason[nc], len(texts) - 1)]
    victim = ref.code_victim_based[cr.code[nc]]
    req, auth = cr.requester[nc], cr.authoriser[nc]
    role_ok = np.isin(cr.role[nc], [ref.authoriser_roles.index(r) for r in ref.authorising_roles])
    out["NOCRIME"] = TestRecords(
        utc_to_local(cr.no_crime_utc[nc]),
        cr.division[nc],
        {
            "INVALID_REASON": ~np.isin(reason, ref.no_crime_reasons),
            "PROCEDURAL_ERROR_ON_VICTIM_CRIME": (reason == "PROCEDURAL_ERROR") & victim,
            "MISSING_REQUESTER_OR_AUTHORISER": (req < 0) | (auth < 0),
            "SELF_AUTHORISED": (req >= 0) & (auth >= 0) & (req == auth),
            "UNAUTHORISED_ROLE": ~role_ok,
            "COMPLAINER_NOT_INFORMED": victim & (cr.complainer[nc] != 1),
        },
        np.flatnonzero(nc),
    )

    out["TIMELY72"] = TestRecords(
        utc_to_local(cr.reported_utc),
        cr.division,
        {"NOT_RECORDED_WITHIN_72H": (cr.recorded_utc - cr.reported_utc) > LIMIT_72H},
        np.arange(cr.n),
    )

    pop_c = linked & inc.cyber[link]
    out["CYBER"] = TestRecords(
        inc.created_local[link[pop_c]],
        cr.division[pop_c],
        {"CYBER_MARKER_MISSING": ~cr.cyber_marker[pop_c]},
        np.flatnonzero(pop_c),
    )

    for test, recs in out.items():
        if list(recs.reasons) != ref.failure_reasons[test]:
            raise AssertionError(f"{test}: reasons {list(recs.reasons)} differ from seeds/audit_tests.csv")
    return out


def aggregate(ref: Reference, tests: dict[str, TestRecords]) -> tuple[list[tuple], list[tuple]]:
    """(compliance rows, failure-reason rows), sorted by year, quarter, division, test (seed order)."""
    comp: list[tuple] = []
    fails: list[tuple] = []
    n_div = len(ref.divisions)
    for t_order, test in enumerate(ref.test_codes):
        recs = tests[test]
        fy, fq = fiscal_period(recs.local)
        key = ((fy * 4 + (fq - 1)) * n_div + recs.division).astype(np.int64)
        uniq, inv = np.unique(key, return_inverse=True)
        examined = np.bincount(inv, minlength=uniq.size)
        compliant = np.bincount(inv, weights=~recs.failing, minlength=uniq.size).astype(np.int64)
        per_reason = {
            r: np.bincount(inv, weights=f, minlength=uniq.size).astype(np.int64) for r, f in recs.reasons.items()
        }
        for j, k in enumerate(uniq):
            period, div = divmod(int(k), n_div)
            y, q = divmod(period, 4)
            base = (fiscal_year_label(y), q + 1, ref.divisions[div])
            comp.append((*base, test, int(examined[j]), int(compliant[j]), t_order))
            for r_order, (reason, counts) in enumerate(per_reason.items()):
                if counts[j]:
                    fails.append((*base, test, reason, int(counts[j]), t_order, r_order))
    comp.sort(key=lambda r: (r[0], r[1], r[2], r[6]))
    fails.sort(key=lambda r: (r[0], r[1], r[2], r[6], r[7]))
    return [r[:6] for r in comp], [r[:6] for r in fails]


def write_truth(truth_dir: Path, comp: list[tuple], fails: list[tuple], staff_numbers: list[str]) -> list[Path]:
    truth_dir.mkdir(parents=True, exist_ok=True)
    files = [
        (
            truth_dir / "compliance_truth.csv",
            ["fiscal_year", "fiscal_quarter", "division_code", "test_code", "examined", "compliant"],
            comp,
        ),
        (
            truth_dir / "failure_reasons_truth.csv",
            ["fiscal_year", "fiscal_quarter", "division_code", "test_code", "failure_reason", "records"],
            fails,
        ),
        (truth_dir / "staff_numbers.csv", ["staff_number"], [(s,) for s in sorted(staff_numbers)]),
    ]
    for path, header, rows in files:
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
    return [f[0] for f in files]
