"""The catalog schema: photos, their colorization candidates, vocabularies, palette memory,
users and the append-only audit log (SQLAlchemy 2 typed mappings).

The black-and-white scan is the record and is never altered: a :class:`Photo` row holds the
SHA-256 of the original bytes (also its fixity value and its key in the file store) and
descriptive Dublin-Core-style fields. Every :class:`Colorization` is a labelled derivative
with everything needed to say how it was made (hints exactly as used, engine, model and
weights hash, parameters, provenance note) and who made and reviewed it.

The schema is created only by Alembic (``migrations/``); never call ``create_all`` in app code.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.choices import ColorizationStatus, PhotoStatus, Role, TermKind

# Stable constraint names so that Alembic batch mode on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Portable JSON: JSON text on SQLite, binary JSONB on PostgreSQL.
JsonType = JSON().with_variant(postgresql.JSONB(), "postgresql")

SHA256_LENGTH = 64


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, values (not names) stored."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))  # argon2id; None for the local user
    is_local: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self) -> str:
        return f"User({self.username!r}, {self.role.value})"


class VocabularyTerm(Base):
    """An era or an event; curators can add terms, and none is ever deleted."""

    __tablename__ = "vocabulary_terms"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_vocabulary_terms_kind_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[TermKind] = mapped_column(_enum(TermKind, "term_kind"))
    name: Mapped[str] = mapped_column(String(200))
    year_from: Mapped[Optional[int]] = mapped_column(Integer)
    year_to: Mapped[Optional[int]] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None for seeded terms

    def __repr__(self) -> str:
        return f"VocabularyTerm({self.kind.value}, {self.name!r})"


class Photo(Base):
    """A black-and-white scan: the archival record. Its file is never rewritten."""

    __tablename__ = "photos"
    __table_args__ = (
        # The listing query: filter by era, event and status, sorted by date.
        Index("ix_photos_era_event_status_year", "era_id", "event_id", "status", "year_from", "id"),
        Index("ix_photos_status_year", "status", "year_from", "id"),
        Index("ix_photos_year", "year_from", "id"),
        Index("ix_photos_event_year", "event_id", "year_from", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(SHA256_LENGTH), unique=True)  # of the original bytes
    original_filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    bit_depth: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)

    # Dublin-Core-style description
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    date_text: Mapped[str] = mapped_column(String(200), default="")  # as written, e.g. "spring 1946?"
    year_from: Mapped[Optional[int]] = mapped_column(Integer)
    year_to: Mapped[Optional[int]] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(500), default="")  # collection / provenance of the scan
    rights: Mapped[str] = mapped_column(String(500), default="")
    identifier: Mapped[str] = mapped_column(String(200), default="", index=True)  # accession number
    era_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vocabulary_terms.id"))
    event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vocabulary_terms.id"))

    status: Mapped[PhotoStatus] = mapped_column(
        _enum(PhotoStatus, "photo_status"), default=PhotoStatus.NEW, server_default=PhotoStatus.NEW.value
    )
    # Lower-cased title, description, place, identifier, date, file name and tags: one column for text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    era: Mapped[Optional[VocabularyTerm]] = relationship(foreign_keys=[era_id], lazy="joined")
    event: Mapped[Optional[VocabularyTerm]] = relationship(foreign_keys=[event_id], lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    tag_rows: Mapped[list[PhotoTag]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", lazy="selectin", order_by="PhotoTag.tag"
    )
    colorizations: Mapped[list[Colorization]] = relationship(
        back_populates="photo", order_by="Colorization.id", foreign_keys="Colorization.photo_id"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def era_name(self) -> str | None:
        return self.era.name if self.era else None

    @property
    def event_name(self) -> str | None:
        return self.event.name if self.event else None

    def __repr__(self) -> str:
        return f"Photo(#{self.id}, {self.original_filename!r})"


class PhotoTag(Base):
    """A free tag on a photo."""

    __tablename__ = "photo_tags"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)

    photo: Mapped[Photo] = relationship(back_populates="tag_rows")


class Colorization(Base):
    """A colorization candidate of a photo, with everything needed to reproduce and disclose it."""

    __tablename__ = "colorizations"
    __table_args__ = (
        Index("ix_colorizations_photo_status", "photo_id", "status"),
        # At most one approved colorization per photo, guaranteed by the database itself.
        Index(
            "uq_colorizations_one_approved_per_photo",
            "photo_id",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
        Index("ix_colorizations_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    status: Mapped[ColorizationStatus] = mapped_column(
        _enum(ColorizationStatus, "colorization_status"),
        default=ColorizationStatus.DRAFT,
        server_default=ColorizationStatus.DRAFT.value,
    )
    hints: Mapped[dict[str, Any]] = mapped_column(JsonType)  # hint format v1, exactly as used
    engine: Mapped[str] = mapped_column(String(32))
    model_name: Mapped[str] = mapped_column(String(200), default="")
    model_version: Mapped[str] = mapped_column(String(100), default="")
    weights_sha256: Mapped[Optional[str]] = mapped_column(String(SHA256_LENGTH))
    parameters: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    software_version: Mapped[str] = mapped_column(String(50), default="")  # findcolor.__version__
    output_sha256: Mapped[str] = mapped_column(String(SHA256_LENGTH))
    output_width: Mapped[int] = mapped_column(Integer)
    output_height: Mapped[int] = mapped_column(Integer)
    # Small colour summary of the output (ab histogram and dominant colours) for era palettes.
    palette: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    provenance_note: Mapped[str] = mapped_column(Text, default="")  # sources, site visits, documents
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    superseded_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    superseded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("colorizations.id"))

    photo: Mapped[Photo] = relationship(back_populates="colorizations", foreign_keys=[photo_id], lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    reviewed_by: Mapped[Optional[User]] = relationship(foreign_keys=[reviewed_by_id], lazy="joined")

    def __repr__(self) -> str:
        return f"Colorization(#{self.id} of photo #{self.photo_id}, {self.status.value})"


class ReferenceColor(Base):
    """Palette memory: a documented colour curators reuse as a hint (hints cite it by name)."""

    __tablename__ = "reference_colors"
    __table_args__ = (CheckConstraint("length(hex) = 7", name="hex_length"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    hex: Mapped[str] = mapped_column(String(7))  # "#rrggbb", lower case
    description: Mapped[str] = mapped_column(Text, default="")
    citation: Mapped[str] = mapped_column(Text, default="")  # where the colour is documented
    era_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vocabulary_terms.id"))
    event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vocabulary_terms.id"))
    place: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    era: Mapped[Optional[VocabularyTerm]] = relationship(foreign_keys=[era_id], lazy="joined")
    event: Mapped[Optional[VocabularyTerm]] = relationship(foreign_keys=[event_id], lazy="joined")

    def __repr__(self) -> str:
        return f"ReferenceColor({self.name!r}, {self.hex})"


class AuditEvent(Base):
    """Who did what, when, to which record. Append-only (database triggers refuse changes)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(100))  # kept as written, even if the user changes
    action: Mapped[str] = mapped_column(String(64))  # e.g. "photo.import", "colorization.approve"
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[Optional[int]] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    def __repr__(self) -> str:
        return f"AuditEvent(#{self.id} {self.action} {self.entity_type}#{self.entity_id} by {self.username})"


class LoginThrottle(Base):
    """Failed sign-ins in a row for one account or one client, and the temporary lock they caused.

    Kept in the database so that every dashboard process and the CLI see the same counts.
    """

    __tablename__ = "login_throttle"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "account" or "client"
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)  # lower-cased user name, or client id
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # in a row
    last_failure_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"LoginThrottle({self.kind} {self.subject!r}: {self.failures} failures)"


class LoginSession(Base):
    """A dashboard sign-in that survives reloads and new tabs, until it expires or is ended.

    The browser holds a random token (a cookie); only its SHA-256 is stored, so the table
    cannot be used to sign in. Signing out ends every session of the user (``ended_at``).
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(SHA256_LENGTH), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"LoginSession(#{self.id} user #{self.user_id} until {self.expires_at:%Y-%m-%d %H:%M})"


class HintDraft(Base):
    """The hints a user last had on the canvas for a photo, saved as they paint (one per user and photo).

    Not a record of the archive: a draft is replaced on every change and removed once a
    candidate is saved from it, so it is not audited.
    """

    __tablename__ = "hint_drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    hints: Mapped[dict[str, Any]] = mapped_column(JsonType)  # hint format v1, original pixels
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def __repr__(self) -> str:
        return f"HintDraft(user #{self.user_id}, photo #{self.photo_id})"
