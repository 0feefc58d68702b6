"""The audit tests as the seeds define them (seeds/audit_tests.csv): name, rule in words, failure reasons.

Read by the sampler (worklists say what to check), the quality helpers of `audit_outcomes` (which reason
codes belong to which test) and the generator, so there is one list of reasons: the seed's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scrs.settings import SEEDS_DIR


@dataclass(frozen=True)
class AuditTest:
    test_code: str
    test_name: str
    display_order: int
    population: str
    compliant_when: str
    failure_reasons: tuple[str, ...]
    """In the order a failing record lists them (contract section 3)."""


@cache
def audit_tests(seeds_dir: Path | str = SEEDS_DIR) -> dict[str, AuditTest]:
    """Every test of seeds/audit_tests.csv by code, in display order."""
    with open(Path(seeds_dir) / "audit_tests.csv", newline="", encoding="utf-8") as f:
        rows = [
            AuditTest(
                test_code=r["test_code"],
                test_name=r["test_name"],
                display_order=int(r["display_order"]),
                population=r["population"],
                compliant_when=r["compliant_when"],
                failure_reasons=tuple(x for x in r["failure_reasons"].split(";") if x),
            )
            for r in csv.DictReader(f)
        ]
    return {t.test_code: t for t in sorted(rows, key=lambda t: t.display_order)}


def reasons_by_test(seeds_dir: Path | str = SEEDS_DIR) -> dict[str, tuple[str, ...]]:
    return {code: t.failure_reasons for code, t in audit_tests(seeds_dir).items()}
