"""Who is using the dashboard, and what they may see.

With no user accounts the catalog runs in local single-user mode: everyone at this
dashboard is the local curator with every role, so that mode is only ever served on a
loopback address (``server.address`` 127.0.0.1, ::1 or localhost; Streamlit binds every
interface when the address is unset). On any other address a catalog without accounts
serves nothing but how to create the first admin with the CLI. Once accounts exist,
every page requires a login; the session remembers only the user's id, and every write
re-reads the user inside its own transaction, because the data layer (not the page)
checks the role — a viewer cannot reach a write action by crafting a request.

A sign-in survives reloads, typed addresses and new tabs: it is a server-side record
(``db.start_login_session``) whose random token the browser keeps in a cookie for
``FINDCOLOR_SESSION_HOURS``. Streamlit reads cookies (``st.context.cookies``) but cannot
write them, so the cookie is written by the ``extra-streamlit-components`` cookie manager.
Every run re-checks the token, so signing out (which ends every session of the user),
an expiry or a deactivated account ends the sign-in in every tab at its next run.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import streamlit as st
from sqlalchemy.orm import Session

import db

SESSION_USER_KEY = "user_id"
SESSION_TOKEN_KEY = "_session_token"  # the sign-in's token, as also kept in the browser's cookie
COOKIE_WRITE_KEY = "_session_cookie"  # (token, expires_at) the browser's cookie should hold; "" to clear it
SESSION_COOKIE = "findcolor_session"
VIEWER_KEY = "_viewer"  # the Viewer snapshot app.py stores for the page it runs


@dataclass(frozen=True)
class Viewer:
    """A plain snapshot of the signed-in user, safe to keep after the transaction ends."""

    id: int
    username: str
    display_name: str
    role: db.Role
    is_local: bool

    def may(self, role: db.Role) -> bool:
        """Whether the user's role reaches ``role`` (roles ladder: viewer < curator < ...)."""
        return self.role.rank >= role.rank

    @property
    def label(self) -> str:
        name = self.display_name or self.username
        return "local curator (single-user mode)" if self.is_local else f"{name} ({self.role.value})"


def _snapshot(user: db.User) -> Viewer:
    return Viewer(
        id=user.id,
        username=user.username,
        display_name=user.display_name or "",
        role=user.role,
        is_local=bool(user.is_local),
    )


def is_loopback_address(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable only from this machine; unset means every interface."""
    host = (address or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # unset, "0.0.0.0"-like names, or a host name that may resolve anywhere
        return False


def serves_loopback_only() -> bool:
    """Whether this dashboard's Streamlit server listens on a loopback address only."""
    return is_loopback_address(st.get_option("server.address"))


def local_mode_refused(catalog: db.Catalog) -> bool:
    """No accounts yet, and the dashboard is reachable from other machines: local mode must not be served."""
    with catalog.read_session() as session:
        return db.is_local_mode(session=session) and not serves_loopback_only()


def browser_session_token() -> str | None:
    """The sign-in token the browser sent with this page's request (the cookie), if any."""
    token = st.context.cookies.get(SESSION_COOKIE)
    return token if isinstance(token, str) and token else None


def current_viewer(catalog: db.Catalog) -> Viewer | None:
    """The local user in single-user mode, the signed-in user, or None (login needed).

    Also None in single-user mode off loopback (see :func:`local_mode_refused`): nobody is
    the local curator there. A signed-in user is found by the token of this tab's sign-in
    or, after a reload or in a new tab, the one in the browser's cookie; it must still be
    valid (not expired, not ended by a sign-out anywhere, account active).
    """
    with catalog.read_session() as session:
        local_mode = db.is_local_mode(session=session)
        if local_mode and not serves_loopback_only():
            return None
        if not local_mode:
            token = st.session_state.get(SESSION_TOKEN_KEY) or browser_session_token()
            user = None if token is None else db.resolve_login_session(session=session, token=token)
            if user is None:
                st.session_state.pop(SESSION_USER_KEY, None)
                st.session_state.pop(SESSION_TOKEN_KEY, None)
                return None
            st.session_state[SESSION_USER_KEY] = user.id
            st.session_state[SESSION_TOKEN_KEY] = token
            return _snapshot(user)
    with catalog.session() as session:  # the local user is created on first use
        return _snapshot(db.get_local_user(session=session))


def page_viewer() -> Viewer:
    """The user app.py resolved for this run (pages are only reachable once there is one)."""
    viewer = st.session_state.get(VIEWER_KEY)
    if viewer is None:
        st.stop()
    return viewer


def acting_user(session: Session, viewer: Viewer) -> db.User:
    """The viewer's user row inside ``session``, for data-layer calls that take an actor."""
    if viewer.is_local:
        return db.get_local_user(session=session)
    user = db.get_user(session=session, user_id=viewer.id)
    if user is None or not user.active:
        raise db.AuthenticationFailed("your account is no longer active; sign in again")
    return user


def sign_in(catalog: db.Catalog, username: str, password: str) -> Viewer:
    """Check the password (the data layer hashes, compares and throttles) and start a sign-in.

    Failed sign-ins are throttled per account and per client: the browser's address when
    Streamlit knows it (None on localhost, where only the per-account count applies). The
    sign-in lasts ``session_hours`` (settings); its token goes to the browser's cookie.
    """
    address = st.context.ip_address
    client = address if isinstance(address, str) else None
    lifetime = timedelta(hours=catalog.settings.session_hours)
    with catalog.session() as session:
        user = db.authenticate(session=session, username=username, password=password, client=client)
        token = db.start_login_session(session=session, user=user, lifetime=lifetime)
        viewer = _snapshot(user)
    st.session_state[SESSION_USER_KEY] = viewer.id
    st.session_state[SESSION_TOKEN_KEY] = token
    st.session_state[COOKIE_WRITE_KEY] = (token, datetime.now(timezone.utc) + lifetime)
    return viewer


def sign_out(catalog: db.Catalog | None = None) -> None:
    """End the sign-in everywhere (every tab and browser of this user) and forget this session's state."""
    token = st.session_state.get(SESSION_TOKEN_KEY)
    if catalog is not None and token:
        with catalog.session() as session:
            user = db.resolve_login_session(session=session, token=token)
            if user is not None:
                db.end_login_sessions(session=session, user=user)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[COOKIE_WRITE_KEY] = ("", datetime(2000, 1, 1, tzinfo=timezone.utc))  # the browser drops it


def write_session_cookie() -> None:
    """Keep the browser's cookie in step with this session's sign-in (an invisible component).

    Drawn on every run while there is something to write, with the same arguments, so the
    browser writes the cookie once; only the component can write cookies from Python.
    """
    pending = st.session_state.get(COOKIE_WRITE_KEY)
    if pending is None:
        return
    token, expires_at = pending
    import extra_streamlit_components as stx  # the only page element that needs it

    manager = stx.CookieManager(key="findcolor-cookies")  # zero-height frames, hidden by the component's CSS
    manager.set(SESSION_COOKIE, token, key="findcolor-cookie-set", expires_at=expires_at, same_site="strict")
