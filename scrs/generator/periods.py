"""Fiscal years and Europe/London local time, vectorised.

Instants are int64 seconds since the Unix epoch (UTC). "Local" values are int64 seconds of the Europe/London
wall clock counted as if it were UTC (a naive local timestamp), which is what the extracts contain.

UK clock rule (in force since 1996): BST starts on the last Sunday of March at 01:00 UTC and ends on the
last Sunday of October at 01:00 UTC. The tests check this against `zoneinfo`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

DAY = 86_400
HOUR = 3_600

_FY_RE = re.compile(r"^(\d{4})/(\d{2})$")


def fiscal_year_label(start_year: int) -> str:
    """2020 -> '2020/21'."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _parse_one(token: str) -> int:
    m = _FY_RE.match(token.strip())
    if not m:
        raise ValueError(f"bad fiscal year {token.strip()!r}: expected the form 2020/21")
    start, end = int(m.group(1)), int(m.group(2))
    if (start + 1) % 100 != end:
        raise ValueError(f"bad fiscal year {token.strip()!r}: {end:02d} does not follow {start}")
    if not 1997 <= start <= 2098:
        raise ValueError(f"fiscal year {token.strip()!r} out of the supported range 1997/98..2098/99")
    return start


def parse_years(spec: str) -> list[str]:
    """Parse '2017/18..2021/22', a single '2020/21', or a comma list (items may be ranges).

    Returns sorted, de-duplicated labels. Raises ValueError with a readable message on bad input, including
    years that are not consecutive (late updates of one year land in the next year's files).
    """
    if spec is None or not str(spec).strip():
        raise ValueError("no fiscal years given: expected e.g. 2017/18..2021/22")
    starts: set[int] = set()
    for item in str(spec).split(","):
        if not item.strip():
            raise ValueError(f"empty item in fiscal year list {spec!r}")
        if ".." in item:
            parts = item.split("..")
            if len(parts) != 2:
                raise ValueError(f"bad fiscal year range {item.strip()!r}: expected FIRST..LAST")
            a, b = _parse_one(parts[0]), _parse_one(parts[1])
            if a > b:
                raise ValueError(f"bad fiscal year range {item.strip()!r}: first year is after the last")
            starts.update(range(a, b + 1))
        else:
            starts.add(_parse_one(item))
    ordered = sorted(starts)
    if ordered[-1] - ordered[0] + 1 != len(ordered):
        missing = sorted(set(range(ordered[0], ordered[-1] + 1)) - starts)
        raise ValueError(
            f"fiscal years must be consecutive: {', '.join(fiscal_year_label(y) for y in missing)} missing"
        )
    return [fiscal_year_label(s) for s in ordered]


def fiscal_start_year(label: str) -> int:
    return _parse_one(label)


# ---------------------------------------------------------------------------------------------------------
# Clock changes
# ---------------------------------------------------------------------------------------------------------


def _last_sunday_epoch_day(year: int, month: int) -> int:
    """Epoch day number of the last Sunday of the month."""
    first_next = np.datetime64(f"{year + (month == 12):04d}-{month % 12 + 1:02d}-01", "D")
    last = first_next - np.timedelta64(1, "D")
    # 1970-01-01 was a Thursday: weekday Monday=0 -> (days + 3) % 7
    wd = (int(last.astype(np.int64)) + 3) % 7
    return int(last.astype(np.int64)) - ((wd - 6) % 7)


@lru_cache(maxsize=1)
def _transitions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(spring_utc, autumn_utc, sorted transitions) for 1990..2110; each change is at 01:00 UTC."""
    years = range(1990, 2111)
    spring = np.array([_last_sunday_epoch_day(y, 3) * DAY + HOUR for y in years], dtype=np.int64)
    autumn = np.array([_last_sunday_epoch_day(y, 10) * DAY + HOUR for y in years], dtype=np.int64)
    trans = np.empty(spring.size * 2, dtype=np.int64)
    trans[0::2], trans[1::2] = spring, autumn
    return spring, autumn, trans


def clock_changes(start_utc: int, end_utc: int) -> tuple[np.ndarray, np.ndarray]:
    """Spring and autumn change instants (UTC) within [start, end)."""
    spring, autumn, _ = _transitions()
    return (
        spring[(spring >= start_utc) & (spring < end_utc)],
        autumn[(autumn >= start_utc) & (autumn < end_utc)],
    )


def utc_to_local(t: np.ndarray) -> np.ndarray:
    _, _, trans = _transitions()
    bst = (np.searchsorted(trans, t, side="right") % 2) == 1
    return t + HOUR * bst


def local_to_utc(local: np.ndarray) -> np.ndarray:
    """Naive local -> UTC; an ambiguous autumn time resolves to its first (BST) occurrence."""
    local = np.asarray(local, dtype=np.int64)
    guess = local - HOUR
    return np.where(utc_to_local(guess) == local, guess, local)


def in_changeover_hour(local: np.ndarray) -> np.ndarray:
    """True for naive local times 01:00-01:59 on a clock-change day (skipped in spring, repeated in autumn).

    As naive seconds, 01:00 local on a change day has the same number as the change instant (01:00 UTC).
    """
    _, _, trans = _transitions()
    idx = np.searchsorted(trans, local, side="right") - 1
    idx = np.clip(idx, 0, trans.size - 1)
    start = trans[idx]
    return (local >= start) & (local < start + HOUR)


def fix_local(local: np.ndarray) -> np.ndarray:
    """Move generated wall-clock times out of the changeover hour (to 02:xx), so local->UTC is unambiguous."""
    return local + HOUR * in_changeover_hour(local)


def fix_instant(t: np.ndarray) -> np.ndarray:
    """Move instants whose local time falls in the repeated autumn hour forward by two hours (never back).

    The repeated hour is UTC 00:00-01:59 on the autumn change day; +2 h lands at 02:00-03:59 GMT.
    """
    return t + 2 * HOUR * in_changeover_hour(utc_to_local(t))


# ---------------------------------------------------------------------------------------------------------
# Calendar helpers on naive local seconds
# ---------------------------------------------------------------------------------------------------------


def month_index(local: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of naive local seconds."""
    return np.asarray(local, dtype=np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def month_start_local(month_idx: np.ndarray | int) -> np.ndarray:
    """Naive local seconds of 00:00 on the first of the month."""
    m = np.asarray(month_idx, dtype=np.int64).astype("datetime64[M]")
    return m.astype("datetime64[s]").astype(np.int64)


def month_label(month_idx: int) -> str:
    """600 -> '2020_01'."""
    s = str(np.datetime64(int(month_idx), "M"))
    return s.replace("-", "_")


def fiscal_period(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fiscal start year, fiscal quarter 1-4) of naive local seconds; Q1 = April-June."""
    m = month_index(local)
    year, month0 = m // 12 + 1970, m % 12  # month0: 0 = January
    fy = year - (month0 < 3)
    fq = ((month0 - 3) % 12) // 3 + 1
    return fy, fq


@dataclass(frozen=True)
class Window:
    """The span the generator covers: whole fiscal years, in local and UTC terms."""

    fy_starts: tuple[int, ...]
    start_local: int  # 1 April of the first year, 00:00 local
    end_local: int  # 1 April after the last year, 00:00 local (exclusive)
    start_utc: int
    end_utc: int  # cut-off: nothing happens at or after this instant

    @classmethod
    def for_years(cls, labels: list[str]) -> Window:
        starts = sorted(fiscal_start_year(y) for y in labels)
        if not starts:
            raise ValueError("no fiscal years to generate")
        if starts != list(range(starts[0], starts[-1] + 1)):
            raise ValueError(f"fiscal years must be consecutive, got {', '.join(labels)}")
        s = int(np.datetime64(f"{starts[0]:04d}-04-01T00:00:00", "s").astype(np.int64))
        e = int(np.datetime64(f"{starts[-1] + 1:04d}-04-01T00:00:00", "s").astype(np.int64))
        su, eu = local_to_utc(np.array([s, e]))
        return cls(tuple(starts), s, e, int(su), int(eu))

    @property
    def months(self) -> np.ndarray:
        """Month indices covered, in order."""
        return np.arange(
            int(month_index(np.array([self.start_local]))[0]), int(month_index(np.array([self.end_local]))[0])
        )

    @property
    def days(self) -> np.ndarray:
        """Local dates covered (datetime64[D])."""
        return np.arange(self.start_local // DAY, self.end_local // DAY).astype("datetime64[D]")

    def quarter_starts_local(self) -> np.ndarray:
        """Naive local 00:00 of every fiscal quarter start from the first to the end boundary (inclusive)."""
        out = []
        for fy in range(self.fy_starts[0], self.fy_starts[-1] + 2):
            for month in (4, 7, 10):
                out.append(f"{fy:04d}-{month:02d}-01")
            out.append(f"{fy + 1:04d}-01-01")
        arr = np.array(out, dtype="datetime64[D]").astype("datetime64[s]").astype(np.int64)
        return arr[(arr >= self.start_local) & (arr <= self.end_local)]
