"""``previz models list | add | download`` through the real CLI entry point."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest

pytest.importorskip("huggingface_hub")

from previz.services.settings import AppSettings  # noqa: E402
from tests.engine_diffusers.fake_hub import FakeHub  # noqa: E402
from tests.engine_diffusers.helpers import LTX_INDEX, fake_ltx_files, write_folder  # noqa: E402


@pytest.fixture(autouse=True)
def _models_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register ``models`` the way previz/cli/extra.py does (until that line lands there)."""
    import argparse

    from previz.cli import extra, models_cmds

    original = extra.register

    def register(add, common) -> None:  # type: ignore[no-untyped-def]
        original(add, common)
        try:
            models_cmds.register(add, common)
        except argparse.ArgumentError:
            pass  # already registered by extra.py

    monkeypatch.setattr(extra, "register", register)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from previz.cli.main import run

    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "my-ltx", LTX_INDEX, fake_ltx_files())


def test_list_shows_the_catalogue_and_configured_folders(capsys, model_folder: Path):
    settings = AppSettings.load()
    settings.model_folders = [str(model_folder.parent)]
    settings.save()
    code, out, err = cli(capsys, "models", "list", "--json")
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["Lightricks/LTX-Video-0.9.7-distilled"]["status"] == "not downloaded"
    assert rows["Wan-AI/Wan2.1-T2V-1.3B-Diffusers"]["native_fps"] == "16"
    mine = rows[str(model_folder.resolve())]
    assert (mine["status"], mine["family"], mine["source"]) == ("ready", "ltx", "folder")
    code, out, _ = cli(capsys, "models", "list")
    assert code == 0 and "not downloaded" in out and "my-ltx" in out


def test_list_says_what_memory_a_model_needs_and_when_fp8_helps(capsys):
    code, out, err = cli(capsys, "models", "list", "--json")
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    ltx = rows["Lightricks/LTX-Video-0.9.7-distilled"]
    # a 13B transformer cannot run on a 24 GB card in bf16 even with model offload; fp8 can
    assert ltx["vram_gb"] > 24 >= ltx["vram_fp8_gb"]
    assert "fp8" in ltx["memory_note"] and "group offload" in ltx["memory_note"]
    code, out, _ = cli(capsys, "models", "list")
    line = next(x for x in out.splitlines() if "LTX-Video-0.9.7-distilled" in x)
    assert f"({ltx['vram_fp8_gb']:.0f} fp8)" in line


def test_add_checks_the_folder_and_can_make_it_the_default(capsys, model_folder: Path):
    code, out, err = cli(capsys, "models", "add", str(model_folder))
    assert code == 0, err
    assert "added" in err and "--default" in err  # the first model: how to make it the default
    assert AppSettings.load().model_folders == [str(model_folder.resolve())]
    code, out, err = cli(capsys, "models", "add", str(model_folder), "--default", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["made_default"] is True and data["models"][0]["default"] is True
    settings = AppSettings.load()
    assert settings.default_engine == "diffusers"
    assert settings.default_model == str(model_folder.resolve())
    assert settings.model_folders == [str(model_folder.resolve())]  # not added twice


def test_add_refuses_a_pickle_folder_in_one_line(capsys, tmp_path: Path):
    folder = write_folder(tmp_path / "pickled", LTX_INDEX, fake_ltx_files("bin"))
    code, out, err = cli(capsys, "models", "add", str(folder))
    assert code == 1 and out == ""
    assert err.startswith("previz: ") and "pickle" in err and err.count("\n") == 1
    assert AppSettings.load().model_folders == []


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def test_download_with_progress_then_listed_as_ready(
    capsys, online: Path, model_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    with FakeHub({"tiny/ltx": model_folder}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        code, out, err = cli(capsys, "models", "download", "tiny/ltx", "--default", "--json")
    assert code == 0, err
    assert "tiny/ltx [" in err and "GB" in err  # the progress bar on stderr
    row = json.loads(out)
    assert (row["id"], row["status"], row["default"]) == ("tiny/ltx", "ready", True)
    assert AppSettings.load().default_model == "tiny/ltx"
    code, out, _ = cli(capsys, "models", "list", "--json")
    listed = {r["id"]: r for r in json.loads(out)}
    assert listed["tiny/ltx"]["source"] == "hf-cache" and listed["tiny/ltx"]["default"] is True


def test_download_offline_is_one_clear_line(capsys, online: Path, monkeypatch: pytest.MonkeyPatch):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    code, out, err = cli(capsys, "models", "download", "tiny/ltx")
    assert code == 1 and out == ""
    assert "cannot reach the Hugging Face Hub" in err and err.strip().count("\n") == 0


def test_ctrl_c_stops_a_download_cleanly(capsys, online: Path, monkeypatch: pytest.MonkeyPatch):
    import engine.hub

    started = threading.Event()

    def slow_download(model_id, *, cancel=None, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        assert cancel is not None and cancel.wait(20)  # runs until Ctrl-C sets the cancel flag
        raise engine.hub.DownloadCancelled("the download was stopped")

    monkeypatch.setattr(engine.hub, "download", slow_download)

    def press_ctrl_c() -> None:
        if started.wait(10):
            signal.raise_signal(signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    code, out, err = cli(capsys, "models", "download", "tiny/ltx")
    assert code == 130
    assert "stopped; run the same command again to resume" in err
