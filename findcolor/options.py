"""Choices and defaults the command line offers, in a module that imports nothing.

``findcolor --help`` shows them; taking them from :mod:`findcolor.pipeline` (torch) or
:mod:`findcolor.imageio` (numpy, Pillow) would make every start-up pay for loading those.
"""

ENGINE_NAMES = ("auto", "neural", "classical")
DEFAULT_MAX_PIXELS = 200_000_000  # largest image accepted unless configured (FINDCOLOR_MAX_PIXELS)
