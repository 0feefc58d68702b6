"""Cached synthetic extracts for the benchmark, under `.bench/extracts/<scale>_<seed>_<years>/`.

- a *year set*: the 12 monthly files of one fiscal year (plus its quarterly training snapshots and the
  improvement-plan tracker's files), generated together with the following year, so that the first month
  of that following year is a genuine next delivery (late updates of the year's records included); that
  month's files are kept apart in `next_month/` for the incremental run;
- a *ten-year set*: every file of ten consecutive fiscal years.

A set is complete when its `.complete` marker exists; a partial one (killed generation) is regenerated.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from scrs.generator import generate, parse_years
from scrs.generator.periods import fiscal_year_label

MARKER = ".complete"


@dataclass(frozen=True)
class ExtractSet:
    landing: Path  # the files a full run loads
    next_month: Path | None  # one further month of files (year sets only)
    years: tuple[str, ...]
    generated_seconds: float | None  # None when it came from the cache

    def files(self) -> list[Path]:
        return sorted(p for p in self.landing.glob("*.csv") if p.is_file())

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files())


def _key(scale: float, seed: int, years: list[str]) -> str:
    span = years[0].replace("/", "-") + (f"..{years[-1].replace('/', '-')}" if len(years) > 1 else "")
    return f"scale{scale:g}_seed{seed}_{span}"


def _start_year(label: str) -> int:
    return int(label[:4])


def year_set(cache: Path, scale: float, seed: int, year: str, log=print) -> ExtractSet:
    """One fiscal year of extracts, plus the next month's files in `next_month/`."""
    following = fiscal_year_label(_start_year(year) + 1)
    root = cache / (_key(scale, seed, [year]) + "+next_month")
    landing, nxt = root / "year", root / "next_month"
    if (root / MARKER).exists():
        return ExtractSet(landing, nxt, (year,), None)
    log(f"generating scale-{scale:g} extracts for {year} (+ next month) into {root} ...")
    shutil.rmtree(root, ignore_errors=True)
    gen = root / "generated"
    t0 = time.perf_counter()
    generate(gen, scale=scale, seed=seed, years=[year, following], progress=False)
    seconds = time.perf_counter() - t0
    first, nyear = _start_year(year), _start_year(year) + 1
    in_year = {f"{first}_{m:02d}" for m in range(4, 13)} | {f"{nyear}_{m:02d}" for m in range(1, 4)}
    month_after = f"{nyear}_04"
    landing.mkdir(parents=True)
    nxt.mkdir(parents=True)
    for path in sorted(gen.glob("*.csv")):
        stem = path.stem  # e.g. incidents_2020_04, improvement_updates_2021_09
        period = stem[-7:]
        if period in in_year or stem.startswith("improvement_updates"):
            os.replace(path, landing / path.name)
        elif period == month_after and not stem.startswith("training"):
            os.replace(path, nxt / path.name)
    shutil.rmtree(gen)
    (root / MARKER).write_text(f"generated in {seconds:.1f} s\n")
    return ExtractSet(landing, nxt, (year,), seconds)


def multi_year_set(cache: Path, scale: float, seed: int, years_spec: str, log=print) -> ExtractSet:
    years = parse_years(years_spec)
    root = cache / _key(scale, seed, years)
    landing = root / "landing"
    if (root / MARKER).exists():
        return ExtractSet(landing, None, tuple(years), None)
    log(f"generating scale-{scale:g} extracts for {years[0]}..{years[-1]} into {root} (about 1 min per 10 years) ...")
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    generate(root / "partial", scale=scale, seed=seed, years=years, progress=False)
    seconds = time.perf_counter() - t0
    os.replace(root / "partial", landing)
    (root / MARKER).write_text(f"generated in {seconds:.1f} s\n")
    return ExtractSet(landing, None, tuple(years), seconds)


def in_years(name: str, years: list[str] | tuple[str, ...]) -> bool:
    """Is an extract file (`<kind>_YYYY_MM.csv`) dated in one of these fiscal years? (Plan-tracker files
    run on their own calendar, and the registrar-audit files are named by their sample: both always are.)"""
    if name.startswith(("improvement_updates", "audit_")):
        return True
    stem = Path(name).stem
    year, month = int(stem[-7:-3]), int(stem[-2:])
    start = year if month >= 4 else year - 1
    return fiscal_year_label(start) in years


def link_landing(target: Path, *sources: Path, only_years: list[str] | tuple[str, ...] | None = None) -> Path:
    """A landing folder holding (hard links to) every CSV of `sources` (of `only_years` if given)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for src in sources:
        for path in sorted(src.glob("*.csv")):
            if only_years is not None and not in_years(path.name, only_years):
                continue
            try:
                os.link(path, target / path.name)
            except OSError:
                shutil.copyfile(path, target / path.name)
    return target
