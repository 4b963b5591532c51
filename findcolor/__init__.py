"""Find Color: faithful, hint-guided colorization of historical black-and-white photographs.

``colorize`` takes a gray scan and what a curator knows about its colours (points,
strokes, a palette) and returns a full-resolution colour image that keeps the scan's
lightness exactly. See README.md for the hint format.
"""

from findcolor.errors import EngineError, FindColorError, HintError, ImageLoadError
from findcolor.hints import Hints, parse_hints
from findcolor.imageio import load_image
from findcolor.pipeline import available_engines, colorize, get_engine
from findcolor.suggestions import suggest

__version__ = "0.1.0"

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
