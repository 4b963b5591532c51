"""Fixity check: re-hash every stored file the catalog refers to and report what is wrong; repair.

A file is *missing* when the store has no object for a recorded SHA-256 and *altered* when
its bytes no longer hash to it (bit rot, a tool that rewrote it). Importing the intact original
again restores it (:mod:`db.ingest`). Objects no record refers to and staging files of
processes that are gone (left by an interrupted import) are listed too; :func:`repair_store`
(``findcolor verify --repair``) removes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import record_event
from db.models import Colorization, Photo, Role, User
from db.store import FileStore, hold_store_lock
from db.users import authorize


@dataclass(frozen=True)
class FixityProblem:
    sha256: str
    kind: str  # "original" or "colorization"
    record_id: int  # photo id or colorization id
    path: str

    def describe(self, problem: str) -> str:
        return f"{self.kind} of {'photo' if self.kind == 'original' else 'colorization'} #{self.record_id}: {problem} ({self.path})"


@dataclass
class FixityReport:
    checked: int = 0
    missing: list[FixityProblem] = field(default_factory=list)
    altered: list[FixityProblem] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)  # objects no record refers to
    abandoned_staging: list[str] = field(default_factory=list)  # staging files of processes that are gone

    @property
    def ok(self) -> bool:
        return not self.missing and not self.altered

    def lines(self) -> list[str]:
        return [problem.describe("missing") for problem in self.missing] + [
            problem.describe("altered: checksum does not match") for problem in self.altered
        ]

    def advice(self) -> list[str]:
        """How to repair what was found, one line each."""
        problems = self.missing + self.altered
        advice = []
        if any(problem.kind == "original" for problem in problems):
            advice.append(
                "to repair an original, import the intact scan again (findcolor import FILE): a file whose "
                "SHA-256 matches restores the stored copy, and the restore is an audit event"
            )
        if any(problem.kind == "colorization" for problem in problems):
            advice.append(
                "to repair a colorization output, copy the file from a backup to the path shown (its SHA-256 "
                "must match its name), or make and review a new candidate"
            )
        leftovers = len(self.unreferenced) + len(self.abandoned_staging)
        if leftovers:
            advice.append(
                f"{leftovers} stored or staging files belong to no record (left by an interrupted import): "
                "'findcolor verify --repair' removes them"
            )
        return advice


@dataclass(frozen=True)
class RepairReport:
    removed: list[str]  # object keys no record referred to
    removed_staging: list[str]  # staging file names


def verify_store(
    *, session: Session, store: FileStore, progress: Callable[[int], None] | None = None
) -> FixityReport:
    """Re-hash every original and colorization output the catalog refers to."""
    report = FixityReport()
    expected: list[tuple[str, str, int]] = [
        (sha, "original", photo_id) for photo_id, sha in session.execute(select(Photo.id, Photo.sha256).order_by(Photo.id))
    ]
    expected += [
        (sha, "colorization", colorization_id)
        for colorization_id, sha in session.execute(
            select(Colorization.id, Colorization.output_sha256).order_by(Colorization.id)
        )
    ]
    verdicts: dict[str, bool | None] = {}
    for sha, kind, record_id in expected:
        if sha not in verdicts:
            verdicts[sha] = store.matches(sha)
        report.checked += 1
        problem = FixityProblem(sha, kind, record_id, str(store.path(sha)))
        if verdicts[sha] is None:
            report.missing.append(problem)
        elif verdicts[sha] is False:
            report.altered.append(problem)
        if progress is not None:
            progress(report.checked)
    report.unreferenced = sorted(set(store.iter_keys()) - set(verdicts))
    report.abandoned_staging = [path.name for path in store.abandoned_staging_files()]
    return report


def _referenced(*, session: Session) -> set[str]:
    return set(session.scalars(select(Photo.sha256))) | set(session.scalars(select(Colorization.output_sha256)))


def repair_store(*, session: Session, store: FileStore, actor: User | None) -> RepairReport:
    """Remove objects no record refers to and abandoned staging files (curators and above; audited).

    Call in a write session: the store lock (exclusive) makes every import in flight commit
    first, so only files that no committed or committing record refers to are removed.
    """
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="repair the file store")
    hold_store_lock(session=session, exclusive=True)
    referenced = _referenced(session=session)
    removed = [key for key in store.iter_keys() if key not in referenced]
    for key in removed:
        store.remove_object(key)
    staging = store.abandoned_staging_files()
    for path in staging:
        path.unlink(missing_ok=True)
    report = RepairReport(removed=removed, removed_staging=[path.name for path in staging])
    if removed or staging:
        record_event(
            session=session, actor=actor, action="store.repair", entity_type="store", entity_id=None,
            details={"removed": removed, "removed_staging": report.removed_staging},
        )  # fmt: skip
    return report
