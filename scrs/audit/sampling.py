"""`scrs sample`: draw the registrars' audit sample from the published warehouse (contract section 6).

Strata are division x test. A stratum's population N is its records of that test dated in the quarter (the
`examined` of `compliance_by_division_test`); its sample size is

    n0 = z^2 p (1 - p) / E^2          z = 1.959964, p = expected-pct / 100, E = margin / 100
    n  = min(N, ceil(n0 / (1 + (n0 - 1) / N)))

and its records are drawn by simple random sampling without replacement. The draw is reproducible: the
population is ordered by record_id and a numpy Generator is seeded per stratum from (seed, fiscal year,
quarter, division, test), so a stratum's draw does not depend on which other strata are drawn, and the same
warehouse, options and seed write the same file byte for byte.

The sample and the worklists never show the rules' verdict: the registrar judges each record on its own,
so the agreement measured afterwards is between two independent judgements.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
from tqdm import tqdm

from scrs.audit.reference import audit_tests
from scrs.db import run
from scrs.warehouse import read_only

Z_95 = 1.959964
DEFAULT_TESTS: tuple[str, ...] = ("TEST1", "TEST2", "NOCRIME")
DEFAULT_MARGIN = 3.0
DEFAULT_EXPECTED_PCT = 95.0
LOCAL = ZoneInfo("Europe/London")

# audit_sample_*.csv: the contract's columns, then what a registrar needs to find the record (never a
# staff number), then when the sample was drawn from (the publication), which is its extracted_at.
SAMPLE_COLUMNS: tuple[str, ...] = (
    "sample_id",
    "test_code",
    "record_id",
    "division_code",
    "fiscal_year",
    "fiscal_quarter",
    "stratum_population",
    "stratum_sample_size",
    "event_date",
    "incident_id",
    "crime_id",
    "incident_type_code",
    "crime_code",
    "recording_unit",
    "extracted_at",
)
# The worklist: the audit_outcomes layout first (verdict etc. left empty for the registrar), then what to
# check and how to find the record.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "sample_id",
    "test_code",
    "record_id",
    "verdict",
    "failure_reasons",
    "audited_by",
    "audited_at",
    "extracted_at",
)
WORKLIST_GUIDE_COLUMNS: tuple[str, ...] = (
    "division_code",
    "what_to_check",
    "rule",
    "reason_codes",
    "event_date",
    "incident_id",
    "crime_id",
    "incident_type_code",
    "crime_code",
    "recording_unit",
)
WORKLIST_COLUMNS: tuple[str, ...] = (*OUTCOME_COLUMNS, *WORKLIST_GUIDE_COLUMNS)


class SampleError(ValueError):
    """The options do not describe a sample that can be drawn (unknown test, no records, bad margin...)."""


def initial_size(margin_pts: float, expected_pct: float, z: float = Z_95) -> float:
    """n0 = z^2 p (1 - p) / E^2 (unrounded), for a margin of `margin_pts` percentage points."""
    if not 0 < margin_pts < 100:
        raise SampleError(f"--margin must be between 0 and 100 percentage points, got {margin_pts:g}")
    if not 0 < expected_pct < 100:
        raise SampleError(f"--expected-pct must be between 0 and 100, got {expected_pct:g}")
    p, e = expected_pct / 100.0, margin_pts / 100.0
    return z * z * p * (1 - p) / (e * e)


def _ceil(x: float) -> int:
    # Rounded to 9 places first, so float noise on an exact integer (73.0000000001) does not add a record.
    return math.ceil(round(x, 9))


def sample_size(population: int, margin_pts: float, expected_pct: float, z: float = Z_95) -> int:
    """n = min(N, ceil(n0 / (1 + (n0 - 1) / N))): the finite-population-corrected size of one stratum."""
    if population <= 0:
        return 0
    n0 = initial_size(margin_pts, expected_pct, z)
    return min(population, _ceil(n0 / (1 + (n0 - 1) / population)))


def stratum_rng(seed: int, fiscal_year: str, fiscal_quarter: int, division_code: str, test_code: str):
    """The stratum's own generator: depends on the seed and the stratum only."""
    key = zlib.crc32(f"{fiscal_year}|{fiscal_quarter}|{division_code}|{test_code}".encode())
    return np.random.default_rng([seed, key])


def draw_stratum(record_ids: Sequence[str], n: int, rng: np.random.Generator) -> list[str]:
    """SRS without replacement of n of the record ids (drawn from them in record_id order); sorted result."""
    ordered = sorted(record_ids)
    if n >= len(ordered):
        return ordered
    picked = rng.choice(len(ordered), size=n, replace=False)
    return [ordered[i] for i in np.sort(picked)]


@dataclass
class Stratum:
    division_code: str
    test_code: str
    population: int
    size: int
    record_ids: list[str] = field(default_factory=list)


@dataclass
class DrawnSample:
    sample_id: str
    fiscal_year: str
    fiscal_quarter: int
    seed: int
    strata: list[Stratum]
    sample_file: Path
    worklists: list[Path]

    @property
    def sampled(self) -> int:
        return sum(len(s.record_ids) for s in self.strata)


def _local_text(ts: datetime) -> str:
    if ts.tzinfo is None:  # meta.publication.published_at is naive UTC
        ts = ts.replace(tzinfo=ZoneInfo("UTC"))
    return ts.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


def _sample_id(run_id: str, fiscal_year: str, quarter: int, tests: Sequence[str], margin, expected, seed) -> str:
    """Readable and unique per (publication, options, seed): `2020-21-Q4-<8 hex>` (a safe file name)."""
    basis = f"{run_id}|{fiscal_year}|{quarter}|{','.join(tests)}|{margin!r}|{expected!r}|{seed}"
    return f"{fiscal_year.replace('/', '-')}-Q{quarter}-{hashlib.sha256(basis.encode()).hexdigest()[:8]}"


def _check_fiscal_year(fiscal_year: str) -> None:
    parts = fiscal_year.split("/")
    ok = len(parts) == 2 and parts[0].isdigit() and len(parts[0]) == 4 and parts[1].isdigit() and len(parts[1]) == 2
    if not ok or (int(parts[0]) + 1) % 100 != int(parts[1]):
        raise SampleError(f"--fiscal-year must look like 2020/21, got {fiscal_year!r}")


def _population(con: duckdb.DuckDBPyConnection, fiscal_year: str, quarter: int, tests: Sequence[str]):
    """(examined per stratum from the mart, record rows per stratum from the verdicts) of the quarter."""
    params = {"fy": fiscal_year, "q": quarter, "tests": list(tests)}
    examined = run(
        con,
        """select division_code, test_code, examined from marts.compliance_by_division_test
           where fiscal_year = $fy and fiscal_quarter = $q and list_contains($tests, test_code)""",
        params,
    )
    records = run(
        con,
        """select division_code, test_code, record_id, event_date, incident_id, crime_id, incident_type_code,
                  crime_code, recording_unit
           from intermediate.int_record_verdicts
           where fiscal_year = $fy and fiscal_quarter = $q and list_contains($tests, test_code)
           order by test_code, division_code, record_id""",
        params,
    )
    return {(d, t): int(n) for d, t, n in examined}, records


def draw_sample(
    served_db: Path,
    out_dir: Path,
    fiscal_year: str,
    quarter: int,
    tests: Sequence[str] = DEFAULT_TESTS,
    margin: float = DEFAULT_MARGIN,
    expected_pct: float = DEFAULT_EXPECTED_PCT,
    seed: int | None = None,
    progress: bool = True,
) -> DrawnSample:
    """Draw the sample from the published warehouse and write the sample file and per-division worklists."""
    _check_fiscal_year(fiscal_year)
    if quarter not in (1, 2, 3, 4):
        raise SampleError(f"--quarter must be 1 to 4, got {quarter}")
    known = audit_tests()
    tests = list(dict.fromkeys(t.strip().upper() for t in tests if t.strip()))
    unknown = [t for t in tests if t not in known]
    if unknown or not tests:
        raise SampleError(f"unknown test(s) {', '.join(unknown) or '(none)'}; known: {', '.join(known)}")
    tests.sort(key=lambda t: known[t].display_order)
    initial_size(margin, expected_pct)  # validates both
    if seed is None:
        seed = secrets.randbelow(2**31)
    if seed < 0:
        raise SampleError(f"--seed must be a non-negative integer, got {seed}")

    with read_only(served_db) as con:
        ((run_id, published_at),) = run(con, "select run_id, published_at from meta.publication")
        examined, records = _population(con, fiscal_year, quarter, tests)
    if not examined:
        raise SampleError(f"the published warehouse has no records of {', '.join(tests)} in {fiscal_year} Q{quarter}")

    by_stratum: dict[tuple[str, str], list[tuple]] = {}
    for row in records:
        by_stratum.setdefault((row[0], row[1]), []).append(row)
    details = {(row[0], row[1], row[2]): row[3:] for row in records}
    strata: list[Stratum] = []
    order = sorted(examined, key=lambda k: (known[k[1]].display_order, k[0]))
    for division, test in tqdm(order, desc="scrs sample", unit="stratum", disable=not progress, leave=False):
        population = examined[(division, test)]
        ids = [r[2] for r in by_stratum.get((division, test), [])]
        if len(ids) != population:
            raise SampleError(
                f"{division} {test}: {len(ids)} records found but compliance_by_division_test says {population}"
            )
        n = sample_size(population, margin, expected_pct)
        drawn = draw_stratum(ids, n, stratum_rng(seed, fiscal_year, quarter, division, test))
        strata.append(Stratum(division, test, population, n, drawn))

    sample_id = _sample_id(run_id, fiscal_year, quarter, tests, float(margin), float(expected_pct), seed)
    extracted_at = _local_text(published_at)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [
        [
            sample_id,
            s.test_code,
            rid,
            s.division_code,
            fiscal_year,
            quarter,
            s.population,
            s.size,
            *("" if v is None else str(v) for v in details[(s.division_code, s.test_code, rid)]),
            extracted_at,
        ]
        for s in strata
        for rid in s.record_ids
    ]
    sample_file = out_dir / f"audit_sample_{sample_id}.csv"
    _write_csv(sample_file, SAMPLE_COLUMNS, rows)
    worklists = write_worklists(out_dir, sample_id, rows)
    return DrawnSample(sample_id, fiscal_year, quarter, seed, strata, sample_file, worklists)


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def worklist_rows(sample_rows: Sequence[Mapping[str, object]]) -> dict[str, list[list[object]]]:
    """Per division, the worklist rows of a sample (rows keyed by SAMPLE_COLUMNS): the audit_outcomes layout
    with verdict, reasons, auditor and times empty, then what to check (WORKLIST_COLUMNS)."""
    tests = audit_tests()
    by_division: dict[str, list[list[object]]] = {}
    for r in sample_rows:
        t = tests[str(r["test_code"])]
        by_division.setdefault(str(r["division_code"]), []).append(
            [
                r["sample_id"],
                r["test_code"],
                r["record_id"],
                "",
                "",
                "",
                "",
                "",
                r["division_code"],
                f"{t.test_name}: {t.population}",
                t.compliant_when,
                ";".join(t.failure_reasons),
                *("" if r[c] is None else r[c] for c in WORKLIST_GUIDE_COLUMNS[4:]),
            ]
        )
    return dict(sorted(by_division.items()))


def worklist_csv(rows: Sequence[Sequence[object]]) -> bytes:
    """One division's worklist as CSV bytes (header WORKLIST_COLUMNS)."""
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(WORKLIST_COLUMNS)
    w.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_worklists(out_dir: Path, sample_id: str, sample_rows: Sequence[Sequence[object]]) -> list[Path]:
    """Per division, `worklists/audit_worklist_<sample_id>_<division>.csv` and `.xlsx` (see worklist_rows)."""
    import pandas as pd  # only for the Excel copy

    folder = Path(out_dir) / "worklists"
    folder.mkdir(parents=True, exist_ok=True)
    keyed = [dict(zip(SAMPLE_COLUMNS, r, strict=True)) for r in sample_rows]
    written: list[Path] = []
    for division, rows in worklist_rows(keyed).items():
        stem = folder / f"audit_worklist_{sample_id}_{division}"
        stem.with_suffix(".csv").write_bytes(worklist_csv(rows))
        frame = pd.DataFrame(rows, columns=list(WORKLIST_COLUMNS), dtype="object")
        with pd.ExcelWriter(stem.with_suffix(".xlsx"), engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name=f"Division {division}", index=False)
        written += [stem.with_suffix(".csv"), stem.with_suffix(".xlsx")]
    return written
