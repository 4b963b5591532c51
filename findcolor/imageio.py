"""Reading the images archives actually hold, without ever touching the source file.

Scans arrive as 8- or 16-bit TIFF, JPEG with an EXIF rotation, palette PNG, CMYK from
a print workflow, float TIFF from a restoration tool, or plain garbage renamed ``.png``.
Everything becomes one thing here: an sRGB float32 array in [0, 1] with the EXIF
orientation applied, or one :class:`~findcolor.errors.ImageLoadError` that says why not.

The file is opened read-only and never rewritten; a decompression-bomb limit protects
the machine (default 200 megapixels, generous for archival scans).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from findcolor.blocks import for_each_row_block, row_blocks
from findcolor.color import lightness_from_luminance, srgb_to_linear
from findcolor.errors import ImageLoadError
from findcolor.options import DEFAULT_MAX_PIXELS


ImageSource = Union[str, "os.PathLike[str]", bytes, BinaryIO, Image.Image]

# Pillow refuses images above twice its own limit (~179 MP) before we can apply ours; archival
# scans are legitimately larger, so lift Pillow's guard to our default and check ourselves.
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, DEFAULT_MAX_PIXELS)

# Modes whose samples are wider than 8 bits, mapped to their bit depth.
_DEEP_MODES = {"I;16": 16, "I;16B": 16, "I;16L": 16, "I;16N": 16, "I": 32, "F": 32}


@dataclass(frozen=True)
class ImageInfo:
    """What a scan is, read from the file. Width and height are after EXIF orientation."""

    format: str
    width: int
    height: int
    mode: str
    bit_depth: int


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image ready for colour work."""

    rgb: np.ndarray  # (H, W, 3) float32 sRGB in [0, 1], orientation applied
    info: ImageInfo
    is_grayscale: bool  # all three channels equal: a black-and-white photo, whatever its storage mode

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    def lightness(self) -> np.ndarray:
        """(H, W) float32 CIELAB L of the photo."""
        return lightness_of(self.rgb, is_grayscale=self.is_grayscale)


def lightness_of(rgb: np.ndarray, *, is_grayscale: bool = False) -> np.ndarray:
    """CIELAB L of an sRGB float image; for a gray image only one channel is linearised."""
    height, width = rgb.shape[:2]
    lightness = np.empty((height, width), dtype=np.float32)

    def convert(rows: slice) -> None:
        lightness[rows] = _lightness_block(rgb[rows], is_grayscale)

    for_each_row_block(height, width, convert)
    return lightness


def _lightness_block(rgb: np.ndarray, is_grayscale: bool) -> np.ndarray:
    """CIELAB L of a block of sRGB floats (n, W, 3), in the calling thread."""
    if is_grayscale:
        luminance = srgb_to_linear(rgb[..., 0])
    else:
        linear = srgb_to_linear(rgb)
        # the Y row of the sRGB -> XYZ matrix
        luminance = linear[..., 0] * 0.2126729 + linear[..., 1] * 0.7151522 + linear[..., 2] * 0.0721750
    return lightness_from_luminance(luminance)


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "image"


def _open(source: ImageSource, max_pixels: int) -> Image.Image:
    """Open lazily and check the pixel count before any decoding happens."""
    return _open_counted(source, max_pixels)[0]


def _open_counted(source: ImageSource, max_pixels: int) -> tuple[Image.Image, int]:
    """:func:`_open`, and the number of file bytes read into memory (0 for a PIL image)."""
    name = _describe(source)
    data = b""
    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not os.path.exists(path):
                raise ImageLoadError(f"{name}: file not found")
            if os.path.isdir(path):
                raise ImageLoadError(f"{name}: is a folder, not an image")
            if os.path.getsize(path) == 0:
                raise ImageLoadError(f"{name}: file is empty (0 bytes)")
            with open(path, "rb") as handle:  # read-only; the source is never written
                data = handle.read()
        elif isinstance(source, bytes):
            data = source
        else:
            data = source.read()
        if not data:
            raise ImageLoadError(f"{name}: file is empty (0 bytes)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageLoadError(f"{name}: not an image file (unrecognised format)") from None
        except Image.DecompressionBombError:
            raise ImageLoadError(
                f"{name}: image is far larger than the limit of {max_pixels / 1e6:.0f} megapixels"
            ) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageLoadError(f"{name}: unreadable image ({exc})") from None
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise ImageLoadError(
            f"{name}: image has {pixels / 1e6:.0f} megapixels, more than the limit of "
            f"{max_pixels / 1e6:.0f} (raise max_pixels / FINDCOLOR_MAX_PIXELS to allow it)"
        )
    if pixels == 0:
        raise ImageLoadError(f"{name}: image has no pixels")
    return image, len(data)


def _decode(image: Image.Image, name: str, *, in_place: bool = False) -> Image.Image:
    """Force a full decode so truncated files fail here, then apply EXIF orientation.

    ``in_place`` turns ``image`` itself (no copy when there is nothing to turn); otherwise
    a new image is returned and ``image`` is left as it was.
    """
    try:
        image.load()
        if in_place:
            ImageOps.exif_transpose(image, in_place=True)
            return image
        return ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(f"{name}: image data is truncated or corrupt ({exc})") from None


def _to_srgb_float(image: Image.Image, name: str, peak: float | None = None) -> np.ndarray:
    """Any PIL mode -> (H, W, 3) float32 sRGB in [0, 1].

    ``peak`` is the white level of a 32-bit gray image (mode I or F); by default it is
    guessed from this image's maximum, so a caller converting a part passes the whole's.
    """
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        gray = np.asarray(image, dtype=np.float32) / 65535.0
        return np.repeat(gray[..., None], 3, axis=2)
    if mode in ("I", "F"):
        gray = np.asarray(image, dtype=np.float32)
        gray = np.clip(gray / (peak or _nominal_peak(mode, float(gray.max(initial=0.0)))), 0.0, 1.0)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "CMYK":
        image = _cmyk_to_rgb(image)
    elif mode in ("L", "LA", "La"):
        gray = np.asarray(image.getchannel(0), dtype=np.float32) / 255.0
        return np.repeat(gray[..., None], 3, axis=2)
    elif mode == "1":
        image = image.convert("L")
        gray = np.asarray(image, dtype=np.float32) / 255.0
        return np.repeat(gray[..., None], 3, axis=2)
    elif mode != "RGB":
        try:
            image = image.convert("RGBA").convert("RGB") if mode in ("P", "PA", "RGBA", "RGBa") else image.convert("RGB")
        except (ValueError, OSError) as exc:
            raise ImageLoadError(f"{name}: unsupported image mode {mode} ({exc})") from None
    return np.asarray(image, dtype=np.float32) / 255.0


def _nominal_peak(mode: str, maximum: float) -> float:
    """White level of a 32-bit gray image, which carries no explicit range.

    Float images from restoration tools are normally in [0, 1]; integer ones hold 8- or
    16-bit data widened to 32 bits. Guessing from the maximum is the best the file allows.
    """
    if mode == "F" and maximum <= 1.0:
        return 1.0
    return 65535.0 if maximum > 255.0 else 255.0


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """Use the embedded ICC profile when there is one, else Pillow's naive conversion."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    return image.convert("RGB")


def _bit_depth(mode: str) -> int:
    return _DEEP_MODES.get(mode, 1 if mode == "1" else 8)


def load_image(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode ``source`` (path, bytes, file object or PIL image) into sRGB floats.

    Raises :class:`ImageLoadError` with one line naming the problem for missing, empty,
    truncated, non-image, unsupported or too large input.
    """
    name = _describe(source)
    image = _open(source, max_pixels)
    source_mode, source_format = image.mode, image.format or "unknown"
    image = _decode(image, name)
    rgb = np.ascontiguousarray(_to_srgb_float(image, name), dtype=np.float32)
    is_grayscale = bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))
    info = ImageInfo(
        format=source_format,
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
        mode=source_mode,
        bit_depth=_bit_depth(source_mode),
    )
    return LoadedImage(rgb=rgb, info=info, is_grayscale=is_grayscale)


# ---------------------------------------------------------------------------- lightness of a large scan

# Bytes per pixel Pillow holds for a decoded image of each mode (multi-band images take 4).
_DECODED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# Modes that can only hold gray: their lightness comes from one channel, with no check.
_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "F", "I;16", "I;16B", "I;16L", "I;16N"})


@dataclass(frozen=True)
class OpenedImage:
    """An image whose header is read and checked against the pixel limit, its pixels not yet decoded."""

    name: str  # the path, or "image"
    image: Image.Image  # lazy: nothing decoded yet
    owned: bool  # opened here (closed once decoded); False for a caller's PIL image
    file_bytes: int  # compressed data held in memory until decoding ends

    @property
    def pixels(self) -> int:
        return self.image.width * self.image.height

    @property
    def decoded_bytes_per_pixel(self) -> int:
        """Memory per pixel of the decoded image, as Pillow stores it."""
        return _DECODED_BYTES.get(self.image.mode, 4)


def open_image(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> OpenedImage:
    """Read ``source``'s header and check its size, decoding nothing (so memory can be checked first)."""
    image, file_bytes = _open_counted(source, max_pixels)
    return OpenedImage(
        name=_describe(source), image=image, owned=not isinstance(source, Image.Image), file_bytes=file_bytes
    )


def decode_lightness(opened: OpenedImage) -> tuple[np.ndarray, ImageInfo]:
    """The scan's CIELAB lightness (H, W) float32, orientation applied, and what the scan is.

    Equal to ``load_image(source).lightness()``, but the image never exists as floats: each
    row block is converted on its own, so the peak is the decoded image plus 4 bytes per
    pixel. An image opened here is closed before returning, releasing its pixels and data.
    """
    image, name = opened.image, opened.name
    source_mode, source_format = image.mode, image.format or "unknown"
    oriented = image
    try:
        oriented = _decode(image, name, in_place=opened.owned)  # a caller's image is never changed
        width, height = oriented.size
        peak = None
        if oriented.mode in ("I", "F"):
            peak = _nominal_peak(oriented.mode, float(oriented.getextrema()[1]))
        is_grayscale = oriented.mode in _GRAY_MODES or _all_gray(oriented, name)
        lightness = np.empty((height, width), dtype=np.float32)

        def convert(rows: slice) -> None:
            band = oriented.crop((0, rows.start, width, rows.stop))
            lightness[rows] = _lightness_block(_to_srgb_float(band, name, peak), is_grayscale)

        for_each_row_block(height, width, convert)
    finally:
        if opened.owned:
            oriented.close()
            image.close()
    info = ImageInfo(format=source_format, width=width, height=height, mode=source_mode, bit_depth=_bit_depth(source_mode))
    return lightness, info


def _all_gray(image: Image.Image, name: str) -> bool:
    """Whether every pixel has three equal channels (a gray photo stored in colour), block by block."""
    width, height = image.size
    for rows in row_blocks(height, width):
        band = image.crop((0, rows.start, width, rows.stop))
        pixels = np.asarray(band) if band.mode == "RGB" else _to_srgb_float(band, name)
        if not (np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2])):
            return False
    return True


def image_info(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Validate ``source`` by decoding it fully, and describe it (size after EXIF orientation)."""
    name = _describe(source)
    image = _open(source, max_pixels)
    mode, fmt = image.mode, image.format or "unknown"
    image = _decode(image, name)
    return ImageInfo(format=fmt, width=image.width, height=image.height, mode=mode, bit_depth=_bit_depth(mode))


def preview(source: ImageSource, max_side: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """An 8-bit RGB copy, oriented, whose longer side is at most ``max_side`` (thumbnails, display copies)."""
    name = _describe(source)
    image = _open(source, max_pixels)
    if image.format == "JPEG" and image.mode in ("L", "RGB"):
        image.draft(image.mode, (max_side, max_side))  # decode at reduced size: much faster for big scans
    image = _decode(image, name)
    if image.mode not in ("L", "RGB"):
        image = Image.fromarray(np.round(_to_srgb_float(image, name) * 255.0).astype(np.uint8), "RGB")
    image = image.convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image
