"""How a change is shown: in words decided by its interval, never by an arrow or colour alone.

A change is *improved* or *worsened* only when its whole Newcombe 95% interval is above or below zero
(contract section 7); otherwise *no clear change*, whatever the sign of the difference. So `metric_delta`
gives st.metric a delta (with its arrow and colour) only for a clear change; the other cases are written
out in words beside the figure.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from streamlit_app.ui import tables

CHANGE_WORDS = {"improved": "Improved", "worsened": "Worsened", "no_clear_change": "No clear change"}


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def change_words(code: Any) -> str:
    """The words for a change code; "–" without an earlier figure (or when suppressed)."""
    return "–" if _missing(code) else CHANGE_WORDS.get(str(code), str(code))


def change_text(row: pd.Series | dict, prefix: str = "") -> str:
    """E.g. "+2.15 pp (95% CI −1.45 to +5.73): no clear change"; "–" when there is nothing to show.

    `prefix` "" reads change_pp / change_ci_*_pp / change (a year earlier), "qoq_" the quarter-on-quarter
    columns.
    """
    names = ("change_pp", "change_ci_lower_pp", "change_ci_upper_pp", "change")
    if prefix:
        names = (f"{prefix}change_pp", f"{prefix}ci_lower_pp", f"{prefix}ci_upper_pp", f"{prefix}change")
    pp, lower, upper, code = (row.get(n) for n in names)
    if any(_missing(v) for v in (pp, lower, upper, code)):
        return "–"
    return f"{float(pp):+.2f} pp (95% CI {float(lower):+.2f} to {float(upper):+.2f}): {change_words(code).lower()}"


def metric_delta(row: pd.Series | dict, prefix: str = "") -> tuple[str | None, str]:
    """(delta, delta_color) for st.metric: a delta only for a clear change, coloured by its direction
    (a rise in compliance is good); None otherwise, so no arrow suggests a change the interval does not
    support."""
    code = row.get(f"{prefix}change" if prefix else "change")
    pp = row.get(f"{prefix}change_pp" if prefix else "change_pp")
    if _missing(code) or _missing(pp) or code == "no_clear_change":
        return None, "off"
    return f"{float(pp):+.2f} pp, {change_words(code).lower()}", "normal"


def change_table(frame: pd.DataFrame, label_columns: dict[str, str]) -> pd.DataFrame:
    """A change-mart frame as a readable table: labels, rate, both changes in words with their intervals."""
    out = pd.DataFrame({label: frame[column].to_numpy() for column, label in label_columns.items()})
    out["Compliance %"] = frame["compliance_pct"].to_numpy()
    out["Examined"] = frame["examined"].to_numpy()
    out["A year earlier %"] = frame["previous_year_pct"].to_numpy()
    out["Change on a year"] = [change_text(row) for _, row in frame.iterrows()]
    out["A quarter earlier %"] = frame["previous_quarter_pct"].to_numpy()
    out["Change on a quarter"] = [change_text(row, "qoq_") for _, row in frame.iterrows()]
    return out


def show_changes(frame: pd.DataFrame, label_columns: dict[str, str], name: str, *, key: str) -> None:
    """The change table with its download, or a note when the publication has no change figures."""
    if frame.empty:
        st.caption("No change figures to show: nothing earlier to compare, or a publication from before they existed.")
        return
    tables.table(change_table(frame, label_columns), name, key=key)
