"""LTX-2 (picture and sound) end to end on a tiny random model: text to video with its sound as
a WAV beside the clip, image to video, extend forward (the sound of the new frames only), the
shot's dialogue in the prompt, and which camera-control LoRA a camera move picks.

The tiny model's video VAE compresses 2x in space and time (frame counts 2k+1); its audio VAE
and vocoder make 16 kHz stereo.
"""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import LTX2ConditionPipeline  # noqa: E402

from engine.api import (  # noqa: E402
    Bridge,
    Extend,
    ImageToVideo,
    PinnedImage,
    Remix,
    TextToVideo,
    UnsupportedOperation,
)
from engine.backends.diffusers.ltx2 import (  # noqa: E402
    camera_lora_for,
    camera_move_of,
    dialogue_prompt,
)
from engine.job import run_job  # noqa: E402
from engine.media import probe  # noqa: E402

pytestmark = pytest.mark.timeout(600)

W, H = 64, 64
PROMPT = "wide, a ferry leaves the harbour at dusk"


@pytest.fixture(scope="module")
def ltx2_model(models_dir: Path) -> Path:
    from tests.engine_diffusers.tiny_ltx2 import build_ltx2

    path = models_dir / "tiny-ltx2"
    if not (path / "model_index.json").exists():
        build_ltx2(path)
    return path


def _wav(path: Path) -> tuple[int, int, int]:
    """(channels, rate, samples) of a WAV file."""
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getframerate(), w.getnframes()


def _opts(**kw):  # type: ignore[no-untyped-def]
    return {"max_sequence_length": 32, **kw}


def test_text_to_video_writes_the_sound_beside_the_clip(engine, ltx2_model, tmp_path, capture):
    calls = capture(LTX2ConditionPipeline)
    req = TextToVideo(
        prompt=PROMPT,
        dialogue="CAPTAIN: Last boat's gone.",
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(24),
        steps=2,
        guidance=1.0,
        model=str(ltx2_model),
        options=_opts(),
    )
    out = run_job(engine, req, tmp_path / "t2v")
    files = out.files
    assert files.num_frames == 9
    assert probe(tmp_path / "t2v" / files.video)[0] == 9
    assert files.audio is not None and files.audio_rate == 16000
    channels, rate, samples = _wav(tmp_path / "t2v" / files.audio)
    assert (channels, rate) == (2, 16000)
    video_s = files.num_frames / float(files.fps)
    assert abs(samples / rate - video_s) <= 1 / float(files.fps)
    # the dialogue was voiced through the prompt, in the form LTX-2's prompt guide gives
    sent = calls[0]["prompt"]
    assert sent.startswith(PROMPT) and 'The captain says: "Last boat\'s gone."' in sent
    recipe = out.result.recipe["diffusers"]
    assert recipe["family"] == "ltx2" and recipe["audio"]["sample_rate"] == 16000


def test_image_to_video_pins_the_still_and_keeps_sound(engine, ltx2_model, tmp_path, capture):
    import cv2
    import numpy as np

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((H, W, 3), (30, 90, 200), np.uint8))
    calls = capture(LTX2ConditionPipeline)
    req = ImageToVideo(
        prompt=PROMPT,
        images=(PinnedImage(still, 0),),
        width=W,
        height=H,
        num_frames=9,
        steps=2,
        guidance=1.0,
        model=str(ltx2_model),
        options=_opts(),
    )
    out = run_job(engine, req, tmp_path / "i2v")
    (cond,) = calls[0]["conditions"]
    assert cond.index == 0
    assert out.files.num_frames == 9 and out.files.audio is not None


def test_extend_forward_outputs_new_frames_and_their_sound(engine, ltx2_model, tmp_path, make_take):
    src = make_take(5, n=12, width=W, height=H, k=9)
    req = Extend(
        prompt=PROMPT,
        source=src,
        width=W,
        height=H,
        num_frames=8,
        steps=2,
        guidance=1.0,
        model=str(ltx2_model),
        options=_opts(),
    )
    out = run_job(engine, req, tmp_path / "ext")
    files = out.files
    assert files.num_frames == 8
    _, rate, samples = _wav(tmp_path / "ext" / files.audio)
    assert abs(samples / rate - 8 / 24) <= 1 / 24
    window = out.result.recipe["diffusers"]["window"]
    assert window["keep_end"] - window["keep_start"] == 8 and window["keep_start"] > 0


def test_bridge_outputs_the_frames_between_two_takes(engine, ltx2_model, tmp_path, make_take):
    a = make_take(7, n=12, width=W, height=H, k=9)
    b = make_take(8, n=12, width=W, height=H, k=9)
    req = Bridge(
        prompt=PROMPT,
        source_a=a,
        source_b=b,
        width=W,
        height=H,
        num_frames=6,
        steps=2,
        guidance=1.0,
        model=str(ltx2_model),
        options=_opts(),
    )
    prepared, _ = engine.prepare(req)
    out = run_job(engine, req, tmp_path / "bridge")
    n = out.files.num_frames
    assert n == prepared.num_frames and n >= 6
    _, rate, samples = _wav(tmp_path / "bridge" / out.files.audio)
    assert abs(samples / rate - n / 24) <= 1 / 24
    frames = [c["frame_index"] for c in out.result.recipe["diffusers"]["conditioning_frames"]]
    assert frames[0] == 0 and frames[1] > n  # A's tail first, B's head after the new frames


def test_remix_is_refused_in_one_line(engine, ltx2_model, make_take):
    src = make_take(6, n=9, width=W, height=H)
    with pytest.raises(UnsupportedOperation, match="cannot do remix"):
        engine.prepare(Remix(prompt=PROMPT, source=src, model=str(ltx2_model)))


def test_dialogue_goes_into_the_prompt_as_spoken_lines() -> None:
    text = dialogue_prompt("Close-up, the captain at the rail", "CAPTAIN: Last boat's gone.")
    assert text == 'Close-up, the captain at the rail. The captain says: "Last boat\'s gone."'
    two = dialogue_prompt("Two-shot", "Mara: Run.\nJONAS (V.O.): \u201cNot yet.\u201d")
    assert two == 'Two-shot. Mara says: "Run." Jonas says: "Not yet."'
    assert dialogue_prompt("wide", "") == "wide"
    assert dialogue_prompt("wide", "Hello there") == 'wide. A voice says: "Hello there"'


def test_camera_move_picks_the_installed_lora(tmp_path: Path) -> None:
    assert camera_move_of("slow dolly in on her face") == "dolly_in"
    assert camera_move_of("track left along the quay") == "dolly_left"
    assert camera_move_of("crane down to the street") == "jib_down"
    assert camera_move_of("static wide of the harbour") == "static"
    assert camera_move_of("pan right across the bay") is None
    loras = tmp_path / "model" / "loras"
    loras.mkdir(parents=True)
    (loras / "ltx-2-19b-lora-camera-control-dolly-in.safetensors").write_bytes(b"x")
    mine = tmp_path / "jib.safetensors"
    mine.write_bytes(b"x")
    assert camera_lora_for("dolly in", tmp_path / "model", None) == (
        "dolly_in",
        loras / "ltx-2-19b-lora-camera-control-dolly-in.safetensors",
    )
    assert camera_lora_for("crane up", tmp_path / "model", {"jib-up": str(mine)}) == (
        "jib_up",
        mine,
    )
    assert camera_lora_for("dolly out", tmp_path / "model", None) == ("dolly_out", None)
