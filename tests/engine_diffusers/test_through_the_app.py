"""A tiny LTX model used the way a filmmaker uses a real one: `previz models add`, then
`previz generate --engine diffusers` and `previz extend`, through the job queue and worker."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from tests.engine_diffusers.helpers import cli

pytestmark = pytest.mark.timeout(600)


def test_generate_and_extend_with_a_model_folder(
    tmp_path: Path, capsys, ltx_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "Real.previz"
    cli(capsys, "new", d, "--fps", "24", "--size", "160x96")
    cli(
        capsys,
        "shot",
        "add",
        d,
        "--prompt",
        "WIDE, dusk, a ferry leaves the pier",
        "--duration",
        "16f",
    )
    cli(capsys, "models", "add", ltx_model, "--default", "--json")
    take = cli(capsys, "generate", d, "0010", "--steps", "2", "--seed", "3", "--json")
    assert take["engine"] == "diffusers"
    assert take["model"]  # the folder that made it is recorded
    # LTX makes 8k+1 frames: 16 was snapped to 17 and the take records what was made
    assert take["frame_count"] == 17 and (take["width"], take["height"]) == (160, 96)
    assert take["fps"] == "24"
    assert any("17" in n for n in take["recipe"]["notes"])
    assert take["recipe"]["memory_plan"]
    assert take["recipe"]["speed"]["requested"]["cfg_batch"] is True  # the app settings arrived
    ext = cli(
        capsys, "extend", d, "0010", "--forward", "--duration", "8f", "--steps", "2", "--json"
    )
    assert ext["frame_count"] == 17 + 8 and ext["parents"] == [take["id"]]
    assert Fraction(ext["fps"]) == 24
