"""Find Color curator dashboard: ``streamlit run dashboard/app.py``.

Builds the navigation for the signed-in user's role and runs the chosen page. Pages live
in ``dashboard/views/`` (one file each) and only call the ``db`` data layer and
``findcolor``. Opening the catalog upgrades its schema, so a fresh machine needs nothing
else: the data folder (``./data`` unless ``FINDCOLOR_DATA_DIR`` says otherwise) is
created on first start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

import db
from dashboard.access import VIEWER_KEY, Viewer, current_viewer, local_mode_refused, sign_out, write_session_cookie
from dashboard.feedback import no_tracebacks
from dashboard.plain_text import literal
from dashboard.resources import get_catalog
from findcolor.errors import FindColorError

VIEWS = "views"
RUN_COUNTER_KEY = "_run_counter"
HOME = "catalog"  # the url_path of the page served at the root address (every role may open it)


@dataclass(frozen=True)
class PageSpec:
    file: str  # under dashboard/views/
    title: str
    icon: str
    url_path: str
    role: db.Role  # the least role that sees the page


PAGES = [
    PageSpec("catalog.py", "Catalog", ":material/photo_library:", "catalog", db.Role.VIEWER),
    PageSpec("import_photos.py", "Import", ":material/upload:", "import", db.Role.CURATOR),
    PageSpec("workspace.py", "Workspace", ":material/palette:", "workspace", db.Role.CURATOR),
    PageSpec("review.py", "Review", ":material/fact_check:", "review", db.Role.REVIEWER),
    PageSpec("batch.py", "Batch runs", ":material/dynamic_feed:", "batch", db.Role.CURATOR),
    PageSpec("export.py", "Export", ":material/archive:", "export", db.Role.VIEWER),
    PageSpec("admin.py", "Admin", ":material/settings:", "admin", db.Role.CURATOR),
]


def _go_to(page: st.Page) -> Callable[[], None]:
    """A page that only opens ``page`` (the default page answers at the root address, not at its own)."""

    def open_page() -> None:
        st.switch_page(page)

    return open_page


def pages_for(viewer: Viewer | None) -> list[st.Page]:
    """The pages this user may open; the data layer still checks every write.

    Every other page address is taken by a hidden stand-in (the sign-in form, or a page
    saying which role is needed), so a link or a typed address never opens the page itself
    and never ends in a "page not found" dialog; after signing in, the same address opens
    the real page.
    """
    if viewer is None:
        login = f"{VIEWS}/login.py"
        stand_ins = [st.Page(login, title="Sign in", url_path=spec.url_path, visibility="hidden") for spec in PAGES]
        return [st.Page(login, title="Sign in", icon=":material/login:", default=True), *stand_ins]
    pages = []
    for spec in PAGES:
        if spec.url_path == HOME:  # served at the root address; its own address is taken by an alias
            home = st.Page(f"{VIEWS}/{spec.file}", title=spec.title, icon=spec.icon, url_path="home", default=True)
            pages += [home, st.Page(_go_to(home), title=spec.title, url_path=spec.url_path, visibility="hidden")]
        elif viewer.may(spec.role):
            pages.append(st.Page(f"{VIEWS}/{spec.file}", title=spec.title, icon=spec.icon, url_path=spec.url_path))
        else:
            pages.append(
                st.Page(f"{VIEWS}/not_allowed.py", title=spec.title, url_path=spec.url_path, visibility="hidden")
            )
    return pages


def sidebar(viewer: Viewer | None) -> None:
    if viewer is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{literal(viewer.label)}**")
        if not viewer.is_local and st.button("Sign out", icon=":material/logout:"):
            sign_out(get_catalog())
            st.rerun()


def mark_run_complete() -> None:
    """An invisible marker numbered per run: browser tests wait for it to know a run ended."""
    count = st.session_state.get(RUN_COUNTER_KEY, 0) + 1
    st.session_state[RUN_COUNTER_KEY] = count
    st.html(f'<span class="findcolor-run" data-run="{count}"></span>')


def first_admin_pages() -> list[st.Page]:
    """Only the instructions, at every page address: no page of the catalog is registered at all."""
    stand_ins = [
        st.Page(first_admin_needed, title="Find Color", url_path=spec.url_path, visibility="hidden") for spec in PAGES
    ]
    return [st.Page(first_admin_needed, title="Find Color", url_path="setup", default=True), *stand_ins]


def first_admin_needed() -> None:
    """All a visitor sees while the catalog has no accounts and the dashboard is reachable from the network."""
    st.title("Find Color")
    st.warning(
        "This catalog has no user accounts yet, and this dashboard can be reached from other computers, "
        "so nothing is shown: without accounts every visitor would act as the administrator."
    )
    st.markdown("On the server, create the first administrator with the command line, then reload this page:")
    st.code("findcolor user add NAME --role admin", language="bash")
    st.caption(
        "Use the same FINDCOLOR_DATA_DIR / FINDCOLOR_DATABASE_URL as the dashboard. Single-user mode without "
        "accounts is only available on this computer's own address (scripts/dashboard.sh serves 127.0.0.1)."
    )


def main() -> None:
    st.set_page_config(page_title="Find Color", page_icon=":material/palette:", layout="wide")
    with no_tracebacks():
        try:
            catalog = get_catalog()
            refused = local_mode_refused(catalog)
            viewer = None if refused else current_viewer(catalog)
        except FindColorError as error:
            st.error(
                f"The catalog cannot be opened: {error}. "
                "Check FINDCOLOR_DATA_DIR / FINDCOLOR_DATABASE_URL and restart the dashboard."
            )
        else:
            if refused:
                st.session_state.pop(VIEWER_KEY, None)
            else:
                st.session_state[VIEWER_KEY] = viewer
            navigation = st.navigation(first_admin_pages() if refused else pages_for(viewer))
            sidebar(viewer)
            write_session_cookie()
            navigation.run()
    mark_run_complete()


main()
