"""The width, in CSS pixels, of the Streamlit column an element is drawn in.

Streamlit lays columns out in the browser and never tells the script how wide they are, but
the drawable canvas takes a fixed pixel size: sized blindly, it is either cut off by a narrow
column (the right edge of a landscape scan could not be seen or painted at a 1400-px window) or
small in a wide one. This invisible component, made with Streamlit's own components API,
watches the column it sits in and reports its width whenever it changes by more than a few
pixels, so the workspace can size the canvas to it.

The width is kept in the session (a plain key, not the widget's), so a page opened again in the
same session starts at the right size. Before the browser has reported anything (the first run
of a session, and always in ``AppTest``) the width is ``None``.
"""

from __future__ import annotations

import streamlit as st

STATE_KEY = "column-width"  # the last width reported in this session, kept across pages
_STEP_PX = 8  # smaller changes are not reported: no reruns while a scrollbar comes and goes

_JS = f"""
export default function (component) {{
    const {{ parentElement, setStateValue }} = component;
    const host = parentElement.host || parentElement;
    let reported = null;
    let timer = null;
    const report = () => {{
        const width = Math.floor(host.getBoundingClientRect().width);
        if (width > 0 && (reported === null || Math.abs(width - reported) > {_STEP_PX})) {{
            reported = width;
            setStateValue("width", width);
        }}
    }};
    const observer = new ResizeObserver(() => {{
        clearTimeout(timer);
        timer = setTimeout(report, reported === null ? 0 : 250);
    }});
    observer.observe(host);
    return () => {{ observer.disconnect(); clearTimeout(timer); }};
}}
"""

_measure = st.components.v2.component("findcolor.column_width", js=_JS)


def column_width(key: str) -> int | None:
    """The width of the current column in CSS pixels, or ``None`` until the browser reports it."""
    result = _measure(key=key, default={"width": None}, on_width_change=lambda: None, width="stretch")
    width = result.get("width")
    if isinstance(width, (int, float)) and width > 0:
        st.session_state[STATE_KEY] = int(width)
    return st.session_state.get(STATE_KEY)
