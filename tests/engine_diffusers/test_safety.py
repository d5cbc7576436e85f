"""Model folders that would run code or unpickle weights are refused before anything loads.

These checks read files only, so they run without torch (huggingface_hub is not needed either).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.api import RequestError, TextToVideo
from engine.backends.diffusers import DiffusersEngine
from engine.hub import (
    ModelError,
    UnsafeModel,
    add_folder,
    find_local_models,
    inspect_model_folder,
)
from tests.engine_diffusers.helpers import LTX_INDEX, fake_ltx_files, write_folder


def _request(model: Path) -> TextToVideo:
    return TextToVideo(prompt="wide shot", width=704, height=480, num_frames=9, model=str(model))


def test_a_safetensors_folder_is_accepted(tmp_path: Path):
    folder = write_folder(tmp_path / "ok", LTX_INDEX, fake_ltx_files())
    (folder / "transformer" / "diffusion_pytorch_model.bin").write_bytes(b"\0")  # ignored
    info = inspect_model_folder(folder)
    assert info.complete and info.family == "ltx" and info.pipeline == "LTXConditionPipeline"
    assert add_folder(folder).usable


def test_pickle_only_weights_are_refused(tmp_path: Path):
    folder = write_folder(tmp_path / "pickled", LTX_INDEX, fake_ltx_files("bin"))
    with pytest.raises(UnsafeModel, match=r"pickle checkpoints .*safetensors only"):
        inspect_model_folder(folder)
    with pytest.raises(UnsafeModel, match="pickle"):
        DiffusersEngine().prepare(_request(folder))
    (listed,) = find_local_models([tmp_path / "pickled"])
    assert not listed.usable and "pickle" in (listed.problem or "")


def test_a_ckpt_next_to_configs_is_refused(tmp_path: Path):
    folder = write_folder(tmp_path / "ckpt", LTX_INDEX, fake_ltx_files("ckpt"))
    with pytest.raises(UnsafeModel, match="pickle"):
        inspect_model_folder(folder)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"_class_name": ["my_pipeline", "MyPipeline"]}, "code module"),
        ({"_class_name": "TotallyCustomVideoPipeline"}, "not part of diffusers"),
        ({"custom_pipeline": "someone/remote-code"}, "custom pipeline code"),
        ({"transformer": ["my_models", "FastTransformer"]}, "outside diffusers and transformers"),
    ],
)
def test_custom_pipelines_are_refused(tmp_path: Path, change: dict, match: str):
    folder = write_folder(tmp_path / "custom", {**LTX_INDEX, **change}, fake_ltx_files())
    with pytest.raises(UnsafeModel, match=match):
        inspect_model_folder(folder)
    with pytest.raises(UnsafeModel, match="never runs code"):
        DiffusersEngine().prepare(_request(folder))


def test_remote_code_in_a_component_config_is_refused(tmp_path: Path):
    files = fake_ltx_files()
    files["text_encoder/config.json"] = json.dumps({"auto_map": {"AutoModel": "modeling.Enc"}})
    folder = write_folder(tmp_path / "automap", LTX_INDEX, files)
    with pytest.raises(UnsafeModel, match="auto_map"):
        inspect_model_folder(folder)


def test_python_files_are_refused(tmp_path: Path):
    files = fake_ltx_files()
    files["transformer/modeling_fast.py"] = "import os\n"
    folder = write_folder(tmp_path / "pyfile", LTX_INDEX, files)
    with pytest.raises(UnsafeModel, match=r"Python code \(transformer/modeling_fast.py\)"):
        add_folder(folder)


def test_not_a_model_folder_says_what_to_do(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no model_index.json"):
        inspect_model_folder(tmp_path / "empty")
    sdxl = {**LTX_INDEX, "_class_name": "StableDiffusionXLPipeline"}
    folder = write_folder(tmp_path / "sdxl", sdxl, fake_ltx_files())
    pytest.importorskip("diffusers")
    with pytest.raises(ModelError, match="runs LTX-Video and Wan"):
        inspect_model_folder(folder)


def test_missing_shards_make_a_folder_incomplete(tmp_path: Path):
    files = fake_ltx_files()
    del files["transformer/diffusion_pytorch_model.safetensors"]
    files["transformer/diffusion_pytorch_model-00001-of-00002.safetensors"] = b"\0"
    files["transformer/diffusion_pytorch_model.safetensors.index.json"] = json.dumps(
        {
            "weight_map": {
                "a": "diffusion_pytorch_model-00001-of-00002.safetensors",
                "b": "diffusion_pytorch_model-00002-of-00002.safetensors",
            }
        }
    )
    folder = write_folder(tmp_path / "partial", LTX_INDEX, files)
    info = inspect_model_folder(folder)
    assert info.missing == ("transformer/diffusion_pytorch_model-00002-of-00002.safetensors",)
    with pytest.raises(ModelError, match="incomplete"):
        add_folder(folder)


def test_a_request_without_a_model_says_how_to_pick_one():
    with pytest.raises(RequestError, match="--model ID|PATH"):
        DiffusersEngine().prepare(TextToVideo(prompt="x", width=704, height=480, num_frames=9))


def test_an_unknown_model_name_points_to_the_model_list(tmp_path: Path):
    pytest.importorskip("huggingface_hub")
    with pytest.raises(ModelError, match="previz models download Lightricks/LTX-Video"):
        DiffusersEngine().prepare(_request(Path("Lightricks/LTX-Video")))
    with pytest.raises(ModelError, match="previz models list"):
        DiffusersEngine().prepare(_request(Path("no-such-model")))
