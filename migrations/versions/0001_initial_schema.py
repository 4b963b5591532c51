"""Initial catalog schema: users, vocabularies, photos and tags, colorizations, reference colours,
audit log; plus the database-level guards (append-only audit log, immutable reviewed
colorizations, no deletion of photos or colorizations) and, on PostgreSQL, a trigram index
for text search.

Note for later revisions: SQLite batch operations recreate a table and drop its triggers;
re-create them with :func:`create_guards` after any batch change of these tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('viewer', 'curator', 'reviewer', 'admin', name='role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_local', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('vocabulary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('era', 'event', name='term_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('year_from', sa.Integer(), nullable=True),
    sa.Column('year_to', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_vocabulary_terms_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_terms')),
    sa.UniqueConstraint('kind', 'name', name='uq_vocabulary_terms_kind_name')
    )
    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_filename', sa.String(length=500), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('bit_depth', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('date_text', sa.String(length=200), nullable=False),
    sa.Column('year_from', sa.Integer(), nullable=True),
    sa.Column('year_to', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('rights', sa.String(length=500), nullable=False),
    sa.Column('identifier', sa.String(length=200), nullable=False),
    sa.Column('era_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('new', 'in_review', 'approved', 'rejected', name='photo_status', native_enum=False, create_constraint=True, length=16), server_default='new', nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_photos_created_by_id_users')),
    sa.ForeignKeyConstraint(['era_id'], ['vocabulary_terms.id'], name=op.f('fk_photos_era_id_vocabulary_terms')),
    sa.ForeignKeyConstraint(['event_id'], ['vocabulary_terms.id'], name=op.f('fk_photos_event_id_vocabulary_terms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos')),
    sa.UniqueConstraint('sha256', name=op.f('uq_photos_sha256'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index('ix_photos_era_event_status_year', ['era_id', 'event_id', 'status', 'year_from', 'id'], unique=False)
        batch_op.create_index('ix_photos_event_year', ['event_id', 'year_from', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_identifier'), ['identifier'], unique=False)
        batch_op.create_index('ix_photos_status_year', ['status', 'year_from', 'id'], unique=False)
        batch_op.create_index('ix_photos_year', ['year_from', 'id'], unique=False)

    op.create_table('reference_colors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('hex', sa.String(length=7), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('era_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(hex) = 7', name=op.f('ck_reference_colors_hex_length')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reference_colors_created_by_id_users')),
    sa.ForeignKeyConstraint(['era_id'], ['vocabulary_terms.id'], name=op.f('fk_reference_colors_era_id_vocabulary_terms')),
    sa.ForeignKeyConstraint(['event_id'], ['vocabulary_terms.id'], name=op.f('fk_reference_colors_event_id_vocabulary_terms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_colors')),
    sa.UniqueConstraint('name', name=op.f('uq_reference_colors_name'))
    )
    op.create_table('colorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', 'rejected', 'superseded', name='colorization_status', native_enum=False, create_constraint=True, length=16), server_default='draft', nullable=False),
    sa.Column('hints', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('model_name', sa.String(length=200), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=False),
    sa.Column('weights_sha256', sa.String(length=64), nullable=True),
    sa.Column('parameters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('software_version', sa.String(length=50), nullable=False),
    sa.Column('output_sha256', sa.String(length=64), nullable=False),
    sa.Column('output_width', sa.Integer(), nullable=False),
    sa.Column('output_height', sa.Integer(), nullable=False),
    sa.Column('palette', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('provenance_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_colorizations_created_by_id_users')),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_colorizations_photo_id_photos')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_colorizations_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['colorizations.id'], name=op.f('fk_colorizations_superseded_by_id_colorizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_colorizations'))
    )
    with op.batch_alter_table('colorizations', schema=None) as batch_op:
        batch_op.create_index('ix_colorizations_photo_status', ['photo_id', 'status'], unique=False)
        batch_op.create_index('ix_colorizations_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('uq_colorizations_one_approved_per_photo', ['photo_id'], unique=True, sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"))

    op.create_table('photo_tags',
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_photo_tags_photo_id_photos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('photo_id', 'tag', name=op.f('pk_photo_tags'))
    )
    with op.batch_alter_table('photo_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_tags_tag'), ['tag'], unique=False)

    create_guards()
    create_search_index()


def downgrade() -> None:
    drop_search_index()
    drop_guards()
    with op.batch_alter_table('photo_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_tags_tag'))

    op.drop_table('photo_tags')
    with op.batch_alter_table('colorizations', schema=None) as batch_op:
        batch_op.drop_index('uq_colorizations_one_approved_per_photo', sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"))
        batch_op.drop_index('ix_colorizations_status_created')
        batch_op.drop_index('ix_colorizations_photo_status')

    op.drop_table('colorizations')
    op.drop_table('reference_colors')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index('ix_photos_year')
        batch_op.drop_index('ix_photos_status_year')
        batch_op.drop_index(batch_op.f('ix_photos_identifier'))
        batch_op.drop_index('ix_photos_event_year')
        batch_op.drop_index('ix_photos_era_event_status_year')

    op.drop_table('photos')
    op.drop_table('vocabulary_terms')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_entity')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    op.drop_table('users')


# Columns of a colorization fixed once it has been reviewed (only approved -> superseded may change).
REVIEWED_FIXED_COLUMNS = (
    "photo_id", "hints", "engine", "model_name", "model_version", "weights_sha256", "parameters",
    "software_version", "output_sha256", "output_width", "output_height", "palette", "provenance_note",
    "created_at", "created_by_id", "reviewed_at", "reviewed_by_id", "review_note",
)
AUDIT_MESSAGE = "audit log is append-only"
IMMUTABLE_MESSAGE = "reviewed colorization is immutable"
UNDELETABLE_MESSAGE = "catalog records are never deleted"


def create_guards() -> None:
    """Database-level rules, so that not even a hand-written query can rewrite history."""
    if op.get_bind().dialect.name == "sqlite":
        unchanged = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in REVIEWED_FIXED_COLUMNS)
        statements = [
            f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END",
            f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_MESSAGE}'); END",
            f"CREATE TRIGGER colorizations_reviewed_immutable BEFORE UPDATE ON colorizations "
            f"WHEN OLD.status <> 'draft' AND NOT (OLD.status = 'approved' AND NEW.status = 'superseded' AND {unchanged}) "
            f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END",
            f"CREATE TRIGGER colorizations_no_delete BEFORE DELETE ON colorizations "
            f"BEGIN SELECT RAISE(ABORT, '{UNDELETABLE_MESSAGE}'); END",
            f"CREATE TRIGGER photos_no_delete BEFORE DELETE ON photos "
            f"BEGIN SELECT RAISE(ABORT, '{UNDELETABLE_MESSAGE}'); END",
        ]
    else:
        new_row = ", ".join(f"NEW.{column}" for column in REVIEWED_FIXED_COLUMNS)
        old_row = ", ".join(f"OLD.{column}" for column in REVIEWED_FIXED_COLUMNS)
        statements = []
        for function, message in (
            ("findcolor_audit_append_only", AUDIT_MESSAGE),
            ("findcolor_reviewed_immutable", IMMUTABLE_MESSAGE),
            ("findcolor_no_delete", UNDELETABLE_MESSAGE),
        ):
            statements.append(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation'; END $$"
            )
        statements += [
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION findcolor_audit_append_only()",
            "CREATE TRIGGER colorizations_reviewed_immutable BEFORE UPDATE ON colorizations FOR EACH ROW "
            f"WHEN (OLD.status <> 'draft' AND NOT (OLD.status = 'approved' AND NEW.status = 'superseded' "
            f"AND ROW({new_row}) IS NOT DISTINCT FROM ROW({old_row}))) "
            "EXECUTE FUNCTION findcolor_reviewed_immutable()",
            "CREATE TRIGGER colorizations_no_delete BEFORE DELETE ON colorizations "
            "FOR EACH ROW EXECUTE FUNCTION findcolor_no_delete()",
            "CREATE TRIGGER photos_no_delete BEFORE DELETE ON photos FOR EACH ROW EXECUTE FUNCTION findcolor_no_delete()",
        ]
    for statement in statements:
        op.execute(statement)


def drop_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("audit_events_no_update", "audit_events_no_delete", "colorizations_reviewed_immutable",
                        "colorizations_no_delete", "photos_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        return
    for trigger, table in (("audit_events_append_only", "audit_events"),
                           ("colorizations_reviewed_immutable", "colorizations"),
                           ("colorizations_no_delete", "colorizations"), ("photos_no_delete", "photos")):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in ("findcolor_audit_append_only", "findcolor_reviewed_immutable", "findcolor_no_delete"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")


def create_search_index() -> None:
    """PostgreSQL: a trigram index makes substring search on photos.search_text fast.

    pg_trgm ships with PostgreSQL and is a trusted extension (13+), so a database owner may
    create it; where it is unavailable the search still works, only slower.
    """
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if available is None:
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return
    savepoint.commit()
    op.execute("CREATE INDEX ix_photos_search_text_trgm ON photos USING gin (search_text gin_trgm_ops)")


def drop_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_photos_search_text_trgm")
