"""Text that people typed is shown as text: never as Markdown, links, images or HTML.

Titles, descriptions, places, notes, names, file names and CSV headers come from users
(or from files they import). Streamlit renders Markdown in ``st.markdown``, captions,
headers, alert boxes and pill labels, so a title such as ``![x](http://host/x.png)`` would
make every reviewer's browser fetch an outside address, and ``[link](http://...)`` would
show a link. Pages therefore put user text into those elements only through
:func:`literal`, which backslash-escapes every ASCII punctuation character: in CommonMark an
escaped character is always shown as itself and never starts a link, image, emphasis,
heading, list, HTML tag, autolink, math or directive. Dataframes and selectbox options
are plain text already.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def literal(text: object) -> str:
    """Markdown source that displays exactly ``text``."""
    return _PUNCTUATION.sub(r"\\\1", str(text))

