"""Access log: every sign-in, failed sign-in, sign-out, download and refused attempt (registrars, engineers)."""

from __future__ import annotations

import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import downloads, query
from streamlit_app.ui import tables
from streamlit_app.ui.page import render_page

EVENT_WORDS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "sign_out": "Signed out",
    "session_expired": "Session ended",
    "download": "Download",
    "access_denied": "Refused",
    "session_tampered": "Session tampering",
}


def main(viewer: Viewer) -> None:
    st.title("Access log")
    entries = downloads.access_log_entries(viewer)
    broken = downloads.access_log_intact(viewer)
    where = query.settings().access_log
    st.markdown(
        f"Append-only, kept beside the warehouse (not in it, so no rebuild touches it): `{where}`. "
        "Each line carries the hash of the line before it, so an edited or deleted line shows."
    )
    if broken is None:
        st.success("The log's hash chain is intact.", icon=":material/verified:")
    else:
        st.error(f"The log's hash chain breaks at line {broken}: the log has been edited or truncated.")
    if entries.empty:
        st.info("Nothing has been logged yet.")
        return

    counts = entries["event"].value_counts()
    cols = st.columns(4)
    for col, event in zip(cols, ("sign_in", "sign_in_failed", "download", "access_denied"), strict=True):
        col.metric(EVENT_WORDS[event], f"{int(counts.get(event, 0)):,}", border=True)

    event_col, user_col = st.columns(2)
    events = event_col.multiselect(
        "Events",
        list(EVENT_WORDS),
        format_func=EVENT_WORDS.get,
        key="access_log_events",
        placeholder="All events",
    )
    users = sorted(u for u in entries["user"].dropna().unique())
    user = user_col.selectbox("User", ["All users", *users], key="access_log_user")
    shown = entries
    if events:
        shown = shown[shown["event"].isin(events)]
    if user != "All users":
        shown = shown[shown["user"].eq(user)]
    table = shown.rename(
        columns={
            "time": "Time (UTC)",
            "event": "Event",
            "user": "User",
            "role": "Role",
            "division": "User's division",
            "scope": "Asked for",
            "file": "File",
            "rows": "Rows",
            "detail": "Detail",
        }
    )
    tables.table(
        table, "access_log", key="access_log", caption=f"{len(shown):,} of {len(entries):,} entries, newest first"
    )


render_page(main)
