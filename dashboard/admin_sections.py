"""The sections of the admin page: user accounts, vocabularies, reference colours.

The data layer decides who may do what (admins manage users; curators add terms and
reference colours); these forms only collect the values and show the outcome.
"""

from __future__ import annotations

import streamlit as st

import db
from dashboard.access import Viewer, acting_user
from dashboard.feedback import reported_errors
from dashboard.plain_text import literal
from dashboard.resources import forget_terms, get_catalog, term_names
from dashboard.swatches import swatch_strip

NONE = "(none)"
ROLES = [role.value for role in db.Role]
CHANGED_KEY = "admin-changed"  # what the last "Change a user" did, shown after its rerun


def _optional_year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def users_section(viewer: Viewer) -> None:
    catalog = get_catalog()
    with catalog.read_session() as session:
        users = [
            {"id": u.id, "user name": u.username, "name": u.display_name, "role": u.role.value, "active": u.active}
            for u in db.list_users(session=session)
        ]
    if users:
        st.dataframe(users, hide_index=True, key="admin-users")
    else:
        st.info(
            "No user accounts: the dashboard runs in single-user mode. Creating the first account (an admin) "
            "turns on sign-in for everyone and the four-eyes review rule."
        )
    with st.form("admin-add-user", clear_on_submit=True):
        st.markdown("**Add a user**")
        left, right = st.columns(2)
        username = left.text_input("User name")
        display_name = right.text_input("Full name")
        password = left.text_input("Password (at least 8 characters)", type="password")
        role = right.selectbox("Role", ROLES, index=ROLES.index("admin" if not users else "curator"))
        if st.form_submit_button("Add user", icon=":material/person_add:"):
            with reported_errors("Correct the form and add the user again."):
                with catalog.session() as session:
                    db.create_user(
                        session=session, actor=acting_user(session, viewer), username=username,
                        password=password, role=role, display_name=display_name,
                    )  # fmt: skip
                st.success(f"Added {literal(username)} ({role}).")
    if not users:
        return
    change_user_form(viewer, {user["id"]: user for user in users})
    unlock_sign_in_form(viewer)


def change_user_form(viewer: Viewer, by_id: dict[int, dict[str, object]]) -> None:
    """Role, account state and password of one user; the form starts from that user's current values."""
    catalog = get_catalog()
    st.markdown("**Change a user**")
    if changed := st.session_state.pop(CHANGED_KEY, None):
        st.success(changed)
    chosen = st.selectbox("User", list(by_id), format_func=lambda user_id: str(by_id[user_id]["user name"]))
    current = by_id[chosen]
    with st.form(f"admin-change-user-{chosen}"):  # a form per user: its fields start at that user's values
        left, middle, right = st.columns(3)
        new_role = left.selectbox("Role", ROLES, index=ROLES.index(str(current["role"])), key=f"admin-new-role-{chosen}")
        states = ["active", "deactivated"]
        active = middle.selectbox("Account", states, index=0 if current["active"] else 1, key=f"admin-active-{chosen}")
        new_password = right.text_input("New password (leave empty to keep)", type="password", key=f"admin-pw-{chosen}")
        if st.form_submit_button("Apply", icon=":material/manage_accounts:"):
            done = []
            with reported_errors("Nothing was changed; correct the form and apply again."):
                with catalog.session() as session:
                    actor = acting_user(session, viewer)
                    if new_role != current["role"]:
                        db.set_user_role(session=session, actor=actor, user_id=chosen, role=new_role)
                        done.append(f"role {current['role']} → {new_role}")
                    if (active == "active") != current["active"]:
                        db.set_user_active(session=session, actor=actor, user_id=chosen, active=active == "active")
                        done.append(f"account {active}")
                    if new_password:
                        db.set_user_password(session=session, actor=actor, user_id=chosen, password=new_password)
                        done.append("new password set")
                name = literal(current["user name"])
                st.session_state[CHANGED_KEY] = f"{name}: {', '.join(done)}." if done else f"{name}: nothing to change."
                st.rerun()


def unlock_sign_in_form(viewer: Viewer) -> None:
    """Accounts and clients held back by failed sign-ins, and lifting the wait or lock."""
    catalog = get_catalog()
    st.markdown("**Unlock sign-in**")
    with catalog.read_session() as session:
        locks = [
            {"kind": lock.kind, "account or client": lock.subject, "failures in a row": lock.failures,
             "locked until": lock.locked_until}
            for lock in db.list_sign_in_locks(session=session)
        ]  # fmt: skip
    if locks:
        st.dataframe(locks, hide_index=True, key="admin-locks")
    else:
        st.caption("No account or client has failed sign-ins in a row.")
    with st.form("admin-unlock", clear_on_submit=True):
        left, right = st.columns(2)
        username = left.text_input("Account (user name)", key="admin-unlock-user")
        client = right.text_input("Client (address), optional", key="admin-unlock-client")
        if st.form_submit_button("Unlock sign-in", icon=":material/lock_open:"):
            with reported_errors("Name the account or the client and unlock again."):
                with catalog.session() as session:
                    cleared = db.unlock_sign_in(
                        session=session, actor=acting_user(session, viewer),
                        username=username.strip() or None, client=client.strip() or None,
                    )  # fmt: skip
                what = " and ".join(literal(part) for part in (username.strip(), client.strip()) if part)
                st.success(f"Unlocked {what}: {cleared} counter(s) cleared." if cleared else f"{what} was not locked.")


def vocabulary_section(viewer: Viewer) -> None:
    era_column, event_column = st.columns(2)
    era_column.markdown("**Eras**\n\n" + ("\n".join(f"- {literal(name)}" for name in term_names("era")) or "none yet"))
    event_column.markdown(
        "**Events**\n\n" + ("\n".join(f"- {literal(name)}" for name in term_names("event")) or "none yet")
    )
    with st.form("admin-add-term", clear_on_submit=True):
        st.markdown("**Add a term**")
        left, middle, right = st.columns([1, 2, 2])
        kind = left.selectbox("Vocabulary", ["era", "event"])
        name = middle.text_input("Name")
        years = right.columns(2)
        year_from = years[0].text_input("Year from")
        year_to = years[1].text_input("Year to")
        description = st.text_input("Description")
        if st.form_submit_button("Add term", icon=":material/add:"):
            with reported_errors("Correct the form and add the term again."):
                catalog = get_catalog()
                with catalog.session() as session:
                    db.add_term(
                        session=session, actor=acting_user(session, viewer), kind=kind, name=name,
                        year_from=_optional_year(year_from), year_to=_optional_year(year_to), description=description,
                    )  # fmt: skip
                forget_terms()
                st.rerun()


def reference_colors_section(viewer: Viewer) -> None:
    catalog = get_catalog()
    with catalog.read_session() as session:
        colors = [
            {"name": c.name, "colour": c.hex, "era": c.era.name if c.era else "", "event": c.event.name if c.event else "",
             "place": c.place, "citation": c.citation, "description": c.description}
            for c in db.list_reference_colors(session=session)
        ]  # fmt: skip
    if colors:
        swatch_strip([(color["colour"], color["name"]) for color in colors])
        st.dataframe(colors, hide_index=True, key="admin-colors")
    else:
        st.info("No reference colours yet. Add documented colours so curators can paint with them in one click.")
    with st.form("admin-add-color", clear_on_submit=True):
        st.markdown("**Add a reference colour**")
        left, middle, right = st.columns([2, 1, 2])
        name = left.text_input("Name", placeholder="e.g. Royal Navy blue, 1940s")
        hex_color = middle.color_picker("Colour", "#1f2a44")
        citation = right.text_input("Citation (where it is documented)")
        description = st.text_input("Description")
        scope = st.columns(3)
        era = scope[0].selectbox("Era", [NONE, *term_names("era")], key="admin-color-era")
        event = scope[1].selectbox("Event", [NONE, *term_names("event")], key="admin-color-event")
        place = scope[2].text_input("Place")
        if st.form_submit_button("Add colour", icon=":material/add:"):
            with reported_errors("Correct the form and add the colour again."):
                with catalog.session() as session:
                    db.add_reference_color(
                        session=session, actor=acting_user(session, viewer), name=name, hex=hex_color,
                        description=description, citation=citation, era=None if era == NONE else era,
                        event=None if event == NONE else event, place=place,
                    )  # fmt: skip
                st.rerun()
