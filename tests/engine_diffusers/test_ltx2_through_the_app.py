"""LTX-2 the way a filmmaker uses it: a shot with a spoken line, `previz generate` with the
model folder, and the take keeps the sound the model made, in step with its frames."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path

import pytest

from tests.engine_diffusers.helpers import cli

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def ltx2_folder(models_dir: Path) -> Path:
    from tests.engine_diffusers.tiny_ltx2 import build_ltx2

    path = models_dir / "tiny-ltx2"
    if not (path / "model_index.json").exists():
        build_ltx2(path)
    return path


def test_a_take_from_ltx2_keeps_its_sound_and_speaks_the_shots_line(
    tmp_path: Path, capsys, ltx2_folder: Path
) -> None:
    d = tmp_path / "Talk.previz"
    cli(capsys, "new", d, "--fps", "24", "--size", "128x96")
    cli(
        capsys,
        "shot",
        "add",
        d,
        "--prompt",
        "MCU, night, the captain at the wheel",
        "--dialogue",
        "CAPTAIN: Last boat's gone.",
        "--duration",
        "16f",
    )
    cli(capsys, "models", "add", ltx2_folder, "--default", "--json")
    take = cli(capsys, "generate", d, "0010", "--steps", "2", "--seed", "3", "--json")
    assert take["engine"] == "diffusers"
    # the shot's line reached the model as the prompt guide writes spoken lines
    sent = take["recipe"]["diffusers"]["prompt_sent"]
    assert 'says: "Last boat\'s gone."' in sent, sent
    # the take has its sound, as long as its frames (within one frame)
    sounds = [a for a in take["audio"] if a["path"]]
    assert sounds, take["audio"]
    wav = d / sounds[0]["path"]
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    video_s = take["frame_count"] / Fraction(take["fps"])
    assert abs(seconds - float(video_s)) <= 1 / 24 + 1e-6
