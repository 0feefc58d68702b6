"""Tables: every table the dashboard shows has a "Download this table" button with exactly its rows."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from streamlit_app.access.session import current_viewer
from streamlit_app.data import downloads
from streamlit_app.ui.format import shown_statuses, slug, status_words


def download_table(df: pd.DataFrame, name: str, *, key: str | None = None, label: str | None = None) -> None:
    """The table as CSV, made and logged (access log, `download`) only when the button is clicked."""
    viewer = current_viewer()
    file_name = f"{slug(name)}.csv"
    st.download_button(
        label or "Download this table (CSV)",
        data=lambda: downloads.table_bytes(viewer, df, file_name, name),
        file_name=file_name,
        mime="text/csv",
        key=key or f"download_{slug(name)}",
        icon=":material/download:",
        on_click="ignore",
    )


def table(
    df: pd.DataFrame,
    name: str,
    *,
    key: str,
    column_config: dict[str, Any] | None = None,
    caption: str | None = None,
    height: int | str = "auto",
) -> None:
    """A table with its download button (the CSV is exactly the rows and columns shown)."""
    if caption:
        st.caption(caption)
    st.dataframe(
        df,
        hide_index=True,
        column_config=column_config,
        key=f"table_{key}",
        height=height,
        alt=f"Table: {name}",
    )
    download_table(df, name, key=f"download_{key}")


def rate_table(df: pd.DataFrame, label_columns: dict[str, str]) -> pd.DataFrame:
    """A compliance frame as a readable table: labels, rate, interval, counts, status in words."""
    out = pd.DataFrame({label: df[column].to_numpy() for column, label in label_columns.items()})
    out["Compliance %"] = df["compliance_pct"].to_numpy()
    out["Status"] = [status_words(s) for s in shown_statuses(df)]
    out["95% interval lower %"] = df["ci_lower_pct"].to_numpy()
    out["95% interval upper %"] = df["ci_upper_pct"].to_numpy()
    out["Compliant"] = df["compliant"].to_numpy()
    out["Examined"] = df["examined"].to_numpy()
    return out
