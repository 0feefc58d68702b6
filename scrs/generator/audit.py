"""The registrars' audit of the last generated year's Q4, for the demo and the tests (contract section 6).

- **The sample** (`audit_sample_<id>.csv`) is drawn exactly as `scrs sample --seed <generate seed>` draws it
  (the same size formula, per-stratum generator and record order, scrs/audit/sampling.py) from the
  generator's own knowledge of every test's population in the quarter, for TEST1, TEST2 and NOCRIME.
- **The registrars' verdicts** agree with the rules except on a planted share of each stratum's audited
  records, chosen without replacement: `DISAGREEMENT_PCT[test] * DIVISION_FACTOR[division index % 4]` per
  cent, rounded. A disagreement flips the verdict (a record the rules pass is failed with one of the test's
  reasons; a record the rules fail is passed). Where they agree on a failure the registrar gives the rules'
  reasons. Division `UNFINISHED_DIVISION` has returned only the first 75% of its records (progress).
- **Files**: `audit_outcomes_<id>_1.csv` (the first return), a byte-identical re-send of it under another
  name (`_1_resent`: skipped by checksum, changes nothing), and `audit_outcomes_<id>_2.csv` (extracted a
  month later) that corrects the first record of every stratum, which the first return had the wrong way
  round. The final verdicts are what `_truth/` records.
- **Truth**: `_truth/audit_truth.csv` per stratum (population, sampled, audited, registrar compliant and the
  2x2 agreement counts) and `_truth/audit_disagreements_truth.csv` (every record where they differ).
- `audited_by` is a registrar's staff number (a crime-management person), listed in `staff_numbers.csv`.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from scrs.audit.sampling import (
    DEFAULT_EXPECTED_PCT,
    DEFAULT_MARGIN,
    DEFAULT_TESTS,
    OUTCOME_COLUMNS,
    SAMPLE_COLUMNS,
    draw_stratum,
    sample_size,
    stratum_rng,
)
from scrs.generator.crimes import Crimes
from scrs.generator.incidents import Incidents
from scrs.generator.periods import DAY, fiscal_period, fiscal_year_label
from scrs.generator.reference import Reference
from scrs.generator.training import People
from scrs.generator.truth import TestRecords

# Planted share of audited records on which the registrar disagrees with the rules, per test (%), scaled
# per division by DIVISION_FACTOR[division index % 4].
DISAGREEMENT_PCT: dict[str, float] = {"TEST1": 4.0, "TEST2": 10.0, "NOCRIME": 6.0}
DIVISION_FACTOR: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
UNFINISHED_DIVISION = "V"
REGISTRARS = 6

TRUTH_COLUMNS = (
    "sample_id",
    "fiscal_year",
    "fiscal_quarter",
    "division_code",
    "test_code",
    "population",
    "sampled",
    "audited",
    "compliant",
    "both_compliant",
    "both_noncompliant",
    "rule_only_failed",
    "registrar_only_failed",
)


@dataclass
class AuditFiles:
    files: list[Path]
    truth_files: list[Path]
    registrars: np.ndarray
    """Person indices of the registrars named in audited_by."""


def _write(path: Path, header, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def generate_audit(
    out_dir: Path,
    truth_dir: Path,
    ref: Reference,
    inc: Incidents,
    cr: Crimes,
    tests: dict[str, TestRecords],
    people: People,
    inc_ids: pa.Array,
    cr_ids: pa.Array,
    fy_start: int,
    seed: int,
) -> AuditFiles:
    """Write the Q4 sample of fiscal year `fy_start`, the registrars' outcome files and the truth."""
    rng = np.random.default_rng([seed, 6])
    fiscal_year = fiscal_year_label(fy_start)
    sample_id = f"{fiscal_year.replace('/', '-')}-Q4-generated"
    inc_id = np.asarray(inc_ids.to_pylist(), dtype=object)
    cr_id = np.asarray(cr_ids.to_pylist(), dtype=object)
    registrars = np.sort(rng.choice(people.authorisers, size=min(REGISTRARS, people.authorisers.size), replace=False))
    sampled_at = f"{fy_start + 1}-04-10 09:00:00"
    first_at, second_at = f"{fy_start + 1}-05-31 18:00:00", f"{fy_start + 1}-06-30 18:00:00"

    sample_rows: list[list[object]] = []
    first: list[list[object]] = []
    corrections: list[list[object]] = []
    truth: list[list[object]] = []
    disagreements: list[list[object]] = []
    for test in DEFAULT_TESTS:
        recs = tests[test]
        fy, fq = fiscal_period(recs.local)
        in_q = (fy == fy_start) & (fq == 4)
        reasons = list(recs.reasons)
        for d, division in enumerate(ref.divisions):
            pos = np.flatnonzero(in_q & (recs.division == d))
            if pos.size == 0:
                continue
            idx = recs.index[pos]
            ids = inc_id[idx] if test == "TEST1" else cr_id[idx]
            by_id = dict(zip(ids.tolist(), pos.tolist(), strict=True))
            n = sample_size(pos.size, DEFAULT_MARGIN, DEFAULT_EXPECTED_PCT)
            drawn = draw_stratum(list(by_id), n, stratum_rng(seed, fiscal_year, 4, division, test))
            for rid in drawn:
                p, i = by_id[rid], recs.index[by_id[rid]]
                linked = i if test == "TEST1" else cr.incident[i]
                sample_rows.append(
                    [sample_id, test, rid, division, fiscal_year, 4, pos.size, n,
                     str(np.datetime64(int(recs.local[p] // DAY), "D")),
                     inc_id[linked] if linked >= 0 else "", "" if test == "TEST1" else rid,
                     "", "", "", sampled_at]
                )  # fmt: skip
            audited = drawn if division != UNFINISHED_DIVISION else drawn[: math.ceil(0.75 * len(drawn))]
            share = DISAGREEMENT_PCT[test] * DIVISION_FACTOR[d % len(DIVISION_FACTOR)] / 100
            flipped = set(rng.choice(len(audited), size=round(len(audited) * share), replace=False).tolist())
            registrar = people.staff_number[registrars[d % registrars.size]]
            counts = dict.fromkeys(("a", "b", "c", "d"), 0)
            for k, rid in enumerate(audited):
                p = by_id[rid]
                rule_fails = [r for r in reasons if recs.reasons[r][p]]
                rule_ok = not rule_fails
                ok = rule_ok != (k in flipped)
                if ok:
                    given = ""
                elif rule_ok:
                    given = reasons[k % len(reasons)]  # the registrar fails what the rules passed
                else:
                    given = ";".join(rule_fails)
                counts[
                    {(True, True): "a", (False, True): "b", (True, False): "c", (False, False): "d"}[(rule_ok, ok)]
                ] += 1
                if rule_ok != ok:
                    disagreements.append(
                        [sample_id, test, rid, division, "registrar_only_failed" if rule_ok else "rule_only_failed"]
                    )
                audited_at = f"{fy_start + 1}-05-{1 + k % 28:02d} 10:00:00"
                row = [sample_id, test, rid, "COMPLIANT" if ok else "NON_COMPLIANT", given, registrar, audited_at]
                if k == 0:  # first returned the wrong way round, corrected a month later
                    wrong = [*row[:3], "NON_COMPLIANT" if ok else "COMPLIANT", "" if not ok else reasons[0]]
                    first.append([*wrong, registrar, audited_at, first_at])
                    corrections.append([*row, second_at])
                else:
                    first.append([*row, first_at])
            compliant = counts["a"] + counts["b"]
            truth.append(
                [sample_id, fiscal_year, 4, division, test, pos.size, n, len(audited), compliant,
                 counts["a"], counts["d"], counts["b"], counts["c"]]
            )  # fmt: skip

    out_dir, truth_dir = Path(out_dir), Path(truth_dir)
    stem = f"audit_outcomes_{sample_id}"
    files = [
        _write(out_dir / f"audit_sample_{sample_id}.csv", SAMPLE_COLUMNS, sample_rows),
        _write(out_dir / f"{stem}_1.csv", OUTCOME_COLUMNS, first),
        _write(out_dir / f"{stem}_1_resent.csv", OUTCOME_COLUMNS, first),
        _write(out_dir / f"{stem}_2.csv", OUTCOME_COLUMNS, corrections),
    ]
    truth_dir.mkdir(parents=True, exist_ok=True)
    truth_files = [
        _write(truth_dir / "audit_truth.csv", TRUTH_COLUMNS, truth),
        _write(
            truth_dir / "audit_disagreements_truth.csv",
            ("sample_id", "test_code", "record_id", "division_code", "disagreement"),
            disagreements,
        ),
    ]
    return AuditFiles(files, truth_files, registrars)
