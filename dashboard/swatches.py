"""Colour chips: Streamlit has no coloured buttons, so colours are shown as a strip of
chips, with a plain control beside them to pick one."""

from __future__ import annotations

import html
import re

import streamlit as st

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def swatch_strip(colors: list[tuple[str, str]]) -> None:
    """Show ``(hex, label)`` pairs as labelled chips; invalid colours are skipped."""
    chips = [
        '<span style="display:inline-flex;align-items:center;margin:0 .8em .3em 0;font-size:.85em">'
        f'<span style="width:1.4em;height:1.4em;border-radius:.25em;border:1px solid #8886;'
        f'background:{color};margin-right:.35em"></span>{html.escape(label)}</span>'
        for color, label in colors
        if _HEX.match(color)
    ]
    if chips:
        st.html(f'<div class="findcolor-swatches">{"".join(chips)}</div>')
