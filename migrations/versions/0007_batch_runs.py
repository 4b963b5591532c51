"""Batch colorization runs (batch_runs) and the photos each one plans (batch_items).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "batch_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "finished", "cancelled", name="batch_run_status", native_enum=False,
                    create_constraint=True, length=16),
            server_default="running",
            nullable=False,
        ),  # fmt: skip
        sa.Column("filters", JSON, nullable=False),
        sa.Column("engine_requested", sa.String(length=32), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("weights_sha256", sa.String(length=64), nullable=True),
        sa.Column("era_palette", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("executor", sa.String(length=300), nullable=False),
        sa.Column("planned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("skipped", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_batch_runs_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_runs")),
    )
    op.create_index("ix_batch_runs_status", "batch_runs", ["status", "id"], unique=False)
    op.create_table(
        "batch_items",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", "failed", "skipped", name="batch_item_state", native_enum=False,
                    create_constraint=True, length=16),
            server_default="pending",
            nullable=False,
        ),  # fmt: skip
        sa.Column("hints", JSON, nullable=False),
        sa.Column("provenance_note", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("colorization_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["batch_runs.id"], name=op.f("fk_batch_items_run_id_batch_runs")),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_batch_items_photo_id_photos")),
        sa.ForeignKeyConstraint(
            ["colorization_id"], ["colorizations.id"], name=op.f("fk_batch_items_colorization_id_colorizations")
        ),
        sa.PrimaryKeyConstraint("run_id", "photo_id", name=op.f("pk_batch_items")),
    )
    op.create_index("ix_batch_items_run_state", "batch_items", ["run_id", "state", "photo_id"], unique=False)
    op.create_index("ix_batch_items_colorization", "batch_items", ["colorization_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_batch_items_colorization", table_name="batch_items")
    op.drop_index("ix_batch_items_run_state", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_index("ix_batch_runs_status", table_name="batch_runs")
    op.drop_table("batch_runs")
