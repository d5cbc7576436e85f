"""Fixtures for the diffusers engine tests: tiny models on disk, takes, pipeline call capture.

No test reaches a model hub: HF_HUB_OFFLINE is set for every test (the fake-hub tests switch it
off for their loopback server only) and the Hugging Face cache is a temporary folder.
Tiny models are built once per session (torch needed; those fixtures skip without it).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path_factory.mktemp("hf-cache")))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    for name in (
        "PREVIZ_DEVICE",
        "PREVIZ_MEMORY_PLAN",
        "PREVIZ_OOM_RETRY",
        "PREVIZ_MODEL_FOLDERS",
        "PREVIZ_DIFFUSERS_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    try:
        from huggingface_hub import constants
    except ImportError:
        return
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


def _need_torch() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def _built(models_dir: Path, name: str, build: Callable[[Path], Any]) -> Path:
    path = models_dir / name
    if not (path / "model_index.json").exists():
        build(path)
    return path


@pytest.fixture(scope="session")
def ltx_model(models_dir: Path) -> Path:
    _need_torch()
    from tests.engine_diffusers.tiny_models import build_ltx

    return _built(models_dir, "tiny-ltx", build_ltx)


@pytest.fixture(scope="session")
def ltx_distilled_model(models_dir: Path, ltx_model: Path) -> Path:
    """The same tiny weights in a folder whose name says "distilled"."""
    path = models_dir / "tiny-ltx-distilled"
    if not path.exists():
        shutil.copytree(ltx_model, path)
    return path


@pytest.fixture(scope="session")
def wan_t2v_model(models_dir: Path) -> Path:
    _need_torch()
    from tests.engine_diffusers.tiny_models import build_wan

    return _built(models_dir, "tiny-wan-t2v", lambda p: build_wan(p, "t2v"))


@pytest.fixture(scope="session")
def wan_vace_model(models_dir: Path) -> Path:
    _need_torch()
    from tests.engine_diffusers.tiny_models import build_wan

    return _built(models_dir, "tiny-wan-vace", lambda p: build_wan(p, "vace"))


@pytest.fixture(scope="session")
def wan_flf2v_model(models_dir: Path) -> Path:
    _need_torch()
    from tests.engine_diffusers.tiny_models import build_wan

    return _built(models_dir, "tiny-wan-flf2v", lambda p: build_wan(p, "flf2v"))


@pytest.fixture(scope="session")
def wan_ti2v_model(models_dir: Path) -> Path:
    _need_torch()
    from tests.engine_diffusers.tiny_models import build_wan

    return _built(models_dir, "tiny-wan-ti2v", lambda p: build_wan(p, "ti2v"))


@pytest.fixture(scope="session")
def skyreels_model(models_dir: Path) -> Path:
    _need_torch()
    from tests.engine_diffusers.tiny_models import build_skyreels

    return _built(models_dir, "tiny-skyreels-df", build_skyreels)


@pytest.fixture(scope="session")
def engine() -> Any:
    """One engine for the session (a warm worker's engine): previews on every step."""
    _need_torch()
    from engine.backends.diffusers import DiffusersEngine

    return DiffusersEngine(preview_interval_s=0.0)


@pytest.fixture(scope="session")
def takes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("takes")


@pytest.fixture(scope="session")
def make_take(takes_dir: Path) -> Callable[..., Any]:
    """A take on disk (MP4 + lossless head/tail PNGs) as a ClipSource."""
    from tests.engine_diffusers.helpers import write_take

    made: dict[tuple, Any] = {}

    def make(
        seed: int, *, n: int = 12, width: int = 96, height: int = 64, fps: int = 24, k: int = 4
    ) -> Any:
        key = (seed, n, width, height, fps, k)
        if key not in made:
            out = takes_dir / f"take-{'-'.join(map(str, key))}"
            made[key] = write_take(out, n, width, height, Fraction(fps), k, seed)
        return made[key]

    return make


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Callable[[type], list[dict[str, Any]]]:
    """``calls = capture(PipelineClass)``: record the keyword arguments of every pipeline call
    (the real pipeline still runs)."""

    def spy_on(cls: type) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        original = cls.__call__

        def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(dict(kwargs))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__call__", spy)
        return calls

    return spy_on


@pytest.fixture
def count_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[type, str], list[int]]:
    """``counter = count_calls(Class, "method")``: count calls to a method (it still runs)."""

    def spy_on(cls: type, name: str) -> list[int]:
        counter = [0]
        original = getattr(cls, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(cls, name, spy)
        return counter

    return spy_on


@pytest.fixture
def events() -> Iterator[list[Any]]:
    yield []
