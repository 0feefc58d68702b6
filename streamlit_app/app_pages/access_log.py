"""Access log: every sign-in, failed sign-in, sign-out, download and refused attempt (registrars, engineers)."""

from __future__ import annotations

import streamlit as st

from streamlit_app.access.policy import Viewer
from streamlit_app.data import downloads
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
    check, bad_lines = downloads.access_log_check(viewer)
    st.markdown(
        "Append-only, kept beside the warehouse (not in it, so no rebuild touches it). Each line carries a keyed "
        "hash (HMAC) of itself and of the line before it, and the chain's last hash and length are kept outside "
        "the log, so an edited, deleted or re-chained line, a truncated log and a deleted log all show "
        "(`scrs access-log verify` checks the same)."
    )
    if check.ok:
        st.success("The log's hash chain is intact and agrees with its anchor.", icon=":material/verified:")
    else:
        shown = "; ".join(check.problems[:5]) + (" ..." if len(check.problems) > 5 else "")
        st.error(f"The access log has been edited, truncated or damaged: {shown}")
    if bad_lines:
        listed = ", ".join(str(n) for n in bad_lines[:10]) + (", ..." if len(bad_lines) > 10 else "")
        st.warning(f"{len(bad_lines)} line(s) of the log could not be read and are not shown below (line {listed}).")
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
