"""Corpus building blocks, the photo folder loader and its split, batches, and a smoke training run."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata

from findcolor.hints import Hints
from findcolor.model import HintNetConfig
from training import corpus
from training.dataset import CropSampler
from training.photos import list_photos, photos_in_split, split_of
from training.protocol import evaluation_views, hint_set, psnr_rgb
from training.train import TrainConfig, get_lr, parameter_groups, parse_args, train


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory) -> Path:
    """A folder of a few real colour photos (scikit-image's bundled samples), in sub-folders."""
    root = tmp_path_factory.mktemp("photos")
    samples = {"astronaut": skdata.astronaut(), "coffee": skdata.coffee(), "chelsea": skdata.chelsea(), "rocket": skdata.rocket()}
    for i, (name, rgb) in enumerate(samples.items()):
        folder = root / ("a" if i % 2 else "b")
        folder.mkdir(exist_ok=True)
        Image.fromarray(rgb).save(folder / f"{name}.jpg", quality=92)
        # crops of the same photo under other names, so every split gets photos
        for j in range(3):
            Image.fromarray(rgb[j * 20 :, j * 30 :]).save(folder / f"{name}-{j}.png")
    (root / "notes.txt").write_text("not an image")
    return root


def test_carving_finds_embedded_jpeg_and_webp_streams() -> None:
    photo = Image.fromarray(skdata.astronaut()).resize((300, 300))
    blob = b"junk" * 100 + _encoded(photo, "JPEG") + b"\x00" * 50 + _encoded(photo, "WEBP") + b"tail"
    carved = list(corpus.carve_images(blob))
    assert sorted(image.format for _, image in carved) == ["JPEG", "WEBP"]
    assert all(image.size == (300, 300) for _, image in carved)


def test_photo_filter_keeps_photos_and_drops_gray_and_flat_graphics() -> None:
    photo = np.asarray(Image.fromarray(skdata.astronaut()).resize((128, 128)), dtype=np.float32) / 255.0
    assert corpus.photo_rejection(photo) is None
    assert corpus.photo_rejection(np.repeat(photo.mean(axis=-1, keepdims=True), 3, axis=-1)) == "near-gray"
    flat = np.zeros((128, 128, 3), dtype=np.float32)
    flat[:, :64] = (0.9, 0.1, 0.1)
    flat[:, 64:] = (0.1, 0.2, 0.9)
    assert corpus.photo_rejection(flat).startswith("drawing")
    assert corpus.has_transparency(Image.new("RGBA", (4, 4), (0, 0, 0, 0)))
    assert not corpus.has_transparency(Image.new("RGB", (4, 4)))


def test_folder_loader_finds_every_image_and_splits_by_photo(photo_folder: Path) -> None:
    photos = list_photos(photo_folder)
    assert len(photos) == 16
    assert {p.path.suffix for p in photos} == {".jpg", ".png"}
    splits = {name: {p.id for p in photos_in_split(photo_folder, name)} for name in ("train", "val", "test")}
    assert sum(len(ids) for ids in splits.values()) == 16
    assert not (splits["train"] & splits["val"]) and not (splits["train"] & splits["test"])
    assert all(split_of(p.id) == split_of(p.id) for p in photos)  # deterministic


def test_a_manifest_defines_the_corpus(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    Image.fromarray(skdata.coffee()).save(tmp_path / "images" / "x.jpg")
    Image.fromarray(skdata.chelsea()).save(tmp_path / "images" / "ignored.jpg")
    record = {"id": "pkg--x", "file": "images/x.jpg"}
    (tmp_path / "manifest.json").write_text(json.dumps({"photos": [record], "skipped": []}))
    photos = list_photos(tmp_path)
    assert [(p.id, p.path.name) for p in photos] == [("pkg--x", "x.jpg")]


def test_batches_have_the_documented_shapes_and_clean_targets(photo_folder: Path) -> None:
    from training.dataset import load_photos

    config = HintNetConfig()
    sampler = CropSampler(load_photos(list_photos(photo_folder)), config, 48, seed=0)
    batch = sampler.batch(6)
    assert batch.lightness.shape == (6, 1, 48, 48) and batch.target_ab.shape == (6, 2, 48, 48)
    assert batch.hint_mask.shape == (6, 1, 48, 48) and batch.global_hints.shape == (6, config.global_dim)
    assert torch.isfinite(batch.lightness).all()
    # hints agree with the clean targets, not with anything degraded
    mask = batch.hint_mask[:, 0] > 0
    if mask.any():
        difference = (batch.hint_ab.permute(0, 2, 3, 1)[mask] - batch.target_ab.permute(0, 2, 3, 1)[mask]).abs()
        assert float(difference.mean()) < 25.0
    assert not torch.equal(batch.lightness, batch.clean_lightness)  # some input was degraded


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    config, _ = parse_args(["--steps", "100", "--warmup-steps", "10", "--lr", "1e-3"])
    lrs = [get_lr(step, config) for step in range(100)]
    assert lrs[0] < lrs[9] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[-1] == pytest.approx(1e-3 * config.min_lr_ratio, rel=0.05)


def test_evaluation_protocol_is_fixed_and_psnr_behaves(photo_folder: Path) -> None:
    views = evaluation_views(photo_folder, "train", limit=2)
    assert views[0].rgb.shape == (256, 256, 3)
    first, second = hint_set(views[0], 10), hint_set(views[0], 10)
    np.testing.assert_array_equal(first[1], second[1])
    assert 9 <= first[1].sum() <= 90
    assert psnr_rgb(views[0].rgb, views[0].rgb) > 90.0
    assert psnr_rgb(views[0].rgb * 0.5, views[0].rgb) < 20.0


SMOKE_ARGS = ["--smoke", "--threads", "1"]


@pytest.fixture(scope="module")
def smoke_run(photo_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """One uninterrupted smoke training run (config, out folder), shared by the tests that need one.

    Read-only for its users: a test that continues it works on a copy.
    """
    out = tmp_path_factory.mktemp("smoke") / "whole"
    config, resume = parse_args(["--data", str(photo_folder), "--out", str(out), *SMOKE_ARGS])
    assert not resume
    train(config)
    return config, out


@pytest.mark.slow
def test_smoke_training_lowers_the_loss_and_resumes(photo_folder: Path, smoke_run: tuple[object, Path], tmp_path: Path) -> None:
    config, whole = smoke_run
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    losses = [json.loads(line)["loss"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(losses) >= 6
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    checkpoint = torch.load(out / "last.pt", weights_only=False)
    assert checkpoint["step"] == config.steps
    assert checkpoint["model_config"]["architecture"] == "hintnet-v2"
    assert tuple(checkpoint["model_config"]["decoder_widths"]) == (8, 8, 16, 16, 16)
    # resume to a longer schedule: continues from the saved step
    smoke, resume = parse_args(["--data", str(photo_folder), "--out", str(out), *SMOKE_ARGS, "--resume"])
    assert resume
    train(dataclasses.replace(smoke, steps=48), resume=True)
    assert torch.load(out / "last.pt", weights_only=False)["step"] == 48


@pytest.mark.slow
def test_a_stopped_and_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(
    photo_folder: Path, smoke_run: tuple[object, Path], tmp_path: Path
) -> None:
    """The shipped weights must be reproducible from the training command, also across sessions."""
    common = ["--data", str(photo_folder), *SMOKE_ARGS]
    whole, whole_out = smoke_run
    first_half, _ = parse_args(common + ["--out", str(tmp_path / "split"), "--stop-at", "17"])
    train(first_half)
    assert torch.load(tmp_path / "split" / "last.pt", weights_only=False)["step"] == 17
    second_half, resume = parse_args(common + ["--out", str(tmp_path / "split"), "--resume"])
    train(second_half, resume=resume)
    uninterrupted = torch.load(whole_out / "last.pt", weights_only=False)
    resumed = torch.load(tmp_path / "split" / "last.pt", weights_only=False)
    assert resumed["step"] == uninterrupted["step"] == whole.steps
    assert uninterrupted["model"].keys() == resumed["model"].keys()
    for name, tensor in uninterrupted["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name


def test_hint_colour_weights_favour_pixels_of_a_hinted_colour_only() -> None:
    from training.dataset import Batch
    from training.train import hint_colour_weights

    target = torch.zeros(2, 2, 8, 8)
    target[:, 0, :, :4] = 50.0  # left half red, right half gray
    mask = torch.zeros(2, 1, 8, 8)
    mask[0, 0, 1, 1] = 1.0  # sample 0: one hint on the red half; sample 1: no hints
    hint_ab = target * mask
    batch = Batch(torch.zeros(2, 1, 8, 8), hint_ab, mask, torch.zeros(2, 3), target, torch.zeros(2, 1, 8, 8))
    weights = hint_colour_weights(batch, gain=2.0, sigma=10.0)
    assert torch.allclose(weights[0, 0, :, :4], torch.tensor(3.0))
    assert torch.allclose(weights[0, 0, :, 4:], torch.tensor(1.0), atol=1e-6)  # 50 ab away: exp(-25) ~ 0
    assert torch.equal(weights[1], torch.ones(1, 8, 8))
    assert torch.equal(hint_colour_weights(batch, gain=0.0, sigma=10.0), torch.ones(2, 1, 8, 8))


@pytest.mark.slow
def test_a_fine_tune_starts_from_shipped_weights_and_records_them(photo_folder: Path, tmp_path: Path) -> None:
    from training.export import export_checkpoint

    base, _ = parse_args(["--data", str(photo_folder), "--out", str(tmp_path / "base"), "--smoke"])
    train(dataclasses.replace(base, steps=4))
    chroma = {"scale": 0.9, "split": "val", "images": 1, "min_colourfulness": 0.75}
    sha = export_checkpoint(tmp_path / "base" / "last.pt", tmp_path / "weights", chroma_tuning=chroma)
    tune, _ = parse_args(["--data", str(photo_folder), "--out", str(tmp_path / "tune"), "--smoke", "--init-from", str(tmp_path / "weights")])
    tune = dataclasses.replace(tune, steps=3, lr=0.0, weight_decay=0.0, hint_colour_gain=2.0)  # after the smoke overrides
    train(tune)
    started = torch.load(tmp_path / "base" / "last.pt", weights_only=False)["model"]
    tuned = torch.load(tmp_path / "tune" / "last.pt", weights_only=False)
    assert tuned["pretrained_from"]["sha256"] == sha and tuned["pretrained_from"]["step"] == 4
    for name, parameter in build_model_parameters(tuned):
        assert torch.equal(parameter, started[name]), name  # learning rate 0: the fine-tune begins exactly there
    export_checkpoint(tmp_path / "tune" / "last.pt", tmp_path / "tuned-weights", settings_from=tmp_path / "weights")
    metadata = json.loads((tmp_path / "tuned-weights" / "hintnet.json").read_text())
    assert metadata["started_from"]["sha256"] == sha
    assert metadata["chroma_scale"] == 0.9 and metadata["settings_carried_over"]["from_sha256"] == sha


def test_blocks_added_to_a_trained_network_learn_at_the_full_rate_and_the_rest_slower() -> None:
    """``--init-lr-ratio`` slows only the parameters loaded by ``--init-from``; the pretrained
    encoder keeps its own ratio on top; new blocks (here the hint attention) get the full rate."""
    from findcolor.model import build_model

    model = build_model(HintNetConfig(decoder_widths=(8, 8, 16, 16, 16), hint_widths=(4, 4, 4, 4, 4), regions=2, hint_attention_dim=4))
    loaded = frozenset(name for name, _ in model.named_parameters() if not name.startswith("attention"))
    groups = parameter_groups(model, TrainConfig(encoder_lr_ratio=0.2, init_lr_ratio=0.1), loaded)
    scale_of = {id(parameter): group["lr_scale"] for group in groups for parameter in group["params"]}
    for name, parameter in model.named_parameters():
        expected = 1.0 if name.startswith("attention") else 0.1
        if name.startswith("encoder.") and not name.startswith("encoder.hint_injections."):
            expected *= 0.2
        assert scale_of[id(parameter)] == pytest.approx(expected), name
    assert sum(len(group["params"]) for group in groups) == len(list(model.parameters()))
    without = parameter_groups(model, TrainConfig(encoder_lr_ratio=0.2, init_lr_ratio=0.1))  # a run from ImageNet: nothing loaded
    assert {group["lr_scale"] for group in without} == {0.2, 1.0}


def build_model_parameters(checkpoint: dict) -> list[tuple[str, torch.Tensor]]:
    """The trainable parameters of a checkpoint (batch-norm running statistics move even at lr 0)."""
    from findcolor.model import build_model

    model = build_model(HintNetConfig.from_dict(checkpoint["model_config"]))
    names = {name for name, _ in model.named_parameters()}
    return [(name, tensor) for name, tensor in checkpoint["model"].items() if name in names]


TINY_V2 = HintNetConfig(decoder_widths=(8, 8, 8, 8, 8), hint_widths=(4, 4, 4, 4, 4), regions=2)  # the encoder keeps its size


def test_evaluation_table_compares_engines_on_the_same_hints(photo_folder: Path, tmp_path: Path) -> None:
    from findcolor.model import build_model
    from findcolor.model_v1 import HintNetV1Config
    from findcolor.network_io import save_weights
    from training.evaluate import ENGINE_COLUMNS, build_engines, evaluate, markdown_report, markdown_table
    from training.protocol import HintCase

    save_weights(build_model(TINY_V2).eval(), {}, tmp_path / "v2")
    save_weights(build_model(HintNetV1Config(widths=(8, 16, 24, 32), bottleneck_dilations=(1,), regions=2)).eval(), {}, tmp_path / "v1")
    engines = build_engines(tmp_path / "v2", tmp_path / "v1")
    assert tuple(engines) == ENGINE_COLUMNS == ("gray", "classical", "v1 auto", "v2 neural", "v2 auto")
    views = evaluation_views(photo_folder, "train", limit=2)
    cases = (HintCase(long_strokes=3), HintCase(palette_colours=6))
    results = evaluate(views, engines, counts=(0, 5), other_cases=cases)
    gray, classical = results["engines"]["gray"], results["engines"]["classical"]
    assert gray["0"]["psnr"] == pytest.approx(classical["0"]["psnr"])  # no hints: the classical engine is gray
    assert gray["0"]["colourfulness"] < 1e-3 and gray["5"]["bleed"] == 0.0  # (8-bit rounding of L-only colours)
    assert classical["5"]["psnr"] > gray["5"]["psnr"]
    for engine in ENGINE_COLUMNS[1:]:
        assert results["engines"][engine]["5"]["hint_error_max"] <= 3.0
        assert results["engines"][engine]["0"]["boundary_images"] == len(views)
    assert set(results["other_hints"]) == {"3 long strokes", "palette (6 colours), no local hints"}
    strokes = results["other_hints"]["3 long strokes"]
    assert strokes["classical"]["psnr"] > strokes["gray"]["psnr"]
    assert strokes["classical"]["bleed"] > 0.0  # the classical solve floods other objects from the strokes
    assert all(strokes[engine]["hint_error_max"] <= 3.0 for engine in ENGINE_COLUMNS[1:])
    palette_only = results["other_hints"]["palette (6 colours), no local hints"]
    assert palette_only["classical"]["psnr"] == pytest.approx(palette_only["gray"]["psnr"])  # the classical engine ignores global hints
    table = markdown_table({**results, "split": "test"})
    assert "| 5 |" in table and "max hint ab error" in table and "| 3 long strokes |" in table and "| bleed, 3 long strokes |" in table
    report = markdown_report({"splits": {"test": {**results, "split": "test"}, "ood": {**results, "split": "ood"}}})
    assert "**test** (in-distribution" in report and "**ood** (out-of-distribution" in report


def test_evaluation_command_writes_every_split_asked_for_and_tunes_on_validation_only(photo_folder: Path, tmp_path: Path) -> None:
    from training.evaluate import main

    main(["--data", str(photo_folder), "--split", "train,val", "--limit", "1", "--no-baseline", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "eval.json").read_text())
    assert list(report["splits"]) == ["train", "val"] and list(report["splits"]["val"]["engines"]) == ["gray", "classical"]
    assert "**val**" in (tmp_path / "eval.md").read_text()
    with pytest.raises(SystemExit):
        main(["--data", str(photo_folder), "--split", "ood", "--tune-blend", "8,16", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["--data", str(photo_folder), "--split", "test,nonsense"])


def test_stroke_and_global_hints_of_the_protocol_come_from_the_true_photo(photo_folder: Path) -> None:
    from findcolor.hints import hint_ab
    from training.protocol import global_hints, stroke_hint_set

    view = evaluation_views(photo_folder, "train", limit=1)[0]
    ab, mask = stroke_hint_set(view, 3)
    np.testing.assert_array_equal(mask, stroke_hint_set(view, 3)[1])  # fixed for every engine and run
    assert 3 <= mask.sum() < 0.2 * mask.size
    colours = np.unique(ab[mask].round(3), axis=0)
    assert 1 <= len(colours) <= 3  # one colour per stroke
    for colour in colours:  # each close to the true chroma under it (a stroke stays in one colour region)
        under = mask & (np.abs(ab - colour).max(axis=-1) < 1e-3)
        assert np.hypot(*(view.lab[..., 1:][under].mean(axis=0) - colour)) < 12.0
    hints = global_hints(view, palette_colours=6, saturation=True)
    assert 1 <= len(hints.palette) <= 6 and sum(c.weight for c in hints.palette) == pytest.approx(1.0)
    assert 0.0 < hints.saturation < 1.0
    true_ab = view.lab[..., 1:].reshape(-1, 2)
    for colour in hints.palette:  # every palette colour is a chroma that really occurs in the photo
        assert np.hypot(*(true_ab - np.array(hint_ab(colour.color))).T).min() < 10.0
    assert global_hints(view).is_empty


def test_corpus_build_skips_packages_it_cannot_fetch_and_records_licences(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "unpacked" / "fake-photos"
    (root / "usr/share/pics").mkdir(parents=True)
    (root / "usr/share/doc/fake-photos").mkdir(parents=True)
    (root / "usr/share/doc/fake-photos/copyright").write_text("License: CC0")
    Image.fromarray(skdata.astronaut()).save(root / "usr/share/pics/astronaut.jpg")
    Image.fromarray(skdata.astronaut()).save(root / "usr/share/pics/zz-astronaut-copy.png")  # a duplicate (sorted after the original)
    Image.fromarray(np.full((300, 300, 3), 128, dtype=np.uint8)).save(root / "usr/share/pics/gray.jpg")

    def fake_fetch(package: str, workdir: Path) -> tuple[Path, str]:
        if package == "missing-package":
            raise RuntimeError("E: Unable to locate package missing-package")
        return workdir / "unpacked" / package, "1.0-1"

    monkeypatch.setattr(corpus, "fetch_package", fake_fetch)
    sources = (
        corpus.Source("missing-package", ("*.jpg",), "GPL"),
        corpus.Source("fake-photos", ("usr/share/pics/*",), "CC0"),
    )
    manifest = corpus.build_corpus(tmp_path / "corpus", tmp_path, sources)
    assert [p["id"] for p in manifest["photos"]] == ["fake-photos--astronaut-jpg"]
    record = manifest["photos"][0]
    assert record["licence"] == "CC0" and record["package_version"] == "1.0-1"
    assert (tmp_path / "corpus" / record["file"]).is_file()
    reasons = {s.get("member", s["package"]).split("/")[-1]: s["reason"] for s in manifest["skipped"]}
    assert reasons["missing-package"].startswith("E: Unable to locate")
    assert reasons["zz-astronaut-copy.png"] == "duplicate" and reasons["gray.jpg"] == "near-gray"
    assert (tmp_path / "corpus" / "licences" / "fake-photos.copyright").read_text() == "License: CC0"
    assert list_photos(tmp_path / "corpus")[0].id == "fake-photos--astronaut-jpg"


def test_photo_ids_stay_unique_when_file_names_repeat() -> None:
    taken: set[str] = set()
    members = [f"usr/share/wallpapers/{name}/contents/images/2560x1600.jpg" for name in ("Kite", "Path", "Cups")]
    ids = []
    for member in members:
        ids.append(corpus.unique_photo_id("plasma", member, taken))
        taken.add(ids[-1])
    assert len(set(ids)) == 3
    assert ids[0] == "plasma--2560x1600-jpg" and "Path" in ids[1]


def test_blend_tuning_picks_parameters_from_the_candidates_and_export_ships_them(photo_folder: Path, tmp_path: Path) -> None:
    from findcolor.combined import CombinedEngine
    from findcolor.model import build_model
    from findcolor.network_io import save_weights
    from training.evaluate import tune_blend
    from training.export import export_checkpoint

    tiny = TINY_V2
    model = build_model(tiny).eval()
    save_weights(model, {}, tmp_path / "weights")
    views = evaluation_views(photo_folder, "train", limit=2)
    tuning = tune_blend(views, tmp_path / "weights", [4.0, 400.0], (0.0, 2.0), (0.0, 1e-3), counts=(0, 2, 10))
    assert len(tuning["scores"]) == 8 and set(tuning["scores"]["2|0.001|400"]) == {"2", "10"}  # no blend without hints
    assert set(tuning["by_count"]) == set(tuning["decay_by_count"]) == {"2", "10"}
    assert tuning["edge_weight"] in (0.0, 2.0) and set(tuning["by_count"].values()) <= {4.0, 400.0}
    edge = f"{tuning['edge_weight']:g}"
    from training.evaluate import BLEED_CHECK_STROKES, BLEED_SLACK_AB, BLEED_TOLERANCE

    assert set(tuning["network_bleed"]) == {"1"}  # 2 hints are checked against one long stroke
    limit = BLEED_TOLERANCE * tuning["network_bleed"]["1"] + BLEED_SLACK_AB
    for count, scale in tuning["by_count"].items():  # the chosen pair is the best allowed for its count
        key = f"{edge}|{tuning['decay_by_count'][count]:g}|{scale:g}"
        candidates = {k: scores[count] for k, scores in tuning["scores"].items() if k.startswith(edge + "|")}
        if int(count) in BLEED_CHECK_STROKES:  # flooding candidates are not allowed
            allowed = {k: v for k, v in candidates.items() if tuning["bleed"][k]["1"] <= limit}
            if allowed:
                assert tuning["bleed"][key]["1"] <= limit
                candidates = allowed
            else:
                assert tuning["bleed"][key]["1"] == min(tuning["bleed"][k]["1"] for k in candidates)
                continue
        assert tuning["scores"][key][count] == max(candidates.values())
    means = tuning["best_mean_by_edge_weight"]
    assert means[edge] >= max(means.values()) - 0.02  # the largest edge weight within 0.02 dB of the best
    assert all(means[f"{e:g}"] < max(means.values()) - 0.02 for e in (0.0, 2.0) if e > tuning["edge_weight"])
    strict = tune_blend(views, tmp_path / "weights", [4.0, 400.0], (0.0, 2.0), (0.0,), counts=(2,), edge_tolerance_db=0.0)
    assert strict["best_mean_by_edge_weight"][f"{strict['edge_weight']:g}"] == max(strict["best_mean_by_edge_weight"].values())
    checkpoint = {"model_config": tiny.to_dict(), "model": model.state_dict(), "step": 7, "best_val": 20.0, "train_config": {"data": str(photo_folder)}}
    torch.save(checkpoint, tmp_path / "best.pt")
    export_checkpoint(tmp_path / "best.pt", tmp_path / "shipped", blend_tuning={"split": "val", "images": 2, **tuning})
    engine = CombinedEngine(tmp_path / "shipped")
    assert engine.edge_weight == tuning["edge_weight"]
    assert engine.schedule == {int(c): s for c, s in tuning["by_count"].items()}
    assert engine.decays == {int(c): d for c, d in tuning["decay_by_count"].items()}


def test_feature_bandwidth_tuning_keeps_the_best_bandwidth_and_export_ships_it(photo_folder: Path, tmp_path: Path) -> None:
    from findcolor.combined import CombinedEngine
    from findcolor.model import build_model
    from findcolor.network_io import save_weights
    from training.evaluate import tune_blend_and_features
    from training.export import export_checkpoint

    torch.manual_seed(0)
    model = build_model(TINY_V2).eval()
    save_weights(model, {}, tmp_path / "weights")
    views = evaluation_views(photo_folder, "train", limit=2)
    tuning = tune_blend_and_features(views, tmp_path / "weights", [8.0], (0.0, 0.5), edge_weights=(0.0,), counts=(2, 10))
    means = tuning["best_mean_by_feature_bandwidth"]
    assert set(means) == {"0", "0.5"} and means["0"] != means["0.5"]  # the features change the scores
    assert means[f"{tuning['feature_bandwidth']:g}"] == max(means.values())
    checkpoint = {"model_config": TINY_V2.to_dict(), "model": model.state_dict(), "step": 7, "best_val": 20.0, "train_config": {"data": str(photo_folder)}}
    torch.save(checkpoint, tmp_path / "best.pt")
    export_checkpoint(tmp_path / "best.pt", tmp_path / "shipped", blend_tuning={"split": "val", "images": 2, **tuning})
    assert CombinedEngine(tmp_path / "shipped").feature_bandwidth == tuning["feature_bandwidth"]
    export_checkpoint(tmp_path / "best.pt", tmp_path / "fine-tuned", settings_from=tmp_path / "shipped")
    assert CombinedEngine(tmp_path / "fine-tuned").feature_bandwidth == tuning["feature_bandwidth"]


def test_a_rebuilt_corpus_is_checked_against_the_recorded_manifest() -> None:
    recorded = {"photos": [{"id": "a", "sha256": "1"}, {"id": "b", "sha256": "2"}, {"id": "c", "sha256": "3"}]}
    assert corpus.manifest_differences(recorded, recorded) == []
    rebuilt = {"photos": [{"id": "a", "sha256": "1"}, {"id": "b", "sha256": "9"}, {"id": "d", "sha256": "4"}]}
    assert corpus.manifest_differences(rebuilt, recorded) == ["missing: c", "not in the recorded manifest: d", "different file: b"]


def test_chroma_tuning_respects_the_colourfulness_floor_and_export_ships_the_scale(photo_folder: Path, tmp_path: Path) -> None:
    from findcolor.model import build_model
    from findcolor.network_io import load_weights, run_network, save_weights
    from training.evaluate import tune_chroma
    from training.export import export_checkpoint

    model = build_model(TINY_V2).eval()
    save_weights(model, {}, tmp_path / "weights")
    views = evaluation_views(photo_folder, "train", limit=2)
    tuning = tune_chroma(views, tmp_path / "weights", [0.0, 0.5, 1.0], min_colourfulness=0.0)
    means = {s: float(np.mean(list(by.values()))) for s, by in tuning["scores"].items()}
    assert f"{tuning['scale']:g}" == max(means, key=means.get)  # no floor: the best PSNR wins
    assert tuning["colourfulness"]["0"] < 1e-3 < tuning["colourfulness"]["1"]  # scale 0 is gray (up to 8-bit rounding)
    floor = tune_chroma(views, tmp_path / "weights", [0.0, 0.5, 1.0], min_colourfulness=1e-3)
    assert floor["scale"] > 0.0  # gray output is never allowed once a floor is set
    checkpoint = {"model_config": TINY_V2.to_dict(), "model": model.state_dict(), "step": 3, "best_val": 20.0, "train_config": {"data": str(photo_folder)}}
    torch.save(checkpoint, tmp_path / "best.pt")
    export_checkpoint(tmp_path / "best.pt", tmp_path / "shipped", chroma_tuning={"split": "val", "images": 2, **{**floor, "scale": 0.5}})
    weights = load_weights(tmp_path / "shipped")
    lightness = views[0].lab[..., 0].copy()
    no_hints = (np.zeros((*lightness.shape, 2), np.float32), np.zeros(lightness.shape, bool))
    calibrated = run_network(weights, lightness, *no_hints, Hints())["ab"]
    raw = run_network(weights, lightness, *no_hints, Hints(), with_calibration=False)["ab"]
    assert np.abs(raw).max() > 0.1
    np.testing.assert_allclose(calibrated, 0.5 * raw, rtol=1e-6, atol=1e-6)


def test_retuning_a_weights_folder_keeps_its_network_byte_for_byte(tmp_path: Path) -> None:
    from findcolor.combined import CombinedEngine
    from findcolor.model import build_model
    from findcolor.network_io import load_weights, save_weights
    from training.export import main as export_main

    torch.manual_seed(0)
    sha = save_weights(build_model(TINY_V2).eval(), {"step": 3, "combined_blend_scales": {"1": 8.0}}, tmp_path / "weights")
    tuning = {"split": "val", "images": 2, "by_count": {"1": 16.0}, "edge_weight": 4.0, "decay_by_count": {"1": 1e-5}, "feature_bandwidth": 0.5}
    (tmp_path / "tuning.json").write_text(json.dumps(tuning))
    export_main(["--weights", str(tmp_path / "weights"), "--blend-tuning", str(tmp_path / "tuning.json"), "--out", str(tmp_path / "retuned")])
    assert (tmp_path / "retuned" / "hintnet.safetensors").read_bytes() == (tmp_path / "weights" / "hintnet.safetensors").read_bytes()
    assert load_weights(tmp_path / "retuned").sha256 == sha
    engine = CombinedEngine(tmp_path / "retuned")
    assert (engine.schedule, engine.edge_weight, engine.decays, engine.feature_bandwidth) == ({1: 16.0}, 4.0, {1: 1e-5}, 0.5)
    assert load_weights(tmp_path / "retuned").metadata["step"] == 3  # the rest of the record is kept
