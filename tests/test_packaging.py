"""The package metadata installs what the code imports: ``pip install findcolor`` must give a
working CLI and dashboard, and the optional extras name the pinned scale packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirement_names(path: Path) -> dict[str, str]:
    """Package name -> full line, for the pinned lines of a requirements file (no includes, no -e)."""
    names = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        names[re.split(r"[\[=<>~! ]", line, maxsplit=1)[0].lower()] = line
    return names


def test_every_runtime_requirement_is_a_package_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[\[=<>~! ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}
    assert set(requirement_names(ROOT / "requirements.txt")) <= declared


def test_the_scale_extras_name_ray_and_s3fs_at_the_pinned_versions() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pinned = requirement_names(ROOT / "requirements-scale.txt")
    assert extras["ray"] == [pinned["ray"]]
    assert [spec.split(">=")[0] for spec in extras["s3"]] == ["s3fs"]
    assert set(extras["scale"]) == {"findcolor[ray,s3]"}
