"""findcolor.colorize end to end on a real photo: size, lightness, hinted chroma, determinism, inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import findcolor
from core_fixtures import astronaut, astronaut_gray, hex_ab, lab_of, photo_hints, psnr, to_hex
from findcolor import EngineError, HintError, ImageLoadError, pipeline
from findcolor.combined import CombinedEngine
from findcolor.hints import parse_hints
from findcolor.imageio import load_image
from findcolor.network_io import WEIGHTS_DIR, weights_available
from findcolor.pipeline import available_engines, colorize_loaded, get_engine
from findcolor.resolution import working_size


def _max_delta_l(output: Image.Image, gray8: np.ndarray) -> float:
    assert output.mode == "RGB"
    return float(np.abs(lab_of(np.asarray(output))[..., 0] - lab_of(gray8)[..., 0]).max())


def _patch_ab_errors(output: np.ndarray, hints: dict) -> list[float]:
    """Largest ab distance between the output and the hint, over each hinted square."""
    errors = []
    for point in hints["points"]:
        x, y, r = int(round(point["x"])), int(round(point["y"])), point.get("radius", 0)
        patch = lab_of(output[y - r : y + r + 1, x - r : x + r + 1])[..., 1:]
        assert patch.shape == (2 * r + 1, 2 * r + 1, 2)
        errors.append(float(np.linalg.norm(patch - hex_ab(point["color"]), axis=-1).max()))
    return errors


@pytest.fixture(scope="module")
def photo():
    """Gray astronaut, ten hints from the true colours, and the classical colorization."""
    gray = astronaut_gray()
    hints = photo_hints(astronaut(), count=10)
    output = findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical")
    return gray, hints, output


# ----------------------------------------------------------------------------- the real photo


def test_real_photo_size_and_mode(photo):
    gray, hints, output = photo
    assert len(hints["points"]) == 10
    assert isinstance(output, Image.Image)
    assert output.size == (gray.shape[1], gray.shape[0]) and output.mode == "RGB"


def test_real_photo_keeps_lightness(photo):
    gray, _, output = photo
    assert _max_delta_l(output, gray) <= 1.0
    # and it is no longer gray
    rgb = np.asarray(output).astype(int)
    assert (rgb.max(axis=2) - rgb.min(axis=2)).mean() > 5


def test_real_photo_hinted_patches_have_hinted_chroma(photo):
    _, hints, output = photo
    errors = _patch_ab_errors(np.asarray(output), hints)
    assert max(errors) <= 3.0, errors


def test_real_photo_beats_gray_in_psnr(photo):
    gray, _, output = photo
    truth = astronaut()
    colour_psnr = psnr(np.asarray(output), truth)
    gray_psnr = psnr(np.repeat(gray[..., None], 3, axis=2), truth)
    assert colour_psnr > gray_psnr + 1.0, (colour_psnr, gray_psnr)


def test_real_photo_deterministic(photo):
    gray, hints, output = photo
    again = findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical")
    assert again.tobytes() == output.tobytes()


def test_hints_reach_out_from_the_hinted_patch(photo):
    # propagation, not just painting: pixels next to (but outside) each hinted square are coloured similarly
    _, hints, output = photo
    lab = lab_of(np.asarray(output))
    near = []
    for point in hints["points"]:
        x, y, r = point["x"], point["y"], point["radius"]
        ring = np.concatenate([lab[y - r - 2, x - r : x + r + 1, 1:], lab[y + r + 2, x - r : x + r + 1, 1:]])
        near.append(np.linalg.norm(ring - hex_ab(point["color"]), axis=-1).mean())
    assert np.median(near) < 10, near


# ----------------------------------------------------------------------------- inputs


CROP = (slice(384, 432), slice(152, 216))  # 64x48: a blue patch and a red band, mid lightness


@pytest.fixture(scope="module")
def small():
    """A 64x48 gray crop of the photo and hints for it, taken from its true colours."""
    gray = np.ascontiguousarray(astronaut_gray()[CROP])
    truth = astronaut()[CROP]
    hints = {"version": 1,
             "points": [{"x": 30, "y": 20, "color": to_hex(truth[18:23, 28:33].reshape(-1, 3).mean(0)), "radius": 2}],
             "strokes": [{"path": [[5, 41], [50, 41]], "color": to_hex(truth[40:43, 5:51].reshape(-1, 3).mean(0)),
                          "width": 3}]}
    return gray, hints


def _stroke_ab_error(output: np.ndarray, hints: dict) -> float:
    """Median ab distance over the small fixture's stroke (rows 40..42, columns 5..50)."""
    ab = lab_of(output)[40:43, 5:51, 1:]
    return float(np.median(np.linalg.norm(ab - hex_ab(hints["strokes"][0]["color"]), axis=-1)))


def test_accepts_every_image_and_hint_source(tmp_path, small):
    gray, hints = small
    image_path = tmp_path / "scan.png"
    Image.fromarray(gray, "L").save(image_path)
    hints_path = tmp_path / "hints.json"
    hints_path.write_text(json.dumps(hints))
    reference = findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical")
    assert reference.size == (64, 48)
    variants = [
        (image_path, hints),
        (str(image_path), str(hints_path)),
        (image_path, hints_path),
        (image_path.read_bytes(), parse_hints(hints)),
        (Image.open(image_path), findcolor.Hints(**{k: v for k, v in vars(parse_hints(hints)).items()})),
        (Image.fromarray(np.repeat(gray[..., None], 3, axis=2), "RGB"), hints),  # gray stored as RGB
    ]
    for image, hint_source in variants:
        assert findcolor.colorize(image, hint_source, engine="classical").tobytes() == reference.tobytes()
    assert _max_delta_l(reference, gray) <= 1.0
    assert max(_patch_ab_errors(np.asarray(reference), hints)) <= 3.0
    assert _stroke_ab_error(np.asarray(reference), hints) <= 3.0


def test_classical_without_hints_returns_gray(small):
    gray, _ = small
    for hints in (None, {"version": 1}, {"palette": [{"color": "#a03020"}], "saturation": 0.8}):
        output = np.asarray(findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical")).astype(int)
        assert (output.max(axis=2) - output.min(axis=2)).max() <= 1  # gray, up to 8-bit rounding
        assert np.abs(output[..., 1] - gray.astype(int)).max() <= 1  # and the photo's own gray levels


@pytest.fixture
def no_weights_installed(monkeypatch):
    """The package as if installed without model weights (the engine registry's view of them)."""
    monkeypatch.setattr(pipeline, "weights_available", lambda: False)
    get_engine.cache_clear()
    yield
    get_engine.cache_clear()


def _shipped_weights_required() -> None:
    assert weights_available(), f"no model weights in {WEIGHTS_DIR}: the package ships them (python -m training.export, docs/MODEL_CARD.md)"


def test_auto_is_the_combined_engine_on_the_shipped_weights(small):
    """With the package as shipped (weights in findcolor/weights), "auto" runs the combined engine."""
    _shipped_weights_required()
    assert available_engines() == ["auto", "neural", "classical"]
    engine = get_engine("auto")
    assert isinstance(engine, CombinedEngine) and engine.version.startswith("hintnet+levin2004/")
    gray, hints = small
    output = findcolor.colorize(Image.fromarray(gray, "L"), hints)  # engine="auto"
    combined = colorize_loaded(load_image(Image.fromarray(gray, "L")), parse_hints(hints), CombinedEngine())
    assert output.tobytes() == combined.tobytes()
    assert output.size == (64, 48) and _max_delta_l(output, gray) <= 1.0
    assert max(_patch_ab_errors(np.asarray(output), hints)) <= 3.0
    assert _stroke_ab_error(np.asarray(output), hints) <= 3.0


def test_auto_falls_back_to_the_classical_engine_without_weights(small, no_weights_installed):
    gray, hints = small
    assert available_engines() == ["auto", "classical"]
    assert get_engine("auto").name == "classical"
    output = findcolor.colorize(Image.fromarray(gray, "L"), hints)  # engine="auto"
    classical = findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical")
    assert output.tobytes() == classical.tobytes()


def test_unknown_engine(small):
    gray, hints = small
    with pytest.raises(EngineError) as excinfo:
        findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="magic")
    assert "magic" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_neural_engine_on_the_shipped_weights_honours_hints(small):
    _shipped_weights_required()
    gray, hints = small
    output = findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="neural")
    assert output.size == (64, 48) and _max_delta_l(output, gray) <= 1.0
    assert max(_patch_ab_errors(np.asarray(output), hints)) <= 3.0
    assert _stroke_ab_error(np.asarray(output), hints) <= 3.0


def test_neural_engine_without_weights_is_a_one_line_error(small, no_weights_installed):
    gray, hints = small
    with pytest.raises(EngineError) as excinfo:
        findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="neural")
    assert "weights" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_errors_from_inputs_are_findcolor_errors(tmp_path, small):
    gray, _ = small
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ImageLoadError):
        findcolor.colorize(text, None)
    with pytest.raises(HintError, match=r"points\[0\]\.color"):
        findcolor.colorize(Image.fromarray(gray, "L"), {"points": [{"x": 1, "y": 1, "color": "red"}]})
    with pytest.raises(HintError, match=r"points\[0\]\.x.*outside"):  # checked against the loaded size
        findcolor.colorize(Image.fromarray(gray, "L"), {"points": [{"x": 64, "y": 1, "color": "#a03020"}]})
    with pytest.raises(ImageLoadError, match="megapixels"):
        findcolor.colorize(Image.fromarray(gray, "L"), None, max_pixels=1000)


def test_16_bit_tiff_input(tmp_path, small):
    gray, hints = small
    deep = (gray.astype(np.uint16) * 257 + np.random.default_rng(0).integers(0, 200, gray.shape)).astype(np.uint16)
    path = tmp_path / "deep.tif"
    Image.fromarray(deep).save(path)
    assert Image.open(path).mode == "I;16"
    output = findcolor.colorize(path, hints, engine="classical")
    assert output.size == (64, 48) and output.mode == "RGB"
    # lightness of the 16-bit input, from its own 16-bit values
    gray_float = deep / 65535.0
    from skimage import color as skcolor

    lightness_in = skcolor.rgb2lab(np.repeat(gray_float[..., None], 3, axis=2))[..., 0]
    assert np.abs(lab_of(np.asarray(output))[..., 0] - lightness_in).max() <= 1.0
    assert max(_patch_ab_errors(np.asarray(output), hints)) <= 3.0


@pytest.mark.parametrize("orientation,rotate", [(6, -1), (8, 1)])
def test_exif_rotated_input(tmp_path, orientation, rotate):
    # stored 120 wide x 80 high, displayed 80 wide x 120 high; hints are in displayed coordinates
    crop = (slice(384, 464), slice(152, 272))
    stored = np.ascontiguousarray(astronaut_gray()[crop])
    image = Image.fromarray(stored, "L")
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "rotated.png"
    image.save(path, exif=exif.tobytes())
    displayed = np.rot90(stored, rotate)
    assert displayed.shape == (120, 80)
    hints = photo_hints(np.ascontiguousarray(np.rot90(astronaut()[crop], rotate)), count=3, radius=1, grid=(3, 1))
    assert any(p["y"] >= 80 for p in hints["points"])  # a y that only exists in the displayed frame
    output = findcolor.colorize(path, hints, engine="classical")
    assert output.size == (80, 120)
    assert _max_delta_l(output, displayed) <= 1.0
    assert max(_patch_ab_errors(np.asarray(output), hints)) <= 3.0


def test_working_size():
    assert working_size(4000, 3000, 384) == (384, 288)
    assert working_size(3000, 4000, 384) == (288, 384)
    assert working_size(100, 50, 384) == (100, 50)  # never upscaled
    assert working_size(10000, 1, 384) == (384, 1)


def test_working_side_option_and_hints_honoured_at_any_working_size(small):
    gray, hints = small
    for side in (16, 32, 64):
        output = findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical", working_side=side)
        assert output.size == (64, 48) and _max_delta_l(output, gray) <= 1.0
        assert max(_patch_ab_errors(np.asarray(output), hints)) <= 3.0
        assert _stroke_ab_error(np.asarray(output), hints) <= 3.0


# ----------------------------------------------------------------------------- 12 megapixels


@pytest.fixture(scope="session")
def twelve_megapixels():
    gray = np.asarray(Image.fromarray(astronaut_gray(), "L").resize((4000, 3000), Image.Resampling.BICUBIC))
    small_hints = photo_hints(astronaut(), count=10)
    sx, sy = 4000 / 512, 3000 / 512
    hints = {"version": 1, "points": [
        {"x": round(p["x"] * sx), "y": round(p["y"] * sy), "color": p["color"], "radius": 8} for p in small_hints["points"]
    ]}
    return gray, hints, findcolor.colorize(Image.fromarray(gray, "L"), hints, engine="classical")


def test_twelve_megapixels(twelve_megapixels):
    gray, hints, output = twelve_megapixels
    assert output.size == (4000, 3000) and output.mode == "RGB"
    out = np.asarray(output)
    for y, x in ((0, 0), (1400, 1900), (2700, 3700)):  # three 300x300 crops, corner to corner
        crop = (slice(y, y + 300), slice(x, x + 300))
        assert np.abs(lab_of(out[crop])[..., 0] - lab_of(gray[crop])[..., 0]).max() <= 1.0
    errors = _patch_ab_errors(out, hints)
    assert max(errors) <= 3.0, errors
