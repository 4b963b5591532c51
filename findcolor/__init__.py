"""Find Color: faithful, hint-guided colorization of historical black-and-white photographs.

``colorize`` takes a gray scan and what a curator knows about its colours (points,
strokes, a palette) and returns a full-resolution colour image that keeps the scan's
lightness exactly. See README.md for the hint format.

The public names are imported on first use (PEP 562): ``colorize`` needs torch, which takes
seconds to load, and ``findcolor --help``, the catalog commands and hint validation must not
wait for it. ``import findcolor`` followed by ``findcolor.colorize(...)`` works as before.
"""

from __future__ import annotations

import importlib

from findcolor.errors import EngineError, FindColorError, HintError, ImageLoadError

__version__ = "0.1.0"

_LAZY = {
    "Hints": "findcolor.hints",
    "parse_hints": "findcolor.hints",
    "load_image": "findcolor.imageio",
    "available_engines": "findcolor.pipeline",
    "colorize": "findcolor.pipeline",
    "get_engine": "findcolor.pipeline",
    "suggest": "findcolor.suggestions",
}

__all__ = [
    "EngineError",
    "FindColorError",
    "HintError",
    "Hints",
    "ImageLoadError",
    "__version__",
    "available_engines",
    "colorize",
    "get_engine",
    "load_image",
    "parse_hints",
    "suggest",
]


def __getattr__(name: str) -> object:
    """A public name from its module, imported the first time it is asked for."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
