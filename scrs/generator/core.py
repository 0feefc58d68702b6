"""`generate()`: build every record, write the extracts, then write the truth recomputed from them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from scrs.generator.audit import generate_audit
from scrs.generator.crimes import Crimes, build_crimes
from scrs.generator.improvement import generate_improvement_updates
from scrs.generator.incidents import Incidents, build_incidents
from scrs.generator.mixes import build_mixes
from scrs.generator.periods import Window, fiscal_year_label
from scrs.generator.reference import load_reference
from scrs.generator.sampling import CellGrid
from scrs.generator.training import build_assignments, build_people
from scrs.generator.truth import TestRecords, aggregate, evaluate, write_truth
from scrs.generator.writer import (
    crime_ids,
    incident_ids,
    training_snapshots,
    write_crimes,
    write_incidents,
    write_training,
)

DEFAULT_SCALE = 0.02
# 2017/18 to 2023/24: the source paper's audit years, plus two years after the first crime-system go-lives
# (D pilot Sept 2021, A Aug 2022) so the Impact view has a year on each side to compare.
DEFAULT_YEARS: tuple[str, ...] = tuple(fiscal_year_label(y) for y in range(2017, 2024))
TRUTH_DIR = "_truth"
#: Above this, a busy day would exceed the 5-digit daily sequence of `PS-YYYYMMDD-NNNNN`.
MAX_SCALE = 10.0


@dataclass
class GenerateSummary:
    """What `generate()` wrote."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    truth_files: list[Path] = field(default_factory=list)
    #: rows written per extract kind (late updates included) and distinct records per kind
    rows: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        rows = ", ".join(f"{k} {v:,} rows" for k, v in self.rows.items())
        return f"{len(self.files)} extract files ({rows}) in {self.seconds:.1f} s; truth in {TRUTH_DIR}/"


def generate(
    out_dir: Path,
    scale: float = DEFAULT_SCALE,
    seed: int = 42,
    years: list[str] | tuple[str, ...] = DEFAULT_YEARS,
    progress: bool = True,
    seeds_dir: Path | None = None,
) -> GenerateSummary:
    """Write synthetic extracts for whole fiscal years into `out_dir`, and the planted truth into `_truth/`.

    Deterministic: the same arguments give byte-identical files. Years must be consecutive.
    """
    t0 = time.perf_counter()
    if not (isinstance(scale, int | float) and np.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ValueError(f"scale must be a number in (0, {MAX_SCALE:g}], got {scale!r}")
    win = Window.for_years(list(years))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ref = load_reference(seeds_dir)
    mixes = build_mixes(ref)
    grid = CellGrid(win.fy_starts, ref.divisions, ref.go_live)
    rng_inc, rng_cr, rng_people, rng_asg = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))

    n_files = 2 * len(win.months) + len(training_snapshots(win))
    with tqdm(total=4 + n_files, desc="scrs generate", unit="step", disable=not progress, leave=False) as bar:

        def tick() -> None:
            bar.update(1)

        people = build_people(rng_people, ref, scale)
        asg = build_assignments(rng_asg, ref, people, win)
        tick()
        inc = build_incidents(rng_inc, ref, mixes, win, grid, scale)
        tick()
        cr = build_crimes(rng_cr, ref, mixes, win, grid, inc, people, scale)
        tick()
        summary = GenerateSummary(out_dir=out_dir)
        inc_ids = incident_ids(inc)
        inc_files, inc_rows = write_incidents(out_dir, ref, inc, inc_ids, win, tick)
        cr_files, cr_rows = write_crimes(out_dir, ref, cr, inc_ids, people, win, tick)
        tr_files, tr_rows, trained = write_training(out_dir, ref, people, asg, win, tick)

        tests = evaluate(ref, inc, cr)
        _self_check(inc, cr, tests)
        comp, fails = aggregate(ref, tests)
        officers = np.r_[cr.requester[cr.no_crime], cr.authoriser[cr.no_crime]]
        # The registrars' audit of the last year's Q4 (scrs/generator/audit.py).
        audit = generate_audit(
            out_dir, out_dir / TRUTH_DIR, ref, inc, cr, tests, people, inc_ids, crime_ids(ref, cr),
            win.fy_starts[-1], seed,
        )  # fmt: skip
        written = np.union1d(np.union1d(trained, officers[officers >= 0]), audit.registrars)
        truth_files = write_truth(out_dir / TRUTH_DIR, comp, fails, list(people.staff_number[written]))
        summary.truth_files = truth_files + audit.truth_files
        tick()

    # The improvement-plan tracker runs on its own calendar (Sept 2021 to Sept 2024), whatever the years.
    plan_files = generate_improvement_updates(out_dir, seed)
    summary.files = inc_files + cr_files + tr_files + plan_files + audit.files
    summary.rows = {
        "incidents": inc_rows,
        "crimes": cr_rows,
        "training": tr_rows,
        "improvement_updates": sum(p.read_text().count("\n") - 1 for p in plan_files),
    }
    summary.records = {"incidents": inc.n, "crimes": cr.n, "training": int(asg.person.size)}
    summary.seconds = time.perf_counter() - t0
    return summary


def _self_check(inc: Incidents, cr: Crimes, tests: dict[str, TestRecords]) -> None:
    """The rules applied to the final state must find exactly the planted failures.

    TIMELY72 is left out: a clock-change shift or the end-of-data cut-off may legitimately move a record,
    and the truth simply reports what the records say.
    """
    planted = {
        "TEST1": int(inc.t1_fail.sum()),
        **{t: int(cr.planted_fail[t].sum()) for t in ("TEST2", "CYBER", "NOCRIME")},
    }
    for test, n in planted.items():
        got = int(tests[test].failing.sum())
        if got != n:
            raise AssertionError(f"generator self-check: {test} has {got} failing records, planted {n}")
