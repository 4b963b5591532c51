"""The parts of the photo workspace: tools, colour sources, canvas, preview, save, candidates.

Each panel is a function that draws itself and returns plain values; the page
(``views/workspace.py``) wires them together. Everything a panel changes lives in
``dashboard.workspace_state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

import db
import findcolor
from dashboard import workspace_state as state
from dashboard.access import Viewer, acting_user
from dashboard.canvas_hints import CanvasMapping, canvas_to_hints, hints_to_canvas
from dashboard.column_width import column_width
from dashboard.compare import split_view
from dashboard.feedback import reported_errors
from dashboard.photo_rows import CandidateRow, PhotoRow, candidate_row, photo_row
from dashboard.plain_text import literal
from dashboard.rendering import (
    PreviewResult,
    canvas_size,
    engine_provenance,
    render_full_resolution,
    render_preview,
    suggest_colors,
    suggestions_available,
)
from dashboard.resources import canvas_background, get_catalog, preview_copy, thumbnail_bytes, warm_engine
from dashboard.swatches import swatch_strip

TOOLS = {"Point": "point", "Stroke": "freedraw"}
ASK_TOOL = "Ask colours"  # a click asks the model what colours belong there; it paints nothing
SUGGESTION_ACTIONS = ["Paint that spot", "Use as brush"]
ENGINE_LABELS = {"auto": "Best installed", "neural": "Neural network", "classical": "Classical (no model)"}


@dataclass(frozen=True)
class PhotoContext:
    """What the workspace needs to know about the open photo, read in one transaction."""

    photo: PhotoRow
    candidates: list[CandidateRow]
    references: list[tuple[str, str, str]]  # (name, hex, citation) for the photo's era/event/place
    era_palette: list[tuple[str, float]]  # (hex, weight) from approved work of the same era/event

    @property
    def original_size(self) -> tuple[int, int]:
        return self.photo.width, self.photo.height


@dataclass(frozen=True)
class Tool:
    mode: str  # canvas drawing mode
    color: str
    size: int  # canvas pixels: the point radius and the stroke width
    asks: bool = False  # clicks ask for colour suggestions instead of painting


def load_context(photo_id: int) -> PhotoContext | None:
    with get_catalog().read_session() as session:
        photo = db.get_photo(session=session, photo_id=photo_id)
        if photo is None:
            return None
        era, event = photo.era_name, photo.event_name
        references = [  # the era/event filter is the data layer's; a place, if given, must match
            r
            for r in db.list_reference_colors(session=session, era=era, event=event)
            if not r.place or r.place.strip().lower() == photo.place.strip().lower()
        ]
        palette = db.combined_palette(session=session, era=era, event=event) if (era or event) else []
        return PhotoContext(
            photo=photo_row(photo),
            candidates=[candidate_row(c) for c in db.list_colorizations(session=session, photo_id=photo_id)],
            references=[(r.name, r.hex, r.citation) for r in references],
            era_palette=[(entry.hex, float(entry.weight)) for entry in palette],
        )


def display_image(context: PhotoContext) -> Image.Image:
    """The preview-size copy of the photo: what preview renders and colour suggestions work on."""
    return preview_copy(context.photo.sha256, context.original_size)


def canvas_mapping(context: PhotoContext) -> CanvasMapping:
    """Canvas pixels <-> scan pixels for the size the canvas objects are drawn at."""
    size = state.canvas_size(default=canvas_size(context.original_size, None))
    return CanvasMapping.for_canvas(canvas_size=size, original_size=context.original_size)


def tool_panel() -> Tool:
    tools = [*TOOLS, ASK_TOOL] if suggestions_available() else list(TOOLS)
    label = st.segmented_control("Tool", tools, default="Point", required=True, key="ws-tool")
    if label not in tools:  # the weights went away since the tool was chosen
        label = "Point"
    color = st.color_picker("Colour", key=state.COLOR)
    size = st.slider("Hint size (screen pixels)", 2, 30, 6, key="ws-size")
    left, right = st.columns(2)
    left.button("Remove last", on_click=state.remove_last, icon=":material/undo:", width="stretch")
    right.button("Clear", on_click=state.clear_local_hints, icon=":material/delete:", width="stretch")
    return Tool(mode=TOOLS.get(label, "point"), color=color, size=size, asks=label == ASK_TOOL)


def reference_panel(context: PhotoContext) -> None:
    """The archive's reference colours for this photo's era/event; one click paints with one."""
    st.markdown("**Reference colours**")
    if not context.references:
        st.caption("None recorded for this era/event yet (add them on the Admin page).")
        return
    swatch_strip([(hex_, name) for name, hex_, _ in context.references])
    by_name = {name: hex_ for name, hex_, _ in context.references}

    def picked() -> None:
        name = st.session_state.get("ws-reference")
        if name:
            state.use_color(by_name[name], reference=name)

    st.pills(
        "Paint with", list(by_name), format_func=literal, key="ws-reference", on_change=picked, label_visibility="collapsed"
    )


def global_panel(context: PhotoContext) -> None:
    """Palette and saturation: hints about the whole photo, not one place in it."""
    st.markdown("**Whole-photo hints**")
    palette = st.session_state.get(state.PALETTE, [])
    if context.era_palette:
        era_event = " / ".join(part for part in (context.photo.era, context.photo.event) if part)
        st.caption(f"Palette of approved colorizations from {literal(era_event)}:")
        swatch_strip([(hex_, f"{weight:.0%}") for hex_, weight in context.era_palette])
        st.button(
            "Use this palette",
            on_click=state.set_palette,
            args=([{"color": hex_, "weight": round(weight, 4)} for hex_, weight in context.era_palette],),
            icon=":material/colors:",
        )
    if palette:
        swatch_strip([(entry["color"], "in use") for entry in palette])
        st.button("Drop palette", on_click=state.set_palette, args=([],))
    enabled = st.toggle("Set saturation", key=state.SATURATION_ON)
    st.slider("Saturation (mean, 0 = gray)", 0.0, 1.0, step=0.05, key=state.SATURATION, disabled=not enabled)


def canvas_panel(tool: Tool, context: PhotoContext) -> dict[str, Any]:
    """The whole photo on a canvas as wide as its column; returns the current hints (original pixels, v1 dict)."""
    size = canvas_size(context.original_size, column_width(key="canvas-column-width"))
    state.fit_canvas(size, default=canvas_size(context.original_size, None))
    result = st_canvas(
        fill_color=tool.color,
        stroke_width=tool.size if tool.mode == "freedraw" else 0,
        stroke_color=tool.color,
        background_image=canvas_background(context.photo.sha256, size),
        height=size[1],
        width=size[0],
        drawing_mode=tool.mode,
        point_display_radius=tool.size,
        initial_drawing={"objects": st.session_state[state.OBJECTS]},
        key=state.canvas_key(),
    )
    objects = list((result.json_data or {}).get("objects", []))
    mapping = CanvasMapping.for_canvas(
        canvas_size=size, original_size=context.original_size, background_fit=result.background_fit
    )
    before = state.drawn_objects()
    if tool.asks and len(objects) == len(before) + 1 and objects[-1].get("type") == "Circle":
        (asked,) = canvas_to_hints(objects[-1:], mapping, image_size=context.original_size)["points"]
        state.ask_at(asked["x"], asked["y"], objects[:-1])  # the click asked; it is not a hint
        st.rerun()
    state.remember_drawn(objects)
    local = canvas_to_hints(
        objects, mapping, image_size=context.original_size, references=st.session_state.get(state.REFERENCES, {})
    )
    return {"version": 1, **local, **state.global_hints()}


def restore_draft(viewer: Viewer, context: PhotoContext) -> None:
    """Put the user's autosaved hints for this photo back on the canvas (after a reload, crash or closed tab)."""
    if not viewer.may(db.Role.CURATOR):
        return
    with get_catalog().read_session() as session:
        draft = db.get_hint_draft(session=session, actor=acting_user(session, viewer), photo_id=context.photo.id)
        if draft is None:
            return
        hints, saved_at = dict(draft.hints), draft.updated_at
    state.load_candidate(hints_to_canvas(hints, canvas_mapping(context), point_display_radius=6), hints)
    st.session_state[state.DRAFT] = None  # the canvas reports the restored hints first: not a change
    st.session_state[state.RESTORED] = f"{saved_at:%Y-%m-%d %H:%M} UTC"


def restored_draft_notice() -> None:
    """Say that the canvas shows the restored draft, until the hints change."""
    if saved_at := st.session_state.get(state.RESTORED):
        st.info(f"Your unsaved hints for this photo (autosaved {saved_at}) are back on the canvas.", icon=":material/restore:")


def _has_hints(hints: dict[str, Any]) -> bool:
    return bool(hints["points"] or hints["strokes"] or hints["palette"] or hints.get("saturation") is not None)


def autosave_draft(viewer: Viewer, hints: dict[str, Any], context: PhotoContext) -> None:
    """Keep the hints as the user's draft for this photo whenever they change (no hints: no draft)."""
    if not viewer.may(db.Role.CURATOR) or st.session_state.get(state.DRAFT) == hints:
        return
    if state.RESTORED in st.session_state and st.session_state.get(state.DRAFT) is None:
        st.session_state[state.DRAFT] = hints  # the restored draft as the canvas reports it
        return
    st.session_state.pop(state.RESTORED, None)
    with reported_errors("Your hints are still on the canvas; save a candidate to keep them."):
        with get_catalog().session() as session:
            actor = acting_user(session, viewer)
            if _has_hints(hints):
                db.save_hint_draft(session=session, actor=actor, photo_id=context.photo.id, hints=hints)
            else:
                db.delete_hint_draft(session=session, actor=actor, photo_id=context.photo.id)
        st.session_state[state.DRAFT] = hints


def engine_choice() -> str:
    engines = findcolor.available_engines()
    name = st.selectbox("Engine", engines, format_func=lambda name: ENGINE_LABELS.get(name, name), key="ws-engine")
    with reported_errors("Choose another engine."):
        warm_engine(name)
    return name


def suggest_panel(preview: Image.Image, hints: dict[str, Any], context: PhotoContext, tool: Tool) -> None:
    """The model's colours at a spot the curator clicked with the "Ask colours" tool (only when weights exist).

    A hint painted at that spot is left out of the question (``findcolor.suggest``), so the
    answer is the model's own view, not an echo of the hint. Every suggestion is listed with
    its probability; one click either paints the spot in it or makes it the brush colour.
    """
    if not suggestions_available():
        return
    st.markdown("**Suggest colours here**")
    asked = st.session_state.get(state.ASKED)
    if asked is None:
        st.caption(f"Choose the “{ASK_TOOL}” tool and click anywhere on the photo.")
        return
    x, y = asked
    answered = st.session_state.get(state.SUGGESTIONS)
    if answered is None or answered[0] != asked:
        with reported_errors("Ask at another spot, or paint the colour yourself."):
            with st.spinner("Asking the model…"):
                answered = (asked, suggest_colors(preview, hints, context.original_size, x, y))
            st.session_state[state.SUGGESTIONS] = answered
    if answered is None or answered[0] != asked:
        return
    suggestions = answered[1]
    st.caption(f"At scan pixel ({x:.0f}, {y:.0f}):" + ("" if tool.asks else f" choose “{ASK_TOOL}” to ask elsewhere."))
    swatch_strip([(hex_, f"{probability:.0%}") for hex_, probability in suggestions])
    action = st.segmented_control(
        "A click on a suggestion", SUGGESTION_ACTIONS, default=SUGGESTION_ACTIONS[0], required=True, key="ws-suggest-action"
    )
    mapping = canvas_mapping(context)
    for index, (hex_, probability) in enumerate(suggestions):
        if action == SUGGESTION_ACTIONS[0]:
            point = {"x": x, "y": y, "color": hex_}
            (new_object,) = hints_to_canvas({"points": [point]}, mapping, point_display_radius=tool.size)
            on_click, args = state.paint_point, (new_object, _point_at(hints, x, y))
        else:
            on_click, args = state.use_color, (hex_,)
        st.button(f"{hex_} · {probability:.0%}", key=f"ws-suggestion-{index}", on_click=on_click, args=args,
                  icon=":material/format_color_fill:", width="stretch")  # fmt: skip


def _point_at(hints: dict[str, Any], x: float, y: float) -> int | None:
    """The index among the canvas objects of the painted point covering (x, y), if any (the last one wins)."""
    objects = state.drawn_objects()
    circles = [index for index, obj in enumerate(objects) if obj.get("type") == "Circle"]
    for index, point in reversed(list(zip(circles, hints["points"]))):
        if (point["x"] - x) ** 2 + (point["y"] - y) ** 2 <= max(point.get("radius", 1), 1) ** 2:
            return index
    return None


def run_panel(preview: Image.Image, hints: dict[str, Any], context: PhotoContext, engine: str) -> None:
    """Run the preview render on request (or after every change) and show it."""
    auto = st.toggle("Re-run after every change", key="ws-auto")
    try:
        current = findcolor.parse_hints(hints, image_size=context.original_size).to_dict()
    except findcolor.FindColorError as error:
        st.error(f"{literal(error)}. Remove the last hint (or clear) and paint it again.")
        return

    def is_stale(result: PreviewResult | None) -> bool:
        return result is None or result.hints != current or result.engine != engine

    previous: PreviewResult | None = st.session_state.get(state.RESULT)
    if st.button("Run", type="primary", icon=":material/play_arrow:") or (auto and previous and is_stale(previous)):
        with reported_errors("Fix or remove the last hint and run again."):
            with st.spinner("Colorizing the preview…"):
                st.session_state[state.RESULT] = render_preview(preview, hints, context.original_size, engine)
    result: PreviewResult | None = st.session_state.get(state.RESULT)
    if result is None:
        st.caption("Paint a few hints, then press Run.")
        return
    st.caption(
        f"Preview {preview.width}×{preview.height} rendered in {result.seconds:.2f} s "
        f"({ENGINE_LABELS.get(result.engine, result.engine)})"
        + (" · the hints changed since: run again" if is_stale(result) else "")
    )
    before, after = st.columns(2)
    before.image(preview, caption="Original", width="stretch")
    after.image(result.image, caption="Colorized preview", width="stretch")
    split = st.slider("Compare (drag to move the divider)", 0.0, 1.0, 0.5, 0.01, key="ws-split")
    st.image(split_view(preview, result.image, split), caption="Before | after", width="stretch")


def save_panel(viewer: Viewer, hints: dict[str, Any], context: PhotoContext, engine: str) -> None:
    """Save a candidate: full-resolution render, hints as used, provenance (note required)."""
    saved = st.session_state.get(state.SAVED)
    if saved and saved[1] == hints:  # confirmed until the hints change
        st.success(saved[0])
    with st.form("ws-save", clear_on_submit=False):
        st.markdown("**Save candidate**")
        note = st.text_area(
            "Basis for these colours (required)",
            placeholder="e.g. uniform colours from the 1951 regimental dress regulations; sky from the site visit",
            key="ws-note",
        )
        submitted = st.form_submit_button("Save candidate", icon=":material/save:", disabled=not viewer.may(db.Role.CURATOR))
    if not submitted:
        return
    if not note.strip():
        st.error("Write the basis for these colours (sources, documents, site visit) before saving.")
        return
    with reported_errors("Fix the hints or the note and save again."):
        canonical = findcolor.parse_hints(hints, image_size=context.original_size).to_dict()
        catalog = get_catalog()
        with st.status("Saving the candidate…", expanded=True) as progress:
            st.write(f"Rendering {context.photo.width}×{context.photo.height} at full resolution…")
            output = render_full_resolution(catalog.store.read_bytes(context.photo.sha256), canonical, engine)
            provenance = engine_provenance(engine)
            st.write("Storing the output and its provenance…")
            with catalog.session() as session:
                created = db.create_colorization(
                    session=session,
                    store=catalog.store,
                    settings=catalog.settings,
                    actor=acting_user(session, viewer),
                    photo_id=context.photo.id,
                    hints=canonical,
                    engine=provenance.engine,
                    output_png=output,
                    model_name=provenance.model_name,
                    model_version=provenance.model_version,
                    weights_sha256=provenance.weights_sha256,
                    parameters={"engine_requested": engine},
                    provenance_note=note.strip(),
                )
                created_id = created.id
                db.delete_hint_draft(session=session, actor=acting_user(session, viewer), photo_id=context.photo.id)
            progress.update(label=f"Saved candidate #{created_id}", state="complete", expanded=False)
        st.session_state[state.SAVED] = (f"Saved candidate #{created_id}; it now waits for review.", hints)
        del st.session_state["ws-note"]  # the note belongs to the saved candidate: the next one starts empty
        st.rerun()  # list the new candidate


def candidates_panel(context: PhotoContext) -> None:
    """Every saved result of this photo; load one's hints back onto the canvas."""
    st.subheader(f"Candidates ({len(context.candidates)})")
    if not context.candidates:
        st.caption("No candidates saved yet.")
        return
    mapping = canvas_mapping(context)
    for candidate in reversed(context.candidates):
        with st.container(border=True):
            image_column, text_column = st.columns([1, 3])
            with reported_errors("The stored output may be missing; run `findcolor verify`."):
                image_column.image(thumbnail_bytes(candidate.output_sha256), width="stretch")
            text_column.markdown(
                f"**#{candidate.id}** · {candidate.status} · {literal(candidate.author)} · {candidate.created}"
            )
            text_column.caption(f"Engine: {literal(candidate.engine_label)}", help=literal(f"{candidate.engine} {candidate.model}"))
            text_column.markdown(f"Basis: {literal(candidate.provenance_note or '—')}")
            if candidate.review_note:
                text_column.markdown(f"Review ({literal(candidate.reviewer)}): {literal(candidate.review_note)}")
            text_column.button(
                "Load these hints",
                key=f"ws-load-{candidate.id}",
                on_click=state.load_candidate,
                args=(hints_to_canvas(candidate.hints, mapping, point_display_radius=6), candidate.hints),
                icon=":material/restore:",
            )
