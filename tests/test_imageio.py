"""findcolor.imageio: every archive format and mode, EXIF orientation, limits, errors, source untouched."""

from __future__ import annotations

import hashlib
import io
import os

import numpy as np
import pytest
from PIL import Image

from findcolor import imageio
from findcolor.errors import FindColorError, ImageLoadError
from findcolor.imageio import DEFAULT_MAX_PIXELS, image_info, load_image, preview

RNG = np.random.default_rng(0)
W, H = 13, 9  # non-square, odd: catches transposed axes
RGB8 = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
GRAY8 = RNG.integers(0, 256, (H, W), dtype=np.uint8)
GRAY16 = RNG.integers(0, 65536, (H, W)).astype(np.uint16)


def _save(tmp_path, name, image, **options):
    path = tmp_path / name
    image.save(path, **options)
    return path


def _assert_gray(loaded, expected01, atol=1e-6):
    assert loaded.rgb.shape == (H, W, 3) and loaded.rgb.dtype == np.float32
    for channel in range(3):
        np.testing.assert_allclose(loaded.rgb[..., channel], expected01, atol=atol)
    assert loaded.is_grayscale


def _assert_info(loaded, fmt, mode, bit_depth):
    assert loaded.info == imageio.ImageInfo(format=fmt, width=W, height=H, mode=mode, bit_depth=bit_depth)
    assert (loaded.width, loaded.height) == (W, H)


# ----------------------------------------------------------------------------- formats x modes


@pytest.mark.parametrize("ext,fmt", [(".png", "PNG"), (".bmp", "BMP"), (".tif", "TIFF"), (".webp", "WEBP")])
def test_rgb_lossless_formats_exact(tmp_path, ext, fmt):
    options = {"lossless": True} if fmt == "WEBP" else {}
    path = _save(tmp_path, "rgb" + ext, Image.fromarray(RGB8, "RGB"), **options)
    loaded = load_image(path)
    np.testing.assert_array_equal(np.round(loaded.rgb * 255).astype(np.uint8), RGB8)
    assert loaded.rgb.min() >= 0 and loaded.rgb.max() <= 1
    _assert_info(loaded, fmt, "RGB", 8)
    assert not loaded.is_grayscale


def test_jpeg_rgb_matches_pillow_decode(tmp_path):
    path = _save(tmp_path, "rgb.jpg", Image.fromarray(RGB8, "RGB"), quality=90)
    loaded = load_image(path)
    decoded = np.asarray(Image.open(path).convert("RGB"))
    np.testing.assert_array_equal(np.round(loaded.rgb * 255).astype(np.uint8), decoded)
    _assert_info(loaded, "JPEG", "RGB", 8)


@pytest.mark.parametrize("ext,fmt", [(".png", "PNG"), (".tif", "TIFF"), (".bmp", "BMP"), (".jpg", "JPEG")])
def test_mode_L(tmp_path, ext, fmt):
    path = _save(tmp_path, "gray" + ext, Image.fromarray(GRAY8, "L"))
    loaded = load_image(path)
    expected = np.asarray(Image.open(path)) / 255.0  # JPEG is lossy: compare with Pillow's own decode
    _assert_gray(loaded, expected)
    if fmt != "JPEG":
        _assert_gray(loaded, GRAY8 / 255.0)
    _assert_info(loaded, fmt, "L", 8)


def test_mode_LA_uses_gray_channel(tmp_path):
    alpha = np.full((H, W), 255, np.uint8)
    alpha[:, :4] = 0
    path = _save(tmp_path, "la.png", Image.fromarray(np.dstack([GRAY8, alpha]), "LA"))
    loaded = load_image(path)
    _assert_info(loaded, "PNG", "LA", 8)
    assert loaded.is_grayscale
    # opaque pixels are exactly the stored gray
    np.testing.assert_allclose(loaded.rgb[:, 4:, 0], GRAY8[:, 4:] / 255.0, atol=1e-6)


@pytest.mark.parametrize("ext,fmt", [(".png", "PNG"), (".tif", "TIFF")])
def test_16_bit_gray(tmp_path, ext, fmt):
    image = Image.fromarray(GRAY16)
    assert image.mode == "I;16"
    path = _save(tmp_path, "deep" + ext, image)
    loaded = load_image(path)
    assert loaded.info.bit_depth == 16 and loaded.info.format == fmt and loaded.info.mode.startswith("I")
    # full 16-bit precision is kept (not rounded to 8 bits)
    _assert_gray(loaded, GRAY16 / 65535.0, atol=1e-6)
    np.testing.assert_array_equal(np.round(loaded.rgb[..., 0].astype(np.float64) * 65535), GRAY16)


def test_16_bit_rgb_tiff(tmp_path):
    # 16-bit RGB TIFF (Pillow reads it as 8-bit RGB): loads with the right size and close values
    deep = RNG.integers(0, 65536, (H, W, 3)).astype(np.uint16)
    path = tmp_path / "rgb16.tif"
    import tifffile

    tifffile.imwrite(path, deep, photometric="rgb")
    loaded = load_image(path)
    assert loaded.rgb.shape == (H, W, 3)
    np.testing.assert_allclose(loaded.rgb, deep / 65535.0, atol=1 / 255 + 1e-6)


def test_mode_I_32_bit_integer(tmp_path):
    path = _save(tmp_path, "int.tif", Image.fromarray(GRAY16.astype(np.int32)))
    loaded = load_image(path)
    _assert_info(loaded, "TIFF", "I", 32)
    _assert_gray(loaded, GRAY16 / 65535.0, atol=1e-6)  # 16-bit data widened to 32 bits


def test_mode_I_holding_8_bit_data(tmp_path):
    path = _save(tmp_path, "int8.tif", Image.fromarray(GRAY8.astype(np.int32)))
    _assert_gray(load_image(path), GRAY8 / 255.0)


def test_mode_F_float(tmp_path):
    values = (GRAY8 / 255.0).astype(np.float32)
    path = _save(tmp_path, "float.tif", Image.fromarray(values, "F"))
    loaded = load_image(path)
    _assert_info(loaded, "TIFF", "F", 32)
    _assert_gray(loaded, values)


def test_mode_RGBA_keeps_colour_of_opaque_pixels(tmp_path):
    alpha = np.full((H, W), 255, np.uint8)
    alpha[0, :] = 10
    path = _save(tmp_path, "rgba.png", Image.fromarray(np.dstack([RGB8, alpha]), "RGBA"))
    loaded = load_image(path)
    _assert_info(loaded, "PNG", "RGBA", 8)
    np.testing.assert_array_equal(np.round(loaded.rgb[1:] * 255).astype(np.uint8), RGB8[1:])
    assert loaded.rgb.shape == (H, W, 3)


def test_mode_RGBA_webp(tmp_path):
    path = _save(tmp_path, "rgba.webp", Image.fromarray(np.dstack([RGB8, np.full((H, W), 255, np.uint8)]), "RGBA"),
                 lossless=True)
    loaded = load_image(path)
    assert loaded.info.format == "WEBP" and (loaded.width, loaded.height) == (W, H)
    np.testing.assert_array_equal(np.round(loaded.rgb * 255).astype(np.uint8), RGB8)


def test_mode_P_palette(tmp_path):
    palette_colours = np.array([[200, 30, 20], [20, 50, 160], [240, 240, 240], [10, 10, 10]], np.uint8)
    indices = RNG.integers(0, 4, (H, W))
    image = Image.fromarray(indices.astype(np.uint8), "P")
    image.putpalette(palette_colours.flatten().tolist())
    path = _save(tmp_path, "palette.png", image)
    loaded = load_image(path)
    _assert_info(loaded, "PNG", "P", 8)
    np.testing.assert_array_equal(np.round(loaded.rgb * 255).astype(np.uint8), palette_colours[indices])


def test_mode_P_with_transparency_and_gif(tmp_path):
    image = Image.fromarray(RGB8, "RGB").quantize(16)
    image.info["transparency"] = 0
    path = _save(tmp_path, "palette.gif", image)
    loaded = load_image(path)
    assert loaded.rgb.shape == (H, W, 3) and loaded.info.format == "GIF"


@pytest.mark.parametrize("ext,fmt", [(".tif", "TIFF"), (".jpg", "JPEG")])
def test_mode_CMYK(tmp_path, ext, fmt):
    # pure inks: none -> white, C -> cyan, M -> magenta, Y -> yellow, K -> black, C+Y -> green
    inks = np.array(
        [[0, 0, 0, 0], [255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 255, 0], [0, 0, 0, 255], [255, 0, 255, 0]], np.uint8
    )
    expected = np.array(
        [[255, 255, 255], [0, 255, 255], [255, 0, 255], [255, 255, 0], [0, 0, 0], [0, 255, 0]], np.uint8
    )
    cmyk = np.repeat(np.repeat(inks[None], 16, axis=0), 16, axis=1)  # (16, 96, 4): 16x16 blocks
    options = {"quality": 100} if fmt == "JPEG" else {}
    path = _save(tmp_path, "cmyk" + ext, Image.fromarray(cmyk, "CMYK"), **options)
    loaded = load_image(path)
    assert loaded.info.mode == "CMYK" and loaded.info.format == fmt and loaded.info.bit_depth == 8
    assert loaded.rgb.shape == (16, 96, 3)
    centres = np.round(loaded.rgb[8, 8::16] * 255).astype(int)
    np.testing.assert_allclose(centres, expected, atol=6 if fmt == "JPEG" else 0)


def test_mode_1_bilevel(tmp_path):
    bits = GRAY8 > 128
    path = _save(tmp_path, "bits.png", Image.fromarray(bits))
    loaded = load_image(path)
    _assert_gray(loaded, bits.astype(np.float64))
    assert loaded.info.bit_depth == 1


def test_gray_photo_stored_as_rgb_is_grayscale(tmp_path):
    path = _save(tmp_path, "grayrgb.png", Image.fromarray(np.dstack([GRAY8] * 3), "RGB"))
    loaded = load_image(path)
    assert loaded.info.mode == "RGB"
    assert loaded.is_grayscale
    # one channel differing by one level is a colour image
    tinted = np.dstack([GRAY8] * 3)
    tinted[3, 3, 2] = tinted[3, 3, 2] ^ 1
    assert not load_image(Image.fromarray(tinted, "RGB")).is_grayscale


def test_lightness_of_gray_and_colour():
    loaded = load_image(Image.fromarray(np.full((4, 4), 119, np.uint8), "L"))  # #777777
    np.testing.assert_allclose(loaded.lightness(), 50.03, atol=0.02)
    red = load_image(Image.fromarray(np.tile(np.array([255, 0, 0], np.uint8), (4, 4, 1)), "RGB"))
    np.testing.assert_allclose(red.lightness(), 53.24, atol=0.02)
    assert loaded.lightness().shape == (4, 4) and loaded.lightness().dtype == np.float32


@pytest.mark.parametrize("kind", ["bytes", "file", "pil"])
def test_other_source_types(tmp_path, kind):
    path = _save(tmp_path, "rgb.png", Image.fromarray(RGB8, "RGB"))
    source = {
        "bytes": lambda: path.read_bytes(),
        "file": lambda: io.BytesIO(path.read_bytes()),
        "pil": lambda: Image.open(path),
    }[kind]()
    loaded = load_image(source)
    np.testing.assert_array_equal(np.round(loaded.rgb * 255).astype(np.uint8), RGB8)


# ----------------------------------------------------------------------------- EXIF orientation

# EXIF orientation -> how to turn the stored pixels into the displayed ones
ORIENTATIONS = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: np.rot90(a, 2),
    4: lambda a: a[::-1],
    5: lambda a: np.transpose(a, (1, 0, 2)),
    6: lambda a: np.rot90(a, -1),  # stored rotated: display turns it 90 degrees clockwise
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),  # 90 degrees counter-clockwise
}


def _with_orientation(array: np.ndarray, orientation: int) -> Image.Image:
    image = Image.fromarray(array, "RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    return image, exif


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_exif_orientation_applied_png(tmp_path, orientation):
    image, exif = _with_orientation(RGB8, orientation)
    path = tmp_path / "oriented.png"
    image.save(path, exif=exif.tobytes())
    loaded = load_image(path)
    expected = ORIENTATIONS[orientation](RGB8)
    assert loaded.rgb.shape == expected.shape
    np.testing.assert_array_equal(np.round(loaded.rgb * 255).astype(np.uint8), expected)
    info = image_info(path)
    assert (info.width, info.height) == (expected.shape[1], expected.shape[0])
    assert loaded.info.width == expected.shape[1] and loaded.info.height == expected.shape[0]


def test_exif_orientation_6_checked_on_known_pixels(tmp_path):
    # a red top-left pixel stored in a 4 wide x 2 high image with orientation 6 (rotate 90 CW to display)
    stored = np.zeros((2, 4, 3), np.uint8)
    stored[0, 0] = (255, 0, 0)
    stored[1, 3] = (0, 0, 255)
    image, exif = _with_orientation(stored, 6)
    path = tmp_path / "six.png"
    image.save(path, exif=exif.tobytes())
    loaded = np.round(load_image(path).rgb * 255).astype(np.uint8)
    assert loaded.shape == (4, 2, 3)  # displayed 2 wide x 4 high
    assert tuple(loaded[0, 1]) == (255, 0, 0)  # stored top-left ends at displayed top-right
    assert tuple(loaded[3, 0]) == (0, 0, 255)  # stored bottom-right ends at displayed bottom-left


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_orientation_applied_jpeg(tmp_path, orientation):
    # large flat blocks so JPEG loss does not matter
    blocks = np.zeros((32, 48, 3), np.uint8)
    blocks[:16, :16] = (220, 40, 40)
    blocks[16:, 32:] = (40, 40, 220)
    image, exif = _with_orientation(blocks, orientation)
    path = tmp_path / "oriented.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    loaded = np.round(load_image(path).rgb * 255).astype(int)
    expected = ORIENTATIONS[orientation](blocks).astype(int)
    assert loaded.shape == (48, 32, 3)
    assert np.abs(loaded - expected).mean() < 4


# ----------------------------------------------------------------------------- limits and errors


def test_default_limit_is_200_megapixels():
    assert DEFAULT_MAX_PIXELS == 200_000_000
    import inspect

    assert inspect.signature(load_image).parameters["max_pixels"].default == 200_000_000
    assert inspect.signature(image_info).parameters["max_pixels"].default == 200_000_000
    assert Image.MAX_IMAGE_PIXELS >= 200_000_000  # Pillow's own guard does not refuse below our limit


def test_decompression_limit(tmp_path):
    path = _save(tmp_path, "big.png", Image.new("L", (100, 50)))
    assert load_image(path, max_pixels=5000).width == 100  # exactly at the limit: fine
    with pytest.raises(ImageLoadError) as excinfo:
        load_image(path, max_pixels=4999)
    message = str(excinfo.value)
    assert "megapixel" in message and "limit" in message and "\n" not in message
    with pytest.raises(ImageLoadError):
        image_info(path, max_pixels=4999)
    with pytest.raises(ImageLoadError):
        preview(path, 64, max_pixels=4999)


def test_limit_checked_before_decoding(tmp_path, monkeypatch):
    from PIL import ImageFile

    path = _save(tmp_path, "big.png", Image.new("L", (300, 200)))
    decoded = []
    original = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    load_image(path)
    assert (300, 200) in decoded  # the spy sees decoding...
    decoded.clear()
    with pytest.raises(ImageLoadError):
        load_image(path, max_pixels=1000)
    assert decoded == []  # ...and a refused image is refused from its header alone


def _truncated_jpeg(tmp_path):
    full = tmp_path / "full.jpg"
    Image.fromarray(np.tile(RGB8, (20, 20, 1)), "RGB").save(full, quality=90)
    data = full.read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    return path


def _bad_files(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is a text file renamed .png\n")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.png"
    folder.mkdir()
    truncated_png = tmp_path / "truncated.png"
    Image.fromarray(np.tile(RGB8, (20, 20, 1)), "RGB").save(truncated_png)
    truncated_png.write_bytes(truncated_png.read_bytes()[:400])
    return {
        "truncated_jpeg": (_truncated_jpeg(tmp_path), ("truncated", "corrupt")),
        "truncated_png": (truncated_png, ("truncated", "corrupt", "unreadable")),
        "text": (text, ("not an image",)),
        "empty": (empty, ("empty", "0 bytes")),
        "missing": (tmp_path / "missing.tif", ("not found",)),
        "folder": (folder, ("folder",)),
    }


@pytest.mark.parametrize("case", ["truncated_jpeg", "truncated_png", "text", "empty", "missing", "folder"])
@pytest.mark.parametrize("function", [load_image, image_info, lambda p: preview(p, 32)])
def test_bad_input_raises_one_line_image_load_error(tmp_path, case, function):
    path, words = _bad_files(tmp_path)[case]
    with pytest.raises(ImageLoadError) as excinfo:
        function(path)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, FindColorError)
    assert "\n" not in message and message.strip()
    assert str(path) in message  # names the file
    assert any(word in message.lower() for word in words), message


def test_bad_bytes_and_empty_stream():
    with pytest.raises(ImageLoadError):
        load_image(b"")
    with pytest.raises(ImageLoadError):
        load_image(io.BytesIO(b""))
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(b"GIF? no, plain text")


@pytest.mark.parametrize("name", ["photo.jpg", "deep.tif", "palette.png"])
def test_source_file_never_modified(tmp_path, name):
    images = {
        "photo.jpg": Image.fromarray(RGB8, "RGB"),
        "deep.tif": Image.fromarray(GRAY16),
        "palette.png": Image.fromarray(RGB8, "RGB").quantize(8),
    }
    image, exif = _with_orientation(RGB8, 6) if name == "photo.jpg" else (images[name], None)
    path = tmp_path / name
    image.save(path, **({"exif": exif.tobytes()} if exif else {}))
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    stat = path.stat()
    load_image(path)
    image_info(path)
    preview(path, 8)
    after = path.stat()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert (after.st_mtime_ns, after.st_size) == (stat.st_mtime_ns, stat.st_size)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no side files either


# ----------------------------------------------------------------------------- preview and image_info


@pytest.mark.parametrize(
    "size,max_side,expected",
    [((400, 300), 100, (100, 75)), ((300, 400), 100, (75, 100)), ((50, 40), 100, (50, 40)), ((640, 64), 64, (64, 6))],
)
def test_preview_sizes(tmp_path, size, max_side, expected):
    path = _save(tmp_path, "p.jpg", Image.new("RGB", size, (120, 60, 30)))
    thumb = preview(path, max_side)
    assert thumb.mode == "RGB" and thumb.size == expected
    assert max(thumb.size) <= max_side


def test_preview_of_deep_and_oriented_images(tmp_path):
    path = _save(tmp_path, "deep.tif", Image.fromarray(np.tile(GRAY16, (10, 10))))
    thumb = preview(path, 40)
    assert thumb.mode == "RGB" and thumb.size == (40, 28)
    # 16-bit data is scaled to 8 bits (not clipped to white)
    assert 60 < np.asarray(thumb).mean() < 200
    image, exif = _with_orientation(np.zeros((20, 60, 3), np.uint8), 8)
    oriented = tmp_path / "oriented.jpg"
    image.save(oriented, exif=exif.tobytes())
    assert preview(oriented, 30).size == (10, 30)


def test_image_info(tmp_path):
    assert image_info(_save(tmp_path, "a.png", Image.fromarray(RGB8, "RGB"))) == imageio.ImageInfo("PNG", W, H, "RGB", 8)
    assert image_info(_save(tmp_path, "b.tif", Image.fromarray(GRAY16))) == imageio.ImageInfo("TIFF", W, H, "I;16", 16)
    assert image_info(_save(tmp_path, "c.jpg", Image.fromarray(GRAY8, "L"))) == imageio.ImageInfo("JPEG", W, H, "L", 8)
    info = image_info(_save(tmp_path, "d.webp", Image.fromarray(RGB8, "RGB")))
    assert (info.format, info.width, info.height) == ("WEBP", W, H)
