"""Words and numbers: status words, number and date formats, and the colours and shapes of each status.

Accessibility rules kept here so pages cannot forget them: status is always written in words, never shown
by colour alone; colours come from the Okabe-Ito palette (safe for the common colour-vision deficiencies),
and the statuses also differ in lightness and marker shape, so they survive greyscale printing.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from scrs.reference import reason_words
from scrs.settings import Settings

# Okabe-Ito, for series (lines, stacked bars).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

# Compliance status against the target. "suppressed" is how a blanked (small-cell) figure is rendered.
SUPPRESSED = "suppressed"
STATUS_STYLE: dict[str, dict[str, str]] = {
    "meets": {"fill": "#0072B2", "text": "#FFFFFF", "shape": "circle", "tag": "meets"},
    "below": {"fill": "#E69F00", "text": "#000000", "shape": "triangle-down", "tag": "below"},
    "not_distinguishable": {"fill": "#DDDDDD", "text": "#000000", "shape": "diamond", "tag": "can't tell"},
    SUPPRESSED: {"fill": "#FFFFFF", "text": "#555555", "shape": "square", "tag": "suppressed"},
}
STATUS_ORDER = ["meets", "not_distinguishable", "below", SUPPRESSED]

# Improvement-plan action statuses: fill colour and marker shape, so the status survives without colour.
# Words come from the seed reference.improvement_statuses (ACTION_STATUS_FALLBACK only if one is missing).
ACTION_STATUS_STYLE: dict[str, dict[str, str]] = {
    "COMPLETE": {"fill": "#0072B2", "text": "#FFFFFF", "shape": "circle"},
    "TRANSFERRED": {"fill": "#56B4E9", "text": "#000000", "shape": "cross"},
    "ON_TRACK": {"fill": "#009E73", "text": "#000000", "shape": "square"},
    "DELAYED": {"fill": "#E69F00", "text": "#000000", "shape": "triangle-down"},
    "NOT_STARTED": {"fill": "#DDDDDD", "text": "#000000", "shape": "diamond"},
}
ACTION_STATUS_FALLBACK = {
    "COMPLETE": "Complete",
    "TRANSFERRED": "Transferred",
    "ON_TRACK": "On track",
    "DELAYED": "Delayed",
    "NOT_STARTED": "Not started",
}

# Failure reasons in words: seeds/failure_reasons.csv, the same words as the worklist and the exports.
REASON_WORDS = reason_words()
UNIT_WORDS = {
    "RESOLUTION_TEAM": "Resolution Teams",
    "LOCAL_POLICING": "Local policing",
    "CIMU": "Crime and incident management units",
    "SPECIALIST": "Specialist units",
    "UNKNOWN": "Not given",
}
QUARTER_WORDS = {1: "Q1 (Apr–Jun)", 2: "Q2 (Jul–Sep)", 3: "Q3 (Oct–Dec)", 4: "Q4 (Jan–Mar, annual audit)"}


def target_pct() -> float:
    return Settings.from_env().compliance_target_pct


def min_records() -> int:
    return Settings.from_env().disclosure_min_records


# A blanked cell's status in words. Not "fewer than N records": a complementary cell has enough records of
# its own and is blanked so that a smaller one cannot be worked out by subtraction (contract 5.1).
SUPPRESSED_WORDS = "Suppressed (disclosure control)"


def fmt_target() -> str:
    return f"{target_pct():g}%"


def shown_status(status: Any, suppressed: Any = False) -> Any:
    """The status to render: "suppressed" for a blanked (small-cell) figure, else the status itself."""
    flagged = suppressed is not None and not pd.isna(suppressed) and bool(suppressed)
    return SUPPRESSED if flagged else status


def shown_statuses(frame: pd.DataFrame, status_col: str = "status", flag_col: str = "suppressed") -> list[Any]:
    """`shown_status` for every row of a frame (rows without the flag column are never suppressed)."""
    flags = frame[flag_col] if flag_col in frame.columns else [False] * len(frame)
    return [shown_status(s, f) for s, f in zip(frame[status_col], flags, strict=True)]


def status_words(status: Any) -> str:
    """The status against the target in words, e.g. "Meets the 95% target"."""
    target = fmt_target()
    return {
        "meets": f"Meets the {target} target",
        "below": f"Below the {target} target",
        "not_distinguishable": f"Cannot be told apart from {target}",
        SUPPRESSED: SUPPRESSED_WORDS,
    }.get(str(status), "No figure")


_BADGE = {
    "meets": ("blue", ":material/check_circle:"),
    "below": ("orange", ":material/arrow_downward:"),
    "not_distinguishable": ("gray", ":material/help:"),
    SUPPRESSED: ("gray", ":material/visibility_off:"),
}


def status_badge(status: Any) -> str:
    """Markdown for a coloured badge that carries the status in words and an icon."""
    colour, icon = _BADGE.get(str(status), ("gray", ""))
    return f":{colour}-badge[{icon} {status_words(status)}]"


def status_tag(status: Any) -> str:
    """A short form for tight spaces (matrix cells): meets / below / can't tell / suppressed."""
    return STATUS_STYLE.get(str(status), {"tag": "–"})["tag"]


def fmt_pct(value: Any, decimals: int = 2) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):.{decimals}f}%"


def fmt_interval(lower: Any, upper: Any, decimals: int = 2) -> str:
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return "–"
    return f"{float(lower):.{decimals}f}–{float(upper):.{decimals}f}%"


def fmt_change(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{float(value):+.2f} pp"


def fmt_count(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value):,}"


def fmt_day(value: Any) -> str:
    """E.g. "5 Mar 2021"; "–" when missing."""
    if value is None or pd.isna(value):
        return "–"
    return pd.Timestamp(value).strftime("%d %b %Y").lstrip("0")


def fmt_month(value: Any) -> str:
    """E.g. "March 2021"."""
    return pd.Timestamp(value).strftime("%B %Y")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def join_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def trend_verb(change: float) -> str:
    if change > 0:
        return "rose"
    if change < 0:
        return "fell"
    return "was unchanged"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def period_caption(fiscal_year: str, fiscal_quarter: int | None) -> str:
    if fiscal_quarter is None:
        return f"{fiscal_year}, all quarters"
    return f"{fiscal_year} {QUARTER_WORDS.get(int(fiscal_quarter), f'Q{fiscal_quarter}')}"
