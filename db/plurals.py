"""Counted nouns in messages: "1 file", "2 files", "1 duplicate".

Command-line output is read by people and grepped by scripts; "checked 1 files" is neither
English nor what a script expects after reading "checked 1 image".
"""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun in the form that count takes (``plural`` defaults to singular + "s")."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
