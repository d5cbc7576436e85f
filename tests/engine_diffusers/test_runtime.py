"""Running models: live previews, cancel inside the step loop, memory plans and out-of-memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import AutoencoderKLLTXVideo, LTXConditionPipeline  # noqa: E402

from engine.api import (  # noqa: E402
    Cancelled,
    CancelToken,
    CollectingSink,
    EngineError,
    TextToVideo,
)
from engine.backends.diffusers import DiffusersEngine  # noqa: E402
from engine.backends.diffusers.device import (  # noqa: E402
    DeviceInfo,
    choose_plan,
    next_plan,
    oom_message,
)
from engine.backends.diffusers.preview import LatentProjection, fit_projection  # noqa: E402
from engine.job import run_job  # noqa: E402

W, H = 96, 64
GIB = 1024**3


def _t2v(model: Path, **kw) -> TextToVideo:  # type: ignore[no-untyped-def]
    fields = dict(
        prompt="wide shot, dusk", width=W, height=H, num_frames=9, steps=4, model=str(model)
    )
    fields.update(kw)
    return TextToVideo(**fields)


def test_every_step_reports_a_small_rgb_preview(engine, ltx_model, events):
    engine.generate(_t2v(ltx_model), CollectingSink(), events.append)
    denoise = [e for e in events if e.stage == "denoise"]
    assert [e.step for e in denoise] == [1, 2, 3, 4]
    assert all(e.total == 4 for e in denoise)
    for e in denoise:
        assert e.preview is not None and e.preview.dtype == np.uint8
        assert e.preview.shape == (107, 160, 3)  # ~160 px wide, the frame's aspect
    # the stages come in order: load (first time only), denoise, decode, write
    stages = [e.stage for e in events]
    assert stages.index("denoise") < stages.index("decode") < stages.index("write")


def test_the_preview_fit_recovers_a_linear_latent_code():
    """On a VAE whose latents are a linear code of colour (as real VAEs nearly are), the fitted
    projection decodes colours back exactly. (The tiny random test VAEs are not colour-linear,
    so their fitted previews are only rough.)"""
    gen = torch.Generator().manual_seed(0)
    code = torch.randn(8, 3, generator=gen)
    offset = torch.randn(8, generator=gen)

    def encode(images):  # type: ignore[no-untyped-def]  # (N, 3, 1, H, W) -> (N, 8, 1, H/4, W/4)
        small = images[:, :, :, ::4, ::4]
        return torch.einsum("cd,ndfhw->ncfhw", code, small) + offset[None, :, None, None, None]

    proj = fit_projection(encode, 8, 4, device="cpu", dtype=torch.float32)
    assert proj.source == "fitted"
    colours = torch.rand(50, 3, generator=gen) * 2 - 1
    latents = colours @ code.T + offset
    back = latents.numpy() @ proj.weights + proj.bias
    assert np.abs(back - colours.numpy()).max() < 1e-3


def _halves(channels: int, h: int, w: int, left: int, right: int) -> torch.Tensor:
    """A latent frame whose left half is +1 in channel `left`, right half in channel `right`."""
    frame = torch.zeros(channels, h, w)
    frame[left, :, : w // 2] = 1.0
    frame[right, :, w // 2 :] = 1.0
    return frame


def _red_left_blue_right(preview: np.ndarray) -> bool:
    h, w, _ = preview.shape
    left = preview[:, : w // 3].reshape(-1, 3).mean(axis=0)
    right = preview[:, -w // 3 :].reshape(-1, 3).mean(axis=0)
    return bool(left[0] > left[2] + 100 and right[2] > right[0] + 100)


def test_ltx_preview_reads_the_middle_video_frame_not_the_condition_tokens(engine, ltx_model):
    engine.generate(_t2v(ltx_model, steps=1), CollectingSink())
    loaded, adapter = engine._loaded, engine.adapter_for(str(ltx_model))
    c = adapter.latent_channels
    saved = loaded.projection
    weights = np.zeros((c, 3), np.float32)
    weights[0, 0] = weights[2, 2] = 2.0  # channel 0 -> red, channel 2 -> blue
    loaded.projection = LatentProjection(weights, -np.ones(3, np.float32), "test")
    try:
        frames = torch.stack(
            [_halves(c, 16, 24, 1, 1), _halves(c, 16, 24, 0, 2), _halves(c, 16, 24, 2, 0)],
            dim=1,
        )[None]  # (1, C, 3, 16, 24): only the middle frame is red | blue
        packed = loaded.pipe._pack_latents(frames, 1, 1)
        extra = torch.full((1, 5, packed.shape[-1]), 3.0)  # conditioning tokens come first
        preview = adapter.preview(loaded, torch.cat([extra, packed], dim=1), (3, 16, 24))
    finally:
        loaded.projection = saved
    assert preview.shape == (107, 160, 3)
    assert _red_left_blue_right(preview)


def test_wan_preview_skips_reference_image_frames(engine, wan_vace_model):
    adapter = engine.adapter_for(str(wan_vace_model))
    c = adapter.latent_channels
    weights = np.zeros((c, 3), np.float32)
    weights[0, 0] = weights[2, 2] = 2.0

    class Loaded:
        projection = LatentProjection(weights, -np.ones(3, np.float32), "test")

    latents = torch.stack(
        [
            _halves(c, 8, 12, 2, 0),
            _halves(c, 8, 12, 1, 1),
            _halves(c, 8, 12, 0, 2),
            _halves(c, 8, 12, 1, 1),
        ],
        dim=1,
    )[None]  # frame 0 is a reference image; frames 1..3 are the video, 2 is its middle
    preview = adapter.preview(Loaded(), latents, 1)
    assert _red_left_blue_right(preview)


def test_cancel_raises_inside_the_step_loop_before_any_decode(
    engine, ltx_model, tmp_path, count_calls
):
    decodes = count_calls(AutoencoderKLLTXVideo, "decode")
    token = CancelToken()
    steps_seen: list[int] = []

    def on_progress(event) -> None:  # type: ignore[no-untyped-def]
        if event.stage == "denoise":
            steps_seen.append(event.step)
            token.cancel()  # the user presses cancel while step 1 is shown

    out = tmp_path / "job"
    with pytest.raises(Cancelled):
        run_job(engine, _t2v(ltx_model, steps=6), out, on_progress, token)
    assert steps_seen == [1]  # step 2's callback raised before reporting
    assert decodes[0] == 0  # the VAE never ran
    assert not (out / "clip.mp4").exists()  # the job's files were removed


def test_out_of_memory_names_the_next_plan_and_can_retry_with_it(
    ltx_model, monkeypatch: pytest.MonkeyPatch
):
    # A fake GPU whose tensors live on the CPU: plans and hooks run for real.
    gpu = DeviceInfo("cuda", "Fake GPU", 64 * GIB, 80 * GIB, 64 * GIB, torch_device="cpu")
    original = LTXConditionPipeline.__call__
    fail = {"left": 1}

    def oom_once(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if fail["left"]:
            fail["left"] -= 1
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LTXConditionPipeline, "__call__", oom_once)
    plain = DiffusersEngine(device_info=gpu)
    with pytest.raises(EngineError) as err:
        plain.generate(_t2v(ltx_model, steps=2), CollectingSink())
    msg = str(err.value)
    assert "ran out of memory" in msg and "everything on the GPU" in msg
    assert "retry the job to use the next memory plan, model_offload" in msg
    assert "PREVIZ_MEMORY_PLAN=model_offload" in msg
    assert "\n" not in msg
    # the app keeps going: retrying the job on the same (warm) engine uses the next plan
    res = plain.generate(_t2v(ltx_model, steps=2), CollectingSink())
    assert res.recipe["memory_plan"] == "model_offload"
    assert any("earlier job ran out of memory" in n for n in res.notes)

    fail["left"] = 1
    retrying = DiffusersEngine(device_info=gpu, oom_retry=True)
    sink = CollectingSink()
    res = retrying.generate(_t2v(ltx_model, steps=2), sink)
    assert res.frames == 9 and len(sink.frames) == 9
    assert res.recipe["memory_plan"] == "model_offload"
    assert any("retried with model CPU offload" in n for n in res.notes)
    assert retrying.loads == 2  # unloaded, then loaded again with the next plan


def test_memory_plan_follows_free_memory():
    def gpu(free_gib: float, ram_gib: float = 64) -> DeviceInfo:
        return DeviceInfo("cuda", "GPU", int(free_gib * GIB), 80 * GIB, int(ram_gib * GIB))

    weights, largest = 36 * GIB, 26 * GIB  # an LTX 13B in bf16, roughly
    assert choose_plan(gpu(78), weights, largest).name == "full"
    assert choose_plan(gpu(32), weights, largest).name == "model_offload"
    assert choose_plan(gpu(20), weights, largest).name == "group_offload"
    # 8 GiB of RAM cannot hold 36 GiB of offloaded weights (group offload would pin even more)
    with pytest.raises(EngineError, match="does not fit"):
        choose_plan(gpu(32, ram_gib=8), weights, largest)
    cpu = DeviceInfo("cpu", "CPU", 16 * GIB, None, 16 * GIB)
    assert choose_plan(cpu, weights, largest).name == "full"
    assert choose_plan(gpu(78), weights, largest, forced="group_offload").name == "group_offload"
    assert next_plan("full") == "model_offload" and next_plan("group_offload") is None
    last = oom_message("group_offload", gpu(8), "121 frames at 1216x704", None)
    assert "smaller or shorter shot" in last


def test_a_warm_engine_loads_each_model_once(ltx_model, count_calls):
    loads = count_calls(LTXConditionPipeline, "from_pretrained")
    warm = DiffusersEngine()
    for seed in (1, 2):
        warm.generate(_t2v(ltx_model, steps=1, seed=seed), CollectingSink())
    assert loads[0] == 1 and warm.loads == 1


def test_same_seed_same_frames_different_seed_different_frames(engine, ltx_model):
    def frames(seed: int) -> np.ndarray:
        sink = CollectingSink()
        engine.generate(_t2v(ltx_model, steps=2, seed=seed), sink)
        return sink.array()

    a, b, c = frames(5), frames(5), frames(6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_device_detection_and_vae_tiling_choice():
    from engine.api import RequestError
    from engine.backends.diffusers.device import detect_device, needs_vae_tiling, pick_dtype

    cpu = detect_device("cpu")
    assert cpu.kind == "cpu" and pick_dtype(cpu) == torch.float32
    with pytest.raises(RequestError, match="auto, cuda, mps or cpu"):
        detect_device("tpu")
    gpu = DeviceInfo("cuda", "GPU", 24 * GIB, 24 * GIB, 64 * GIB, bf16=True)
    assert pick_dtype(DeviceInfo("cuda", "GPU", 1, 1, 1, bf16=True, torch_device="cuda")) == (
        torch.bfloat16
    )
    # 121 frames of 1216x704 decoded next to 20 GiB of weights do not fit in 24 GiB: tile
    decode = 121 * 1216 * 704 * 64 * 2
    assert needs_vae_tiling(gpu, "full", 20 * GIB, decode)
    assert not needs_vae_tiling(gpu, "model_offload", 20 * GIB, 2 * GIB)
