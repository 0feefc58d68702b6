"""The scaffold every page runs in: the signed-in viewer, messages for missing data or refused access, and
the disclosure note."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from streamlit_app.access.policy import AccessDenied, Viewer
from streamlit_app.access.session import current_viewer
from streamlit_app.data.query import DataUnavailable
from streamlit_app.ui.format import min_records


def render_page(body: Callable[[Viewer], None]) -> None:
    """Run a page body with the signed-in viewer; missing data or refused access becomes a message.

    Pages never choose the viewer: `current_viewer()` resolves the signed-in session (and refuses when there
    is none), and the data layer applies its scope.
    """
    try:
        viewer = current_viewer()
    except AccessDenied as exc:
        st.warning(str(exc))
        return
    try:
        body(viewer)
    except DataUnavailable as exc:
        st.info(str(exc))
    except AccessDenied as exc:
        st.warning(str(exc))
    disclosure_note(viewer)


def disclosure_note(viewer: Viewer) -> None:
    """Say when this view suppresses small cells (committee-facing views), and for whom it does not."""
    if not viewer.suppresses_small_cells:
        return
    own = (
        f" Your own division ({viewer.division_code}) is shown unsuppressed."
        if viewer.is_division and viewer.division_code
        else ""
    )
    st.caption(
        f":material/visibility_off: Disclosure control: any rate or count built on fewer than {min_records()} "
        f"records is suppressed in this view (shown as “suppressed” or left blank), because small numbers can "
        f"identify people; where needed a second, larger figure is suppressed too, so that no suppressed figure "
        f"can be worked out by subtraction.{own}"
    )
