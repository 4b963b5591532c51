"""How failures reach the curator: one ``st.error`` line saying what happened and what to do.

The library and the data layer raise :class:`findcolor.errors.FindColorError` subclasses
whose message names the problem in one line; pages wrap each action in
:func:`reported_errors` with the next step that makes sense there. Anything else is a bug:
it is logged with its traceback on the server and the page shows a short apology instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.plain_text import literal
from findcolor.errors import FindColorError

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on the server (details are in its log). Reload the page and try again."


def sentence(error: FindColorError, next_step: str) -> str:
    """``"nothing to export"`` + next step -> ``"Nothing to export. <next step>"`` (Markdown).

    The message may quote what a user typed (a name, a file name, a CSV column), so it is
    shown as plain text; ``next_step`` is the page's own Markdown.
    """
    message = str(error).strip().rstrip(".") or type(error).__name__
    return f"{literal(message[0].upper() + message[1:])}. {next_step}"


@contextmanager
def reported_errors(next_step: str) -> Iterator[None]:
    """Run the block; a FindColorError becomes ``st.error("<Message>. <next step>")``."""
    try:
        yield
    except FindColorError as error:
        st.error(sentence(error, next_step))


@contextmanager
def no_tracebacks() -> Iterator[None]:
    """Last line of defence around a whole page: log unexpected errors, show no traceback."""
    try:
        yield
    except FindColorError as error:
        st.error(sentence(error, "Check the input and try again."))
    except Exception:
        log.exception("unexpected error while rendering a dashboard page")
        st.error(UNEXPECTED)
