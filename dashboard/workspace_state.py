"""The workspace's per-photo state in ``st.session_state``, and the callbacks that change it.

The canvas owns what is drawn on it; Python keeps the objects the canvas should start from
(``objects``) and a revision number that is part of the canvas key. Removing the last
hint, clearing, or loading a candidate's hints sets new starting objects and bumps the
revision, which mounts a fresh canvas showing exactly those objects.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.canvas_hints import scale_canvas_objects

PREFIX = "ws-"
PHOTO = PREFIX + "photo"
OBJECTS = PREFIX + "objects"  # objects the current canvas was mounted with
LATEST = PREFIX + "latest"  # objects the canvas last reported
REVISION = PREFIX + "revision"
CANVAS_SIZE = PREFIX + "canvas-size"  # (w, h) in CSS px the objects are drawn for; follows the column's width
COLOR = PREFIX + "color"
REFERENCES = PREFIX + "references"  # colour hex -> reference colour name it was picked from
PALETTE = PREFIX + "palette"  # global palette hints [{color, weight}]
SATURATION_ON = PREFIX + "saturation-on"  # toggle: is a saturation hint given?
SATURATION = PREFIX + "saturation"  # slider: the wanted mean saturation, 0..1
RESULT = PREFIX + "result"  # the last preview render (PreviewResult)
SUGGESTIONS = PREFIX + "suggestions"  # ((x, y), [(hex, probability)]): the model's colours at the asked spot
ASKED = PREFIX + "asked"  # (x, y) in scan pixels where the curator last asked for suggestions
SAVED = PREFIX + "saved"  # (confirmation, hints) of the last save, shown while the hints are unchanged
DRAFT = PREFIX + "draft"  # the hints last autosaved as the user's draft (or restored from it)
RESTORED = PREFIX + "restored"  # when the restored draft was saved, shown until the hints change
DEFAULT_COLOR = "#a03020"
DEFAULT_SATURATION = 0.35


def start_photo(photo_id: int) -> bool:
    """Reset the workspace when another photo is opened (hints belong to one photo); whether it did."""
    if st.session_state.get(PHOTO) == photo_id:
        return False
    for key in [key for key in st.session_state if isinstance(key, str) and key.startswith(PREFIX)]:
        del st.session_state[key]
    st.session_state[PHOTO] = photo_id
    st.session_state[OBJECTS] = []
    st.session_state[LATEST] = []
    st.session_state[REVISION] = 0
    st.session_state[COLOR] = DEFAULT_COLOR
    st.session_state[REFERENCES] = {}
    st.session_state[PALETTE] = []
    st.session_state[SATURATION_ON] = False
    st.session_state[SATURATION] = DEFAULT_SATURATION
    return True


def canvas_key() -> str:
    return f"{PREFIX}canvas-{st.session_state[PHOTO]}-{st.session_state[REVISION]}"


def canvas_size(default: tuple[int, int]) -> tuple[int, int]:
    """The size the canvas objects are drawn for (``default`` before the canvas was first sized)."""
    return tuple(st.session_state.get(CANVAS_SIZE, default))  # type: ignore[return-value]


def fit_canvas(size: tuple[int, int], default: tuple[int, int]) -> None:
    """Size the canvas to ``size``; objects drawn for another size are scaled onto it and the canvas remounted.

    So a curator who widens the window, or opens the sidebar, keeps every hint on the same scan pixels.
    """
    before = canvas_size(default)
    st.session_state[CANVAS_SIZE] = size
    if before != size:
        _remount(scale_canvas_objects(drawn_objects(), size[0] / before[0], size[1] / before[1]))


def remember_drawn(objects: list[dict[str, Any]]) -> None:
    st.session_state[LATEST] = list(objects)


def drawn_objects() -> list[dict[str, Any]]:
    return list(st.session_state.get(LATEST, []))


def _remount(objects: list[dict[str, Any]]) -> None:
    st.session_state[OBJECTS] = objects
    st.session_state[LATEST] = list(objects)
    st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1


def remove_last() -> None:
    _remount(drawn_objects()[:-1])


def clear_local_hints() -> None:
    _remount([])


def load_candidate(objects: list[dict[str, Any]], hints: dict[str, Any]) -> None:
    """Continue from a saved candidate: its local hints on the canvas, its global hints set."""
    _remount(objects)
    st.session_state[PALETTE] = list(hints.get("palette", []))
    st.session_state[SATURATION_ON] = hints.get("saturation") is not None
    st.session_state[SATURATION] = float(hints.get("saturation") or DEFAULT_SATURATION)
    st.session_state[REFERENCES] = {
        item["color"]: item["reference"]
        for item in [*hints.get("points", []), *hints.get("strokes", [])]
        if item.get("reference") is not None
    }


def ask_at(x: float, y: float, objects: list[dict[str, Any]]) -> None:
    """Remember where suggestions were asked for; the click that asked is not a hint (remount without it)."""
    st.session_state[ASKED] = (x, y)
    st.session_state.pop(SUGGESTIONS, None)
    _remount(objects)


def paint_point(point_object: dict[str, Any], replaces: int | None) -> None:
    """Put a point on the canvas (a suggestion applied where it was asked), or recolour the one it replaces."""
    objects = drawn_objects()
    if replaces is None:
        objects.append(point_object)
    else:
        objects[replaces] = {**objects[replaces], "fill": point_object["fill"], "stroke": point_object["stroke"]}
    _remount(objects)


def use_color(color: str, reference: str | None = None) -> None:
    """Make ``color`` the painting colour; remember the reference colour it came from."""
    st.session_state[COLOR] = color
    if reference is not None:
        st.session_state[REFERENCES] = {**st.session_state.get(REFERENCES, {}), color: reference}


def set_palette(palette: list[dict[str, Any]]) -> None:
    st.session_state[PALETTE] = palette


def global_hints() -> dict[str, Any]:
    """The palette and saturation parts of the hints, as the panels have set them."""
    hints: dict[str, Any] = {"palette": list(st.session_state.get(PALETTE, []))}
    if st.session_state.get(SATURATION_ON):
        hints["saturation"] = float(st.session_state[SATURATION])
    return hints
