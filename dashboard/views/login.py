"""Sign in: shown instead of every other page once the catalog has user accounts."""

from __future__ import annotations

import streamlit as st

import db
from findcolor.errors import FindColorError
from dashboard.access import sign_in
from dashboard.plain_text import literal
from dashboard.resources import get_catalog


def show_login() -> None:
    with st.form("login"):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
    if not submitted:
        return
    try:
        sign_in(get_catalog(), username.strip(), password)
    except db.SignInThrottled as refused:  # the wait or the lock, as the data layer states it
        message = literal(refused)
        st.error(f"{message[:1].upper()}{message[1:]}.")
        return
    except db.AuthenticationFailed:
        st.error("Unknown user name or wrong password. Try again, or ask an administrator to reset your password.")
        return
    except FindColorError as error:
        st.error(f"{literal(error)}. Check the catalog settings and try again.")
        return
    st.rerun()


st.title("Find Color")
st.caption("This archive has user accounts: sign in to continue.")
show_login()
