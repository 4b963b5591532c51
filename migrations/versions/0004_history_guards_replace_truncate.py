"""Close the gaps in the history guards of revision 0001 that plain SQL could still use.

* SQLite ``REPLACE`` (``INSERT OR REPLACE``, ``UPDATE OR REPLACE``) deletes the conflicting
  row without firing delete triggers, so it could swap an approved colorization or an audit
  event for a forged copy. BEFORE INSERT / BEFORE UPDATE triggers now refuse any statement
  that would make SQLite resolve such a conflict by deleting a row.
* PostgreSQL ``TRUNCATE`` skips row triggers: BEFORE TRUNCATE statement triggers refuse it on
  ``audit_events``, ``colorizations`` and ``photos`` (also when reached through ``CASCADE``).
* A photo's content identity (id, sha256, size, dimensions, format, mode, bit depth) and every
  colorization's id can no longer be changed, on both backends: re-pointing a photo behind an
  approved colorization at other bytes was possible with one ``UPDATE``.

What the triggers cannot stop is DDL by whoever owns the schema (``DROP TRIGGER``); README
("Security and integrity") says how to run so that the application cannot do that either.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Messages also listed in db.engine.GUARD_MESSAGES (turned into RecordImmutable).
AUDIT_MESSAGE = "audit log is append-only"
UNDELETABLE_MESSAGE = "catalog records are never deleted"
REPLACE_MESSAGE = "catalog records are never replaced or renumbered"
IDENTITY_MESSAGE = "photo content identity (sha256, size, dimensions) is immutable"

# Set at import from the bytes themselves; never changed afterwards.
PHOTO_IDENTITY_COLUMNS = ("id", "sha256", "size_bytes", "width", "height", "format", "mode", "bit_depth")

SQLITE_TRIGGERS = {
    # An existing id means REPLACE would delete that row first.
    "audit_events_no_replace": (
        "BEFORE INSERT ON audit_events WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)",
        AUDIT_MESSAGE,
    ),
    "photos_no_replace": (
        "BEFORE INSERT ON photos WHEN EXISTS (SELECT 1 FROM photos WHERE id = NEW.id) "
        "OR EXISTS (SELECT 1 FROM photos WHERE sha256 = NEW.sha256)",
        REPLACE_MESSAGE,
    ),
    # The partial unique index (one approved per photo) is the colorizations' other conflict.
    "colorizations_no_replace": (
        "BEFORE INSERT ON colorizations WHEN EXISTS (SELECT 1 FROM colorizations WHERE id = NEW.id) "
        "OR (NEW.status = 'approved' AND EXISTS (SELECT 1 FROM colorizations "
        "WHERE photo_id = NEW.photo_id AND status = 'approved'))",
        REPLACE_MESSAGE,
    ),
    "colorizations_no_replace_on_update": (
        "BEFORE UPDATE ON colorizations WHEN NEW.id IS NOT OLD.id "
        "OR (NEW.status = 'approved' AND EXISTS (SELECT 1 FROM colorizations "
        "WHERE photo_id = NEW.photo_id AND status = 'approved' AND id <> OLD.id))",
        REPLACE_MESSAGE,
    ),
    "photos_identity_immutable": (
        "BEFORE UPDATE ON photos WHEN "
        + " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in PHOTO_IDENTITY_COLUMNS),
        IDENTITY_MESSAGE,
    ),
}

POSTGRES_FUNCTION = "findcolor_refuse"
_new_identity = ", ".join(f"NEW.{column}" for column in PHOTO_IDENTITY_COLUMNS)
_old_identity = ", ".join(f"OLD.{column}" for column in PHOTO_IDENTITY_COLUMNS)
POSTGRES_TRIGGERS = {
    # name: (table, timing and condition, message)
    "audit_events_no_truncate": ("audit_events", "BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT", AUDIT_MESSAGE),
    "colorizations_no_truncate": (
        "colorizations", "BEFORE TRUNCATE ON colorizations FOR EACH STATEMENT", UNDELETABLE_MESSAGE,
    ),
    "photos_no_truncate": ("photos", "BEFORE TRUNCATE ON photos FOR EACH STATEMENT", UNDELETABLE_MESSAGE),
    "photos_identity_immutable": (
        "photos",
        f"BEFORE UPDATE ON photos FOR EACH ROW WHEN (ROW({_new_identity}) IS DISTINCT FROM ROW({_old_identity}))",
        IDENTITY_MESSAGE,
    ),
    "colorizations_id_immutable": (
        "colorizations",
        "BEFORE UPDATE ON colorizations FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)",
        REPLACE_MESSAGE,
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, (when, message) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    op.execute(
        f"CREATE FUNCTION {POSTGRES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$"
    )
    for name, (_, when, message) in POSTGRES_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {POSTGRES_FUNCTION}('{message}')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, (table, _, _) in POSTGRES_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {POSTGRES_FUNCTION}()")
