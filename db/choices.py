"""The catalog's fixed choices: roles, vocabulary kinds, workflow statuses.

Plain enums without any database import, so the command line can offer them as choices
(``findcolor --help``, ``user add --role``) without loading SQLAlchemy; :mod:`db.models`
stores them and re-exports them.
"""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    """The roles ladder; each role may do everything the roles before it may."""

    VIEWER = "viewer"  # browse and export
    CURATOR = "curator"  # import, describe, create colorization candidates, palette memory
    REVIEWER = "reviewer"  # approve or reject candidates
    ADMIN = "admin"  # manage users

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class TermKind(str, enum.Enum):
    """The controlled vocabularies."""

    ERA = "era"
    EVENT = "event"


class PhotoStatus(str, enum.Enum):
    """Where a photo stands in the workflow (kept up to date by the data layer)."""

    NEW = "new"  # no colorization yet
    IN_REVIEW = "in_review"  # at least one draft candidate waits for review
    APPROVED = "approved"  # has an approved colorization and nothing waiting
    REJECTED = "rejected"  # every candidate was rejected


class ColorizationStatus(str, enum.Enum):
    DRAFT = "draft"  # a candidate waiting for review
    APPROVED = "approved"  # the photo's published colorization (at most one per photo)
    REJECTED = "rejected"  # turned down by a reviewer
    SUPERSEDED = "superseded"  # was approved until a newer candidate was approved
