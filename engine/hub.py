"""Model files: check a model folder is safe to load, find models on disk, download from the Hub.

Everything here is about files; nothing loads weights. huggingface_hub is imported inside the
functions that need it, so importing this module is cheap.

Safety rules (checked before anything is loaded, and before a download fetches weights):

- a model is a diffusers folder: ``model_index.json`` naming a pipeline class Previz runs
  (LTX-Video, Wan) and components from diffusers or transformers only;
- no code runs from a model: a custom pipeline, a component from another library, an
  ``auto_map`` entry (transformers' remote code) or any ``.py`` file refuses the folder;
- weights load from safetensors only: a model component that holds only pickle checkpoints
  (``.bin``, ``.pt``, ``.pth``, ``.ckpt``, ``.pkl``) refuses the folder (unpickling can run
  code).

Finding models: `find_local_models` lists models in the Hugging Face cache
(``huggingface_hub.scan_cache_dir``) and in configured folders (a folder with
``model_index.json``, or a folder of such folders). `resolve_model` turns what a user typed
(a catalog id, a repository id, a folder path, a folder name) into a checked folder.

Downloading: `download` fetches only the pipeline's component folders (safetensors, configs,
tokenizer files), checks the disk space first, reports bytes through a callback, can be
cancelled, and resumes: files already fetched are kept and skipped, and a transfer cut off
mid-file is resumed by huggingface_hub with a Range request. Without a network it says so.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import EngineError, RequestError

__all__ = [
    "SUPPORTED_PIPELINES",
    "DiskSpaceError",
    "DownloadCancelled",
    "DownloadProgress",
    "HubError",
    "LocalModel",
    "ModelError",
    "ModelFolder",
    "ModelNotFound",
    "OfflineError",
    "UnsafeModel",
    "add_folder",
    "download",
    "find_in_cache",
    "find_local_models",
    "hub_cache_dir",
    "inspect_model_folder",
    "model_folders_from_env",
    "resolve_model",
]

log = logging.getLogger(__name__)

# Pipeline classes Previz runs, and the family adapter that runs them.
SUPPORTED_PIPELINES: Mapping[str, str] = {
    "LTXConditionPipeline": "ltx",
    "LTXPipeline": "ltx",
    "LTXImageToVideoPipeline": "ltx",
    "WanPipeline": "wan",
    "WanImageToVideoPipeline": "wan",
    "WanVACEPipeline": "wan",
    "WanVideoToVideoPipeline": "wan",
    "SkyReelsV2DiffusionForcingPipeline": "skyreels",
    "SkyReelsV2DiffusionForcingImageToVideoPipeline": "skyreels",
    "SkyReelsV2DiffusionForcingVideoToVideoPipeline": "skyreels",
    "LTX2Pipeline": "ltx2",
    "LTX2ConditionPipeline": "ltx2",
    "LTX2ImageToVideoPipeline": "ltx2",
}
ALLOWED_LIBRARIES = frozenset({"diffusers", "transformers"})
# diffusers' own pipeline modules that ship model components (LTX-2's text connectors and
# vocoder are listed as ["ltx2", ...]): code inside diffusers, not from the model folder.
DIFFUSERS_PIPELINE_MODULES = frozenset({"ltx2"})
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd")
# Components whose class name contains one of these hold no weights.
_WEIGHTLESS = ("Tokenizer", "Scheduler", "Processor", "FeatureExtractor")
_CONFIG_FILES = (
    "config.json",
    "tokenizer_config.json",
    "preprocessor_config.json",
    "scheduler_config.json",
    "processor_config.json",
)
# Files a download never fetches: pickles, other frameworks, code.
IGNORE_PATTERNS = (
    "*.bin",
    "*.pt",
    "*.pth",
    "*.ckpt",
    "*.pkl",
    "*.pickle",
    "*.msgpack",
    "*.h5",
    "*.onnx",
    "*.onnx_data",
    "*.gguf",
    "*.py",
)
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_GIB = 1024**3


# --------------------------------------------------------------------------------------------
# Errors


class ModelError(RequestError):
    """A model cannot be used as it is; the message says why and what to do."""


class UnsafeModel(ModelError):
    """A model folder would run code (custom pipeline, remote code) or load pickles."""


class ModelNotFound(ModelError):
    """No model of that name on disk (or on the Hub)."""


class HubError(EngineError):
    """A download failed."""


class OfflineError(HubError):
    """The Hub cannot be reached (offline mode, no network, endpoint down)."""


class DiskSpaceError(HubError):
    """Not enough free disk space for a download."""


class DownloadCancelled(HubError):
    """The user stopped a download; what was fetched is kept for the next try."""


# --------------------------------------------------------------------------------------------
# Model folders


@dataclass(frozen=True)
class ModelFolder:
    """A checked diffusers model folder (nothing loaded)."""

    path: Path
    pipeline: str
    family: str
    components: Mapping[str, tuple[str, str]]  # name -> (library, class)
    config: Mapping[
        str, Any
    ]  # model_index.json's pipeline settings (keys starting with "_" dropped)
    size_bytes: int
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing

    def component_config(self, name: str) -> dict[str, Any]:
        """A component's ``config.json`` (or its other config file), {} when absent."""
        for fname in _CONFIG_FILES:
            p = self.path / name / fname
            if p.is_file():
                try:
                    data = json.loads(p.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    return {}
                return data if isinstance(data, dict) else {}
        return {}

    def weight_bytes(self, name: str) -> int:
        folder = self.path / name
        if not folder.is_dir():
            return 0
        return sum(_size(p) for p in folder.iterdir() if p.name.endswith(".safetensors"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size  # follows the HF cache's symlinks to blobs
    except OSError:
        return 0


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ModelError(
            f"{what} {path} is not valid JSON ({exc}); the download may be broken"
        ) from None
    if not isinstance(data, dict):
        raise ModelError(f"{what} {path} is not a JSON object; the download may be broken")
    return data


def _check_index(index: Mapping[str, Any], where: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The pipeline class and components of a ``model_index.json``; refuses code and unknowns."""
    cls = index.get("_class_name")
    for key in ("custom_pipeline", "_custom_pipeline", "auto_map"):
        if key in index:
            raise UnsafeModel(
                f"{where} asks for custom pipeline code ({key!r}); Previz never runs code from a "
                "model, so it will not load it — use the official diffusers version of the model"
            )
    if isinstance(cls, list | tuple):
        raise UnsafeModel(
            f"{where} names a pipeline from a code module ({list(cls)!r}); Previz never runs code "
            "from a model — use the official diffusers version of the model"
        )
    if not isinstance(cls, str) or not cls:
        raise ModelError(
            f"{where} has no pipeline class (_class_name); it is not a diffusers model"
        )
    components: dict[str, tuple[str, str]] = {}
    for name, value in index.items():
        if name.startswith("_") or not isinstance(value, list | tuple) or len(value) != 2:
            continue
        library, cls_name = value
        if library is None and cls_name is None:
            continue  # an optional component this model does not have
        if library not in ALLOWED_LIBRARIES | DIFFUSERS_PIPELINE_MODULES:
            raise UnsafeModel(
                f"{where}: component {name!r} comes from {library!r}, i.e. code outside diffusers "
                "and transformers; Previz never runs code from a model folder"
            )
        components[name] = (str(library), str(cls_name))
    if cls not in SUPPORTED_PIPELINES:
        if not _is_diffusers_class(cls):
            raise UnsafeModel(
                f"{where}: pipeline {cls!r} is not part of diffusers (a custom or remote-code "
                "pipeline); Previz never runs code from a model folder"
            )
        raise ModelError(
            f"{where} is a {cls}; the diffusers engine runs LTX-Video and Wan video models "
            "(see `previz models list`)"
        )
    if not components:
        raise ModelError(f"{where} lists no components; it is not a complete diffusers model")
    return cls, components


def _is_diffusers_class(name: str) -> bool:
    """Whether diffusers exports a class of this name (False when diffusers is not installed)."""
    if not name.isidentifier():
        return False
    try:
        import diffusers
    except ImportError:
        return False
    try:
        return hasattr(diffusers, name)
    except Exception:  # noqa: BLE001 - diffusers' lazy module may fail on optional deps
        return False


def inspect_model_folder(path: str | Path) -> ModelFolder:
    """Check a diffusers model folder without loading it.

    Raises `ModelNotFound` (no such folder), `ModelError` (not a supported diffusers model) or
    `UnsafeModel` (custom/remote code, pickle-only weights). A folder with missing weights is
    returned with `missing` set (``complete`` False): it is safe, just not fully downloaded.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelNotFound(f"model folder not found: {path}")
    if not path.is_dir():
        raise ModelError(f"{path} is a file; give the folder that holds model_index.json")
    index_path = path / "model_index.json"
    if not index_path.is_file():
        raise ModelError(
            f"{path} is not a diffusers model folder (no model_index.json); single-file "
            "checkpoints are not supported — use the model's diffusers version"
        )
    where = f"model {path.name}"
    index = _read_json(index_path, "model index")
    cls, components = _check_index(index, where)

    total = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .cache/huggingface metadata
        for fname in files:
            if fname.endswith(CODE_SUFFIXES):
                rel = Path(root, fname).relative_to(path)
                raise UnsafeModel(
                    f"{where} contains Python code ({rel}); Previz never runs code shipped with a "
                    "model — remove it or use the official diffusers version"
                )
            total += _size(Path(root, fname))

    missing: list[str] = []
    for name, (_, cls_name) in components.items():
        folder = path / name
        if not folder.is_dir():
            missing.append(f"{name}/")
            continue
        for fname in _CONFIG_FILES:
            cfg = folder / fname
            if cfg.is_file() and "auto_map" in _read_json(cfg, f"{name} config"):
                raise UnsafeModel(
                    f"{where}: {name}/{fname} asks for remote code (auto_map); Previz never runs "
                    "code from a model folder"
                )
        if any(marker in cls_name for marker in _WEIGHTLESS):
            continue
        names = [p.name for p in folder.iterdir()]
        safetensors = [n for n in names if n.endswith(".safetensors")]
        pickles = [n for n in names if n.endswith(PICKLE_SUFFIXES)]
        if not safetensors:
            if pickles:
                raise UnsafeModel(
                    f"{where}: {name}/ holds only pickle checkpoints ({', '.join(sorted(pickles)[:3])});"
                    " loading a pickle can run code, so Previz loads safetensors only — download "
                    "the model's safetensors version or convert it"
                )
            missing.append(f"{name}/ weights")
            continue
        for idx_name in [n for n in names if n.endswith(".safetensors.index.json")]:
            shard_map = _read_json(folder / idx_name, f"{name} weight index").get("weight_map", {})
            for shard in sorted(set(shard_map.values()) if isinstance(shard_map, dict) else ()):
                if not (folder / shard).is_file():
                    missing.append(f"{name}/{shard}")
    config = {k: v for k, v in index.items() if not k.startswith("_") and k not in components}
    config = {k: v for k, v in config.items() if not isinstance(v, list | tuple) or len(v) != 2}
    return ModelFolder(
        path=path,
        pipeline=cls,
        family=SUPPORTED_PIPELINES[cls],
        components=components,
        config=config,
        size_bytes=total,
        missing=tuple(missing),
    )


# --------------------------------------------------------------------------------------------
# Finding models on disk


@dataclass(frozen=True)
class LocalModel:
    """A model on disk: in the Hugging Face cache, or a folder of the user's."""

    id: str  # repository id for the HF cache, the absolute folder path otherwise
    path: Path
    source: str  # "hf-cache" | "folder"
    revision: str | None = None
    size_bytes: int = 0
    family: str | None = None
    pipeline: str | None = None
    complete: bool = True
    problem: str | None = None  # why it cannot be used, or None
    folder: ModelFolder | None = field(default=None, compare=False, repr=False)

    @property
    def usable(self) -> bool:
        return self.problem is None and self.complete

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": str(self.path),
            "source": self.source,
            "revision": self.revision,
            "size_bytes": self.size_bytes,
            "family": self.family,
            "pipeline": self.pipeline,
            "complete": self.complete,
            "problem": self.problem,
        }


def hub_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The Hugging Face hub cache in use (``HF_HUB_CACHE`` / ``HF_HOME`` honoured at call time)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    try:
        from huggingface_hub import constants
    except ImportError:
        return Path("~/.cache/huggingface/hub").expanduser()
    return Path(constants.HF_HUB_CACHE)


def _hub_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("huggingface_hub") is not None


def model_folders_from_env() -> list[Path]:
    """Folders named in ``PREVIZ_MODEL_FOLDERS`` (os.pathsep-separated)."""
    raw = os.environ.get("PREVIZ_MODEL_FOLDERS", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def _local(model_id: str, path: Path, source: str, revision: str | None) -> LocalModel:
    try:
        folder = inspect_model_folder(path)
    except ModelError as exc:
        return LocalModel(
            model_id, path, source, revision, size_bytes=_tree_size(path), problem=exc.message
        )
    problem = None
    if not folder.complete:
        hint = (
            f"run `previz models download {model_id}` to finish it"
            if source == "hf-cache"
            else "copy the missing files"
        )
        problem = f"incomplete: missing {', '.join(folder.missing[:3])}; {hint}"
    return LocalModel(
        id=model_id,
        path=path,
        source=source,
        revision=revision,
        size_bytes=folder.size_bytes,
        family=folder.family,
        pipeline=folder.pipeline,
        complete=folder.complete,
        problem=problem,
        folder=folder,
    )


def _tree_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(_size(Path(root, f)) for f in files)
    return total


def find_in_cache(model_id: str, cache_dir: str | Path | None = None) -> LocalModel | None:
    """The cached snapshot of repository `model_id` (its ``main`` ref), or None. No network."""
    if not _REPO_ID.match(model_id) or not _hub_installed():
        return None
    from huggingface_hub import try_to_load_from_cache

    cache = hub_cache_dir(cache_dir)
    if not cache.is_dir():
        return None
    found = try_to_load_from_cache(model_id, "model_index.json", cache_dir=str(cache))
    if not isinstance(found, str):
        return None
    snapshot = Path(found).parent
    return _local(model_id, snapshot, "hf-cache", snapshot.name)


def _folder_models(folders: Iterable[Path]) -> list[LocalModel]:
    found: list[LocalModel] = []
    seen: set[Path] = set()
    for folder in folders:
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            continue
        candidates = (
            [folder]
            if (folder / "model_index.json").is_file()
            else sorted(p for p in folder.iterdir() if (p / "model_index.json").is_file())
        )
        for path in candidates:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            found.append(_local(str(resolved), resolved, "folder", None))
    return found


def find_local_models(
    folders: Sequence[str | Path] = (), *, cache_dir: str | Path | None = None
) -> list[LocalModel]:
    """Diffusers models in the Hugging Face cache and in `folders`. No network, nothing loaded.

    Models that cannot be used are listed too, with `problem` saying why.
    """
    models: list[LocalModel] = []
    cache = hub_cache_dir(cache_dir)
    if cache.is_dir() and _hub_installed():
        from huggingface_hub import scan_cache_dir

        try:
            info = scan_cache_dir(cache)
        except Exception as exc:  # noqa: BLE001 - a damaged cache must not break listing
            log.warning("cannot scan the Hugging Face cache %s: %s", cache, exc)
            info = None
        for repo in sorted(info.repos, key=lambda r: r.repo_id) if info is not None else ():
            if repo.repo_type != "model":
                continue
            revisions = [
                r for r in repo.revisions if (r.snapshot_path / "model_index.json").exists()
            ]
            if not revisions:
                continue
            main = [r for r in revisions if "main" in r.refs]
            rev = (main or sorted(revisions, key=lambda r: r.last_modified))[-1]
            models.append(_local(repo.repo_id, rev.snapshot_path, "hf-cache", rev.commit_hash))
    models.extend(_folder_models(Path(f) for f in folders))
    return models


def add_folder(path: str | Path) -> LocalModel:
    """Check a local model folder for use; raises `ModelError`/`UnsafeModel` with the reason."""
    folder = inspect_model_folder(path)
    resolved = folder.path.resolve()
    if not folder.complete:
        raise ModelError(
            f"model folder {resolved} is incomplete (missing {', '.join(folder.missing[:3])}); "
            "copy the missing files and add it again"
        )
    return LocalModel(
        id=str(resolved),
        path=resolved,
        source="folder",
        size_bytes=folder.size_bytes,
        family=folder.family,
        pipeline=folder.pipeline,
        folder=folder,
    )


def resolve_model(
    model: str,
    folders: Sequence[str | Path] = (),
    *,
    cache_dir: str | Path | None = None,
) -> LocalModel:
    """What a user named (a folder path, a repository id in the HF cache, or a folder's name in
    `folders` / ``PREVIZ_MODEL_FOLDERS``) as a checked, complete model. No network.
    """
    from engine.catalog import find_entry

    text = model.strip()
    if not text:
        raise ModelNotFound("no model given; pass --model ID|PATH (see `previz models list`)")
    as_path = Path(text).expanduser()
    if as_path.exists():
        local = add_folder(as_path)
        return local
    cached = find_in_cache(text, cache_dir)
    if cached is not None:
        if cached.problem:
            raise ModelError(f"{text}: {cached.problem}")
        return cached
    all_folders = [Path(f) for f in folders] + model_folders_from_env()
    name = text.replace("/", "--").lower()
    for local in _folder_models(all_folders):
        if local.path.name.lower() in (text.lower(), name, text.split("/")[-1].lower()):
            if local.problem:
                raise ModelError(f"{local.path}: {local.problem}")
            return local
    if find_entry(text) is not None or _REPO_ID.match(text):
        raise ModelNotFound(
            f"model {text} is not downloaded; run `previz models download {text}` "
            "(or pass --model with the path of a model folder)"
        )
    raise ModelNotFound(
        f"no model folder or downloaded model called {text!r}; see `previz models list`"
    )


# --------------------------------------------------------------------------------------------
# Downloading


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes fetched so far in this download, of `total_bytes` still to fetch when it began."""

    done_bytes: int
    total_bytes: int
    files_total: int
    files_cached: int


ProgressFn = Callable[[DownloadProgress], None]


def _offline_env() -> bool:
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().upper()
    return bool(constants.HF_HUB_OFFLINE) or env in ("1", "ON", "YES", "TRUE")


def _free_bytes(path: Path) -> int:
    for p in [path, *path.parents]:
        try:
            return shutil.disk_usage(p).free
        except OSError:
            continue
    return 0


def _check_reachable(endpoint: str, timeout_s: float = 5.0) -> None:
    """Fail fast (one TCP connect, `timeout_s`) when the Hub's host cannot be reached at all,
    instead of huggingface_hub's retries with back-off. Skipped behind a proxy."""
    import socket
    from urllib.parse import urlparse

    if any(
        os.environ.get(v)
        for v in (
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        )
    ):
        return
    url = urlparse(endpoint)
    host = url.hostname
    if not host:
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise OfflineError(
            f"cannot reach the Hugging Face Hub at {endpoint} ({exc.strerror or exc}); check "
            "the internet connection (or proxy), or download the model on a connected machine "
            "and add its folder with `previz models add PATH`"
        ) from None


def _gb(n: int) -> str:
    return f"{n / _GIB:.1f} GB" if n >= 0.1 * _GIB else f"{n / 1024**2:.0f} MB"


def _hub_error(exc: BaseException, model_id: str, endpoint: str) -> HubError | ModelError | None:
    """Map huggingface_hub / network exceptions to one clear line (None: not a hub error)."""
    from huggingface_hub import errors

    offline_hint = (
        "check the internet connection (or proxy), or download the model on a connected "
        "machine and add its folder with `previz models add PATH`"
    )
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 8:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, errors.OfflineModeIsEnabled):
            return OfflineError(
                "Hugging Face downloads are switched off (HF_HUB_OFFLINE is set); unset it to "
                f"download {model_id}, or add a model folder with `previz models add PATH`"
            )
    for e in chain:
        if isinstance(e, errors.GatedRepoError):
            return HubError(
                f"{model_id} is gated: accept its licence on huggingface.co, then log in with "
                "`hf auth login` and try again"
            )
        if isinstance(e, errors.RevisionNotFoundError):
            return ModelNotFound(f"{model_id} has no such revision on the Hub")
        if isinstance(e, errors.RepositoryNotFoundError):
            return ModelNotFound(
                f"there is no model {model_id} on the Hub (or it is private: log in with "
                "`hf auth login`); see `previz models list` for the catalogue"
            )
    names = {type(e).__name__ for e in chain}
    network = {"ConnectError", "ConnectTimeout", "ReadTimeout", "TimeoutException", "NetworkError"}
    if names & network or any(isinstance(e, ConnectionError | TimeoutError) for e in chain):
        return OfflineError(f"cannot reach the Hugging Face Hub at {endpoint}; {offline_hint}")
    for e in chain:
        if isinstance(e, errors.LocalEntryNotFoundError):
            return OfflineError(f"cannot reach the Hugging Face Hub at {endpoint}; {offline_hint}")
        if isinstance(e, errors.HfHubHTTPError):
            status = getattr(getattr(e, "response", None), "status_code", "?")
            return HubError(
                f"the Hugging Face Hub answered {status} while downloading {model_id}; try again "
                "later"
            )
    return None


def _bar_class(on_bytes: Callable[[int], None], cancel: threading.Event | None) -> type:
    """A silent progress-bar class for huggingface_hub that forwards byte counts and cancels."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class _Bar(hf_tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._previz_name = kwargs.get("name")
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("the download was stopped")
            if self._previz_name == "huggingface_hub.snapshot_download" and n:
                on_bytes(int(n))
            return super().update(n)

    return _Bar


def _select_files(files: Sequence[Any]) -> list[str]:
    """Repository files to fetch: drop precision variants (``x.fp16.safetensors``) that have a
    plain counterpart (diffusers loads the plain file when no variant is asked for)."""
    names = {f.filename for f in files}
    keep = []
    for name in sorted(names):
        m = re.match(r"^(.*)\.(fp16|bf16|fp32)(\..*)$", name.rsplit("/", 1)[-1])
        if m and (name.rsplit("/", 1)[0] + "/" + m.group(1) + m.group(3)) in names:
            continue
        keep.append(name)
    return keep


def download(
    model_id: str,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    endpoint: str | None = None,
    token: str | bool | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    max_workers: int = 4,
    reserve_bytes: int = 512 * 1024**2,
) -> LocalModel:
    """Download a diffusers model into the Hugging Face cache and return it checked.

    1. Fetch ``model_index.json`` and refuse custom/remote-code pipelines before any weights.
    2. List the component files (a dry run): safetensors, configs, tokenizer files; no pickles.
    3. Check the free disk space for what is still missing (plus `reserve_bytes`).
    4. Fetch the files (already-complete files are skipped; a cut transfer resumes).

    Raises `OfflineError`, `DiskSpaceError`, `DownloadCancelled`, `ModelNotFound`,
    `UnsafeModel` or `HubError`, each with one line saying what to do.
    """
    if not _hub_installed():
        raise HubError(
            "downloading models needs huggingface_hub: install Previz's diffusers extra "
            "(pip install 'previz-studio[diffusers]')"
        )
    from huggingface_hub import constants, hf_hub_download, snapshot_download

    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    endpoint = endpoint.rstrip("/")
    cache = hub_cache_dir(cache_dir)
    if not _REPO_ID.match(model_id):
        raise ModelNotFound(
            f"{model_id!r} is not a Hugging Face model id (like Lightricks/LTX-Video); for a "
            "folder on disk use `previz models add PATH`"
        )
    if _offline_env():
        raise OfflineError(
            "Hugging Face downloads are switched off (HF_HUB_OFFLINE is set); unset it to "
            f"download {model_id}, or add a model folder with `previz models add PATH`"
        )
    _check_reachable(endpoint)
    common: dict[str, Any] = dict(
        revision=revision, cache_dir=str(cache), endpoint=endpoint, token=token
    )

    def hub_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (DownloadCancelled, KeyboardInterrupt):
            raise
        except Exception as exc:
            mapped = _hub_error(exc, model_id, endpoint)
            if mapped is None:
                raise
            raise mapped from None

    # 1. The pipeline's index: refuse code before fetching gigabytes.
    index_path = Path(hub_call(hf_hub_download, model_id, "model_index.json", **common))
    cls, components = _check_index(_read_json(index_path, "model index"), f"model {model_id}")
    allow = ["model_index.json", *(f"{name}/*" for name in sorted(components))]

    # 2. What would be fetched, with sizes (no file data transferred).
    plan = hub_call(
        snapshot_download,
        model_id,
        allow_patterns=allow,
        ignore_patterns=list(IGNORE_PATTERNS),
        dry_run=True,
        tqdm_class=_bar_class(lambda n: None, cancel),
        **common,
    )
    selected = _select_files(plan)
    chosen = [f for f in plan if f.filename in set(selected)]
    to_fetch = [f for f in chosen if f.will_download]
    need = sum(int(f.file_size or 0) for f in to_fetch)

    # 3. Disk space, up front.
    cache.mkdir(parents=True, exist_ok=True)
    free = _free_bytes(cache)
    if need + reserve_bytes > free:
        raise DiskSpaceError(
            f"{model_id} needs {_gb(need)} more on disk but {cache} has {_gb(free)} free; free "
            "some space or point HF_HOME at a bigger disk"
        )
    log.info(
        "downloading %s (%s): %d of %d files, %s",
        model_id,
        cls,
        len(to_fetch),
        len(chosen),
        _gb(need),
    )

    # 4. Fetch, reporting bytes.
    done = [0]
    lock = threading.Lock()

    def on_bytes(n: int) -> None:
        with lock:
            done[0] += n
            value = done[0]
        if progress is not None:
            progress(DownloadProgress(value, need, len(chosen), len(chosen) - len(to_fetch)))

    if progress is not None:
        progress(DownloadProgress(0, need, len(chosen), len(chosen) - len(to_fetch)))
    snapshot = hub_call(
        snapshot_download,
        model_id,
        allow_patterns=selected,
        tqdm_class=_bar_class(on_bytes, cancel),
        max_workers=max(1, int(max_workers)),
        **common,
    )
    if progress is not None and done[0] < need:
        # files with identical content share one blob and are not transferred twice
        progress(DownloadProgress(need, need, len(chosen), len(chosen) - len(to_fetch)))
    local = _local(model_id, Path(snapshot), "hf-cache", Path(snapshot).name)
    if local.problem:
        raise ModelError(f"{model_id}: {local.problem}")
    return local
