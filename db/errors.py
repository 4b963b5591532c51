"""Catalog failures a curator can act on, each described in one line.

They derive from :class:`findcolor.errors.FindColorError`, so the CLI and the dashboard
show the message as is (no traceback). Nothing in the catalog is altered when one is raised:
the surrounding transaction rolls back and stored files are never rewritten.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from findcolor.errors import FindColorError

Choice = TypeVar("Choice", bound=Enum)


class CatalogError(FindColorError):
    """Base class for catalog problems (bad input, missing record, conflicting change)."""


class DatabaseUnavailable(CatalogError):
    """The database cannot be reached or opened (server down, wrong URL, unreadable file)."""


class NotFound(CatalogError):
    """A photo, colorization, user or vocabulary term that does not exist was asked for."""


class InvalidInput(CatalogError):
    """A value given to the catalog is malformed (unknown era, bad colour, bad CSV column, ...)."""


class DuplicateRecord(CatalogError):
    """The record already exists (same photo content, same user name, same term)."""


class PermissionDenied(CatalogError):
    """The acting user's role does not allow this action, or the four-eyes rule forbids it."""


class AuthenticationFailed(CatalogError):
    """Unknown user name or wrong password (deliberately not saying which)."""


class SignInThrottled(AuthenticationFailed):
    """Too many failed sign-ins in a row for the account or the client: wait, or ask an admin to unlock."""


class RecordImmutable(CatalogError):
    """A reviewed colorization or an audit event cannot be changed; make a new candidate instead."""


class ConcurrentChange(CatalogError):
    """Someone else changed the same record at the same time; reload and try again."""


class StoreError(CatalogError):
    """The file store cannot be written or read (permission denied, disk full, missing file)."""


def parse_choice(choices: type[Choice], value: Choice | str, *, what: str) -> Choice:
    """``value`` as a member of ``choices``; an unknown value is an :class:`InvalidInput` listing the valid ones."""
    try:
        return choices(value)
    except ValueError:
        names = ", ".join(str(member.value) for member in choices)
        raise InvalidInput(f"unknown {what} {value!r} (choose one of: {names})") from None
