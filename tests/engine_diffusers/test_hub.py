"""Downloads against a fake Hub on 127.0.0.1: progress, resume, offline, disk space, safety."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("huggingface_hub")

from engine.hub import (  # noqa: E402
    DiskSpaceError,
    DownloadCancelled,
    ModelNotFound,
    OfflineError,
    UnsafeModel,
    download,
    find_local_models,
    resolve_model,
)
from tests.engine_diffusers.fake_hub import FakeHub  # noqa: E402
from tests.engine_diffusers.helpers import LTX_INDEX, fake_ltx_files, write_folder  # noqa: E402

WEIGHTS = "transformer/diffusion_pytorch_model.safetensors"


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads allowed (to the loopback fake hub only: every test passes its endpoint)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small model repository: configs, 64 KiB of 'weights', a pickle and a script that a
    download must never fetch."""
    files = fake_ltx_files()
    files[WEIGHTS] = bytes(range(256)) * 256
    files["vae/diffusion_pytorch_model.safetensors"] = b"\1" * 4096
    files["transformer/diffusion_pytorch_model.bin"] = b"pickle"
    files["README.md"] = "# not part of the pipeline\n"
    return write_folder(tmp_path / "repo", LTX_INDEX, files)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dead_endpoint() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def test_download_fetches_the_pipeline_with_progress(online, repo: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    seen = []
    with FakeHub({"tiny/ltx": repo}) as hub:
        local = download("tiny/ltx", cache_dir=cache, endpoint=hub.url, progress=seen.append)
        fetched = {r.path.rsplit("/resolve/", 1)[1].split("/", 1)[1] for r in hub.gets()}
    assert local.usable and local.family == "ltx" and local.source == "hf-cache"
    assert _sha(local.path / WEIGHTS) == _sha(repo / WEIGHTS)
    # only the pipeline's safetensors, configs and tokenizer files; no pickle, no README
    assert "transformer/diffusion_pytorch_model.bin" not in fetched
    assert "README.md" not in fetched
    assert WEIGHTS in fetched
    done = [p.done_bytes for p in seen]
    assert done == sorted(done) and done[-1] == seen[-1].total_bytes > 65536
    # found again without the network
    (listed,) = find_local_models(cache_dir=cache)
    assert listed.id == "tiny/ltx" and listed.usable
    assert resolve_model("tiny/ltx", cache_dir=cache).path == local.path


def test_a_cut_transfer_resumes_where_it_stopped(
    online, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    with FakeHub({"tiny/ltx": repo}, drop_once=frozenset({WEIGHTS})) as hub:
        local = download("tiny/ltx", cache_dir=tmp_path / "cache", endpoint=hub.url)
        gets = hub.gets(WEIGHTS)
    assert len(gets) == 2
    first, second = gets
    assert first.range is None
    assert second.range is not None and second.range.startswith("bytes=")
    offset = int(second.range.removeprefix("bytes=").split("-")[0])
    assert 0 < offset <= 65536 // 2  # resumed from what had arrived, not from zero
    assert _sha(local.path / WEIGHTS) == _sha(repo / WEIGHTS)


def _fetched(requests) -> set[str]:  # type: ignore[no-untyped-def]
    """Repository paths of GET .../resolve/<rev>/<path> requests."""
    return {r.path.split("/resolve/", 1)[1].split("/", 1)[1] for r in requests}


def test_a_stopped_download_resumes_without_fetching_finished_files(
    online, repo: Path, tmp_path: Path
):
    cache = tmp_path / "cache"
    stop = threading.Event()

    def stop_after_the_weights(p) -> None:  # type: ignore[no-untyped-def]
        # files come in order; the VAE's 4 KiB of weights are last
        if p.done_bytes >= p.total_bytes - 4096:
            stop.set()  # like Ctrl-C in `previz models download`

    with FakeHub({"tiny/ltx": repo}) as hub:
        with pytest.raises(DownloadCancelled):
            download(
                "tiny/ltx",
                cache_dir=cache,
                endpoint=hub.url,
                progress=stop_after_the_weights,
                cancel=stop,
                max_workers=1,
            )
        snapshot = next((cache / "models--tiny--ltx" / "snapshots").iterdir())
        kept = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
        first_run = len(hub.requests)
        local = download("tiny/ltx", cache_dir=cache, endpoint=hub.url, max_workers=1)
        second = _fetched(
            r for r in hub.requests[first_run:] if r.method == "GET" and "/resolve/" in r.path
        )
    assert WEIGHTS in kept  # finished before the stop ...
    assert second == {"vae/diffusion_pytorch_model.safetensors"}  # ... only the rest is fetched
    assert local.usable
    assert _sha(local.path / WEIGHTS) == _sha(repo / WEIGHTS)


def test_a_dead_endpoint_says_offline_quickly(online, tmp_path: Path):
    t0 = time.monotonic()
    with pytest.raises(OfflineError, match="cannot reach the Hugging Face Hub"):
        download("tiny/ltx", cache_dir=tmp_path / "cache", endpoint=_dead_endpoint())
    assert time.monotonic() - t0 < 10


def test_offline_mode_says_so(tmp_path: Path):
    with pytest.raises(OfflineError, match="HF_HUB_OFFLINE"):
        download("tiny/ltx", cache_dir=tmp_path / "cache", endpoint=_dead_endpoint())


def test_disk_space_is_checked_before_fetching(
    online, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import engine.hub

    monkeypatch.setattr(engine.hub, "_free_bytes", lambda path: 10_000)
    with FakeHub({"tiny/ltx": repo}) as hub:
        with pytest.raises(DiskSpaceError, match=r"needs .* more on disk"):
            download("tiny/ltx", cache_dir=tmp_path / "cache", endpoint=hub.url)
        assert not hub.gets(WEIGHTS)


def test_unknown_and_unsafe_repositories(online, repo: Path, tmp_path: Path):
    custom = write_folder(
        tmp_path / "custom", {**LTX_INDEX, "_class_name": ["pipe", "CustomPipe"]}, fake_ltx_files()
    )
    with FakeHub({"tiny/ltx": repo, "evil/custom": custom}) as hub:
        with pytest.raises(ModelNotFound, match="no model tiny/missing on the Hub"):
            download("tiny/missing", cache_dir=tmp_path / "cache", endpoint=hub.url)
        with pytest.raises(UnsafeModel, match="never runs code"):
            download("evil/custom", cache_dir=tmp_path / "cache", endpoint=hub.url)
        # refused from model_index.json alone: no weights were fetched
        assert [r.path for r in hub.gets()] == ["/evil/custom/resolve/main/model_index.json"]


def test_a_downloaded_model_generates_from_the_cache(
    online, tmp_path: Path, ltx_model: Path, monkeypatch: pytest.MonkeyPatch
):
    pytest.importorskip("torch")
    from engine.api import CollectingSink, TextToVideo
    from engine.backends.diffusers import DiffusersEngine

    cache = tmp_path / "cache"
    with FakeHub({"tiny/ltx-video": ltx_model}) as hub:
        download("tiny/ltx-video", cache_dir=cache, endpoint=hub.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    eng = DiffusersEngine()
    sink = CollectingSink()
    res = eng.generate(
        TextToVideo(
            prompt="wide shot", width=96, height=64, num_frames=5, steps=1, model="tiny/ltx-video"
        ),
        sink,
    )
    assert res.frames == 5 and len(sink.frames) == 5
    assert res.recipe["model"] == "tiny/ltx-video"
    assert res.recipe["diffusers"]["model_revision"] == FakeHub.sha("tiny/ltx-video")
