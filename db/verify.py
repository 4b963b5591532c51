"""Fixity check: re-hash every stored file the catalog refers to and report what is wrong.

A file is *missing* when the store has no object for a recorded SHA-256 and *altered* when
its bytes no longer hash to it (bit rot, a tool that rewrote it). Objects no record refers
to (e.g. left by an interrupted import) are listed as *unreferenced*; they are harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Colorization, Photo
from db.store import FileStore


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
    unreferenced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.altered

    def lines(self) -> list[str]:
        return [problem.describe("missing") for problem in self.missing] + [
            problem.describe("altered: checksum does not match") for problem in self.altered
        ]


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
    return report
