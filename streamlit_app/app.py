"""Entry point of the committee dashboard: `streamlit run streamlit_app/app.py`.

It reads only the published warehouse (`SCRS_WAREHOUSE_DIR`/warehouse.duckdb) through
`streamlit_app.data_access`. One file per page in `app_pages/`.

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

from streamlit_app import data_access  # noqa: E402
from streamlit_app.viewer import current_viewer  # noqa: E402

APP_TITLE = "SCRS crime-recording compliance"

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/divisions.py", title="Divisions", icon=":material/grid_view:"),
    st.Page("app_pages/trends.py", title="Trends", icon=":material/show_chart:"),
    st.Page("app_pages/division_detail.py", title="Division detail", icon=":material/location_city:"),
    st.Page("app_pages/training.py", title="Training", icon=":material/school:"),
    st.Page("app_pages/improvement_plan.py", title="Improvement plan", icon=":material/flag:"),
    st.Page("app_pages/impact.py", title="Impact", icon=":material/compare_arrows:"),
    st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/rule:"),
    st.Page("app_pages/about.py", title="About the data", icon=":material/info:"),
]


def _sidebar() -> None:
    viewer = current_viewer()
    st.sidebar.markdown(f"**{APP_TITLE}**  \nPolice Scotland, for the SPA Policing Performance Committee")
    try:
        pub = data_access.publication(viewer)
    except data_access.DataUnavailable:
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


st.set_page_config(page_title=APP_TITLE, page_icon=":material/fact_check:", layout="wide")
navigation = st.navigation(PAGES)
_sidebar()
navigation.run()
