"""Errors a user can act on.

Every failure caused by input (an unreadable scan, a malformed hints file, a missing
model) is raised as a :class:`FindColorError` whose message is one line naming the
problem, so the CLI and the dashboard can show it as is, without a traceback.
"""

from __future__ import annotations


class FindColorError(Exception):
    """Base class: a problem with the user's input or set-up, described in one line."""


class ImageLoadError(FindColorError):
    """The file is not an image we can read (missing, empty, truncated, unsupported, too large)."""


class HintError(FindColorError):
    """The hints are malformed; the message names the offending field, e.g. ``points[2].color``."""


class EngineError(FindColorError):
    """The requested colorization engine cannot run (e.g. no model weights are installed)."""


class InsufficientMemoryError(FindColorError):
    """The image is within the pixel limit but does not fit in the memory this machine has free."""
