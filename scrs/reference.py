"""Words for codes, read from the seeds (seeds/*.csv): the one place the dashboard, the exports and the dbt
marts take them from (the marts read the same seeds as `reference.*`)."""

from __future__ import annotations

import csv
from functools import cache

from scrs.settings import SEEDS_DIR


def _seed_rows(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def reason_words() -> dict[str, str]:
    """Failure reason code -> plain words (seed failure_reasons), in the contract's order."""
    rows = sorted(_seed_rows("failure_reasons"), key=lambda r: int(r["display_order"]))
    return {row["reason_code"]: row["reason_words"] for row in rows}


@cache
def review_state_words() -> dict[str, str]:
    """Review state -> plain words (seed review_states), in display order."""
    rows = sorted(_seed_rows("review_states"), key=lambda r: int(r["display_order"]))
    return {row["review_state"]: row["state_words"] for row in rows}
