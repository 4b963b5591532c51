"""Batch runs: one record per ``findcolor batch`` run and one per photo it plans (migration 0007).

Kept beside :mod:`db.models` (same ``Base``, same naming convention) and imported by the
``db`` package, so Alembic and ``Base.metadata`` always see these tables.

A :class:`BatchRun` says who started what: the photo filters, the engine and model version, the
executor, the counts, start and end. Each :class:`BatchItem` is one planned photo with the global
hints and the provenance note its draft gets, its state, attempts and one-line failure reason, and
the colorization it produced: the run can be resumed item by item and its drafts found again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models import SHA256_LENGTH, Base, JsonType, User, _enum


class BatchRunStatus(str, enum.Enum):
    RUNNING = "running"  # planned, or being worked on (a killed driver leaves it here: resume it)
    FINISHED = "finished"  # every item done, failed or skipped
    CANCELLED = "cancelled"  # stopped by a curator; pending items stay pending (resume continues)


class BatchItemState(str, enum.Enum):
    PENDING = "pending"  # not colorized yet
    DONE = "done"  # its draft candidate is recorded (colorization_id)
    FAILED = "failed"  # every attempt failed (reason)
    SKIPPED = "skipped"  # meanwhile the photo got a draft or approval from this model version


class BatchRun(Base):
    __tablename__ = "batch_runs"
    __table_args__ = (Index("ix_batch_runs_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[BatchRunStatus] = mapped_column(
        _enum(BatchRunStatus, "batch_run_status"),
        default=BatchRunStatus.RUNNING,
        server_default=BatchRunStatus.RUNNING.value,
    )
    filters: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)  # era, event, status, limit
    engine_requested: Mapped[str] = mapped_column(String(32))  # "auto", "neural", "classical"
    engine: Mapped[str] = mapped_column(String(32))  # what it resolved to (Colorization.engine)
    model_name: Mapped[str] = mapped_column(String(200), default="")
    model_version: Mapped[str] = mapped_column(String(100), default="")
    weights_sha256: Mapped[Optional[str]] = mapped_column(String(SHA256_LENGTH))
    era_palette: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    executor: Mapped[str] = mapped_column(String(300), default="")  # "local:2" or "ray:<address>"
    planned: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    failed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))  # last result recorded
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")

    @property
    def remaining(self) -> int:
        return max(0, self.planned - self.done - self.failed - self.skipped)

    def __repr__(self) -> str:
        return f"BatchRun(#{self.id}, {self.status.value}, {self.done}/{self.planned})"


class BatchItem(Base):
    __tablename__ = "batch_items"
    __table_args__ = (
        Index("ix_batch_items_run_state", "run_id", "state", "photo_id"),
        Index("ix_batch_items_colorization", "colorization_id"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("batch_runs.id"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), primary_key=True)
    state: Mapped[BatchItemState] = mapped_column(
        _enum(BatchItemState, "batch_item_state"),
        default=BatchItemState.PENDING,
        server_default=BatchItemState.PENDING.value,
    )
    hints: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)  # global hints, hint format v1
    provenance_note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    reason: Mapped[str] = mapped_column(Text, default="")  # one line, for failed items
    colorization_id: Mapped[Optional[int]] = mapped_column(ForeignKey("colorizations.id"))
    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"BatchItem(run #{self.run_id}, photo #{self.photo_id}, {self.state.value})"
