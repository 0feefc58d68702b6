"""What a user sees when something is wrong on the server's side: a plain message, never a traceback, a source
file or a server path. The details go to the server's log, under a short reference the user can quote.

`.streamlit/config.toml` sets `client.showErrorDetails = "none"` as the last line of defence; this module
gives each fault a user can meet its own words (docs/access.md).
"""

from __future__ import annotations

import logging
import secrets

import streamlit as st

from scrs.keys import SecretKeyError
from scrs.users import UsersFileUnreadable
from streamlit_app.data.query import DataUnavailable

log = logging.getLogger("scrs.dashboard")

ACCOUNTS_UNREADABLE = (
    "The dashboard cannot read its list of accounts just now, so nobody can sign in. This has been logged for "
    "the dashboard's engineers; please try again later."
)
NOT_CONFIGURED = (
    "The dashboard is not fully set up on this server yet, so it cannot record who signs in. This has been "
    "logged for the dashboard's engineers; please try again later."
)
UNEXPECTED = (
    "Something went wrong on our side. Please try again in a moment; if it keeps happening, tell the "
    "dashboard's engineers this reference: {reference}."
)


def show_fault(exc: Exception) -> None:
    """Tell the user in plain words; log the details (with the traceback) for the engineers."""
    reference = secrets.token_hex(4)
    if isinstance(exc, UsersFileUnreadable):
        log.error("[%s] the accounts file could not be read: %s", reference, exc)
        st.error(ACCOUNTS_UNREADABLE, icon=":material/error:")
    elif isinstance(exc, SecretKeyError):
        log.error("[%s] a secret key is missing or refused: %s", reference, exc)
        st.error(NOT_CONFIGURED, icon=":material/error:")
    elif isinstance(exc, DataUnavailable):
        st.info(str(exc))
    else:
        log.exception("[%s] unexpected fault", reference, exc_info=exc)
        st.error(UNEXPECTED.format(reference=reference), icon=":material/error:")
