"""Entry point of the committee dashboard: `streamlit run streamlit_app/app.py`.

It reads only the published warehouse (`SCRS_WAREHOUSE_DIR`/warehouse.duckdb) through `streamlit_app.data`.
One file per page in `app_pages/`; imports flow one way: app and pages -> `ui` -> `data` -> `access` -> `scrs`
(docs/architecture.md).

The page folder is deliberately not called `pages/`: Streamlit treats a `pages/` folder next to the entry
script as a legacy (v1) multipage app until `st.navigation` has run once in the server, so the first
request after start-up, if it is a deep link such as `/divisions`, would run that page without this file
(no page config, no navigation, no import path).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts this file's folder on sys.path, not the repository root the packages live in.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from streamlit_app.access import session  # noqa: E402
from streamlit_app.access.audit import check_division_request  # noqa: E402
from streamlit_app.access.policy import AccessDenied, Viewer  # noqa: E402
from streamlit_app.data import reference  # noqa: E402
from streamlit_app.data.query import DataUnavailable  # noqa: E402
from streamlit_app.ui.faults import show_fault  # noqa: E402
from streamlit_app.ui.sign_in import render_sign_in  # noqa: E402

APP_TITLE = "SCRS crime-recording compliance"

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/divisions.py", title="Divisions", icon=":material/grid_view:"),
    st.Page("app_pages/trends.py", title="Trends", icon=":material/show_chart:"),
    st.Page("app_pages/division_detail.py", title="Division detail", icon=":material/location_city:"),
    st.Page("app_pages/crime_types.py", title="Crime types and units", icon=":material/category:"),
    st.Page("app_pages/training.py", title="Training", icon=":material/school:"),
    st.Page("app_pages/improvement_plan.py", title="Improvement plan", icon=":material/flag:"),
    st.Page("app_pages/impact.py", title="Impact", icon=":material/compare_arrows:"),
    st.Page("app_pages/registrar_audit.py", title="Registrar audit", icon=":material/fact_check:"),
    st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/rule:"),
    st.Page("app_pages/about.py", title="About the data", icon=":material/info:"),
]


def _worklist_page(viewer: Viewer | None) -> list:
    """The crime managers' worklist: listed for divisions, registrars and engineers; registered (hidden) for
    the committee too, so a typed URL is refused and logged by the data layer rather than ignored."""
    visible = viewer is not None and viewer.role != "committee"
    return [
        st.Page(
            "app_pages/worklist.py",
            title="Worklist",
            icon=":material/checklist:",
            visibility="visible" if visible else "hidden",
        )
    ]


def _access_pages(viewer: Viewer | None) -> list:
    """Downloads for every signed-in user; the access log listed for registrars and engineers only.

    The access log page is still registered (hidden) for everyone else, so a typed URL reaches it and
    the data layer refuses it and logs the attempt, instead of silently showing another page.
    """
    log_visible = viewer is not None and viewer.reads_access_log
    return [
        st.Page("app_pages/downloads.py", title="Downloads", icon=":material/download:"),
        st.Page(
            "app_pages/access_log.py",
            title="Access log",
            icon=":material/policy:",
            visibility="visible" if log_visible else "hidden",
        ),
    ]


def _account(viewer: Viewer) -> None:
    """Who is signed in, when the session ends, and the sign-out button."""
    expires = session.session_expires_at(viewer)
    st.sidebar.caption(
        f"Signed in as **{viewer.username or ''}**"
        + (f" · session ends {expires:%H:%M} UTC" if expires is not None else "")
    )
    if st.sidebar.button("Sign out", key="sign_out", icon=":material/logout:"):
        session.sign_out(viewer)
        st.rerun()


def _sidebar() -> None:
    viewer = session.current_viewer()
    st.sidebar.markdown(f"**{APP_TITLE}**  \nPolice Scotland, for the SPA Policing Performance Committee")
    try:
        pub = reference.publication()
    except DataUnavailable:
        st.sidebar.caption("Nothing published yet.")
        return
    if pub is None:
        st.sidebar.caption("Published warehouse has no publication record.")
        return
    published = pub.get("published_at")
    extracted = pub.get("latest_extracted_at")
    st.sidebar.caption(
        f"Published {published:%d %b %Y %H:%M} · data extracted up to {extracted:%d %b %Y}"
        if published is not None and extracted is not None
        else f"Publication {pub.get('run_id')}"
    )
    st.sidebar.caption(f"Viewing as: {viewer.describe()}")


def main() -> None:
    signed_in = session.signed_in_viewer()
    if signed_in is None:
        # Register every page (hidden) so the requested URL is kept through sign-in, but run none of them.
        st.navigation(PAGES + _worklist_page(None) + _access_pages(None), position="hidden")
        render_sign_in()
        st.stop()
    navigation = st.navigation(PAGES + _worklist_page(signed_in) + _access_pages(signed_in))
    _sidebar()
    _account(signed_in)
    try:
        # A `?division=` deep link is honoured only within the viewer's scope; anything else is refused, logged.
        check_division_request(signed_in, st.query_params.get("division"))
    except AccessDenied as refused:
        st.warning(str(refused))
        st.stop()
    navigation.run()


st.set_page_config(page_title=APP_TITLE, page_icon=":material/fact_check:", layout="wide")
# Streamlit draws captions at 60% opacity, below WCAG AA contrast (axe: color-contrast,
# tests/e2e/test_accessibility_browser.py): full opacity in a dark grey, on every page and the sign-in page.
st.html(
    "<style>[data-testid='stCaptionContainer'] {opacity: 1 !important; color: #4a4a4a !important;} "
    "[data-testid='stCaptionContainer'] code {color: #1a1a1a !important;}</style>"
)
try:
    main()
except Exception as fault:  # noqa: BLE001 - every fault a user can meet gets plain words, never a traceback
    show_fault(fault)
