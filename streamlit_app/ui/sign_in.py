"""The sign-in page: the local-accounts form, or the identity provider's button when OIDC is configured.

Checking the password and starting the session is `access.session`; this module only renders.
"""

from __future__ import annotations

import streamlit as st

from streamlit_app.access.session import (
    NOTICE_KEY,
    OIDC_REFUSED_KEY,
    oidc_provider,
    sign_in_with_password,
    users,
)


def render_sign_in() -> None:
    """The sign-in form (local accounts) or the provider's button (OIDC)."""
    st.title("Sign in")
    st.caption(
        "SCRS crime-recording compliance. Crime records are OFFICIAL-SENSITIVE: sign in with the account "
        "your registrar or engineer gave you."
    )
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    oidc, provider = oidc_provider()
    if oidc:
        _render_oidc(provider)
        return
    accounts = users()
    if not accounts.exists() or not accounts.accounts():
        st.warning(
            "No accounts exist yet, so nobody can sign in. An engineer creates them with "
            "`scrs users add USERNAME --role ROLE` (`make demo` creates demonstration accounts)."
        )
    form_column, _ = st.columns([2, 3])
    with form_column.form("sign_in", clear_on_submit=True, enter_to_submit=True):
        username = st.text_input("Username", key="login_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if not username or not password:
            st.error("Enter your username and password.")
            return
        viewer, message = sign_in_with_password(username, password)
        if viewer is None:
            st.error(message)
            return
        st.rerun()


def _render_oidc(provider: str | None) -> None:
    refused = st.session_state.get(OIDC_REFUSED_KEY)
    if refused and st.user.get("is_logged_in"):
        st.error(
            "Your identity is signed in with the identity provider but has no role in this dashboard. "
            "Ask a registrar or engineer to add it (`scrs users add NAME --role ROLE --identity YOUR-EMAIL`)."
        )
        if st.button("Sign out", key="oidc_sign_out"):
            st.session_state.pop(OIDC_REFUSED_KEY, None)
            st.logout()
        return
    st.write("Sign in with your force account.")
    if st.button("Sign in", type="primary", key="oidc_sign_in"):
        try:
            st.login(provider) if provider else st.login()
        except Exception as exc:  # Authlib missing, or the provider misconfigured  # noqa: BLE001
            st.error(f"Sign-in with the identity provider is not available: {exc}")
