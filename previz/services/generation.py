"""Generation as jobs: requests built from shots, validated up front, queued, run, recorded.

Enqueueing checks the whole request with the engine before anything is queued, so a bad request
(no frames, an absurd size, a missing conditioning clip, an image that is not an image, shots
that are not adjacent) is a clear error before any work starts. The payload stored with the job
is plain JSON, so a queued job survives a restart and can be retried.

A job that continues a take (extend, loop, remix, bridge, a re-rolled long shot) checks the
take's clips against their stored size and SHA-256 when it is queued and again when it runs,
so a missing or damaged parent clip is refused with the take's name instead of making a new
take that points at it.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from previz.core.errors import InvalidInput, PrevizError
from previz.core.time import format_rate
from previz.core.values import (
    AudioSegmentInfo,
    JobInfo,
    SegmentInfo,
    ShotInfo,
    TakeInfo,
    audio_samples_for_frames,
    join_audio,
    slice_audio,
)
from previz.services.jobs import JobQueue
from previz.services.project import ProjectService
from previz.services.region_edits import DEFAULT_FEATHER, RegionEdits
from previz.services.settings import AppSettings
from previz.services.takes import NEW, NewTake
from previz.store.folder import import_file, resolve, sha256_file

log = logging.getLogger(__name__)

OPERATIONS = ("generate", "extend", "bridge", "remix", "loop", "inpaint", "cinemagraph")
MAX_COUNT = 16
DEFAULT_BRIDGE_SECONDS = 1


@dataclass(frozen=True)
class EngineChoice:
    engine: str = ""
    model: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    draft: bool = False  # a cheap preview: half size, fewer steps; re-render it later in full
    long_method: str = ""  # long shots: "auto" | "chain" | "pipeline"; "" = the app setting


LONG_METHODS = ("auto", "chain", "pipeline")
METHOD_TEXT = {
    "chain": "chained windows, each conditioned on the previous window's lossless tail, "
    "colour-matched to the first window",
    "pipeline": "one call of the model's long-video pipeline (sliding windows in latent space), "
    "cut into windows, colour-matched to the first window",
}

DRAFT_SCALE = Fraction(1, 2)
DRAFT_STEP_DIVISOR = 4
DRAFT_MIN_STEPS = 4


class GenerationError(PrevizError):
    """The engine refused a request (its message says why and what to do)."""


def _engine_error(exc: Exception) -> GenerationError:
    return GenerationError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


class Generation(RegionEdits):
    """Builds engine requests for shots and queues them as jobs."""

    def __init__(self, svc: ProjectService) -> None:
        self.svc = svc
        self.queue = JobQueue(svc)
        # notes on the last request queued (e.g. a cinemagraph's image fitted to the sequence)
        self.notes: list[str] = []

    # --- payloads ------------------------------------------------------------------------------

    def _base_payload(
        self, shot: ShotInfo, choice: EngineChoice, prompt: str | None = None
    ) -> dict[str, Any]:
        seq = self.svc.sequence(shot.sequence_id)
        settings = AppSettings.load()
        raw = shot.prompt if prompt is None else prompt
        if not raw.strip():
            raise InvalidInput(
                f"shot {shot.label} has no prompt; write what the shot shows before generating"
            )
        exp = self.svc.expand(raw)
        used = [e for e in self.svc.elements() if e.name in exp.used]
        labels = [e.name for e in used if e.kind in ("character", "prop")]
        references = [e.image for e in used if e.image and e.kind != "style"]
        seed = choice.seed if choice.seed is not None else shot.seed
        if seed is None:
            seed = random.SystemRandom().randrange(0, 2**31)
        engine, model = self._engine_model(shot, choice, settings)
        payload: dict[str, Any] = {
            "shot_id": shot.id,
            "engine": engine,
            "model": model,
            "prompt": raw,
            "expanded_prompt": exp.text,
            "negative_prompt": shot.negative_prompt,
            "width": seq.width,
            "height": seq.height,
            "fps": format_rate(seq.fps),
            "num_frames": shot.duration_frames,
            "seed": int(seed),
            "steps": choice.steps,
            "guidance": choice.guidance,
            "labels": labels,
            "scene_heading": seq.name,
            "dialogue": shot.dialogue,  # spoken by an audio-video model (LTX-2)
            "reference_images": references,
            "options": {"speed": dict(settings.speed)} if engine == "diffusers" else {},
            "long_method": choice.long_method or settings.long_method or "auto",
        }
        if shot.priority:  # the shot's priority, unless the command gives one (JobQueue)
            payload["priority"] = int(shot.priority)
        if choice.draft:
            self._draftify(payload)
        return payload

    def _engine_model(
        self, shot: ShotInfo, choice: EngineChoice, settings: AppSettings | None = None
    ) -> tuple[str, str]:
        """The engine and model: the command's choice, else the shot's own, else the app's."""
        settings = settings or AppSettings.load()
        engine = choice.engine or shot.engine or settings.default_engine or "animatic"
        if choice.model:
            model = choice.model
        elif engine == "diffusers":
            model = shot.model or settings.default_model
        else:
            model = ""
        return engine, model or ""

    def _draftify(self, payload: dict[str, Any]) -> None:
        """Half the size (kept on the engine's size grid) and a quarter of the steps."""
        from engine.api import EngineError
        from engine.registry import get_engine

        try:
            caps = get_engine(payload["engine"]).capabilities
        except EngineError as exc:
            raise _engine_error(exc) from None
        m = max(2, caps.size_multiple)
        w, h = payload["width"], payload["height"]
        # half size, but never below the engine's smallest side (keeping the aspect)
        scale = max(float(DRAFT_SCALE), -(-caps.min_side // m) * m / min(w, h))
        if scale < 1:
            payload["width"] = max(m, round(w * scale / m) * m)
            payload["height"] = max(m, round(h * scale / m) * m)
        full = payload["steps"] or caps.default_steps
        if full:
            payload["steps"] = max(DRAFT_MIN_STEPS, full // DRAFT_STEP_DIVISOR)
        payload["draft"] = True

    def _source(self, take: TakeInfo) -> dict[str, Any]:
        return {"take_id": take.id}

    def _enqueue(self, payloads: list[dict[str, Any]]) -> list[JobInfo]:
        for p in payloads:
            self.check(p)
        return [self.queue.enqueue(p["op"], p, p["shot_id"]) for p in payloads]

    def check(self, payload: dict[str, Any]) -> None:
        """Build the engine request and validate it (raises a clear error before queueing)."""
        from engine.api import EngineError, validate
        from engine.registry import get_engine

        self.verify_sources(payload)
        apply_engine_environment()
        try:
            eng = get_engine(payload["engine"])
            if payload["op"] == "long":
                if "extend" not in eng.capabilities.operations:
                    raise InvalidInput(
                        f"the {payload['engine']} engine cannot continue a window (extend), so it "
                        "cannot make a long shot in windows; shorten the shot or pick another engine"
                    )
                if payload.get("long_method") == "pipeline":
                    request = self.long_request(payload)
                else:
                    first = payload["windows"][payload.get("reuse", {}).get("from", 0)]
                    request = self.build_request(
                        dict(
                            payload,
                            op="generate",
                            num_frames=first["end"] - first["start"],
                            expanded_prompt=first["expanded"],
                        )
                    )
            else:
                request = self.build_request(payload)
            validate(request, eng.capabilities, payload["engine"])
            eng.prepare(request)  # the engine's own, model-specific rules (loads nothing)
        except EngineError as exc:
            raise _engine_error(exc) from None

    # --- operations ----------------------------------------------------------------------------

    def generate(
        self,
        shot: int | str,
        choice: EngineChoice = EngineChoice(),
        *,
        count: int = 1,
        images: list[tuple[str | Path, int]] | None = None,
        prompt: str | None = None,
        window_frames: int | None = None,
        color_match: bool = True,
    ) -> list[JobInfo]:
        """A new take (text or image to video); ``count`` > 1 makes variations (seed, seed+1 …).

        A shot longer than one window (``window_frames``, else the engine's longest
        generation), or with timed prompt sections, is made window by window (a long shot).
        """
        info = self.svc.resolve_shot(shot)
        if not 1 <= count <= MAX_COUNT:
            raise InvalidInput(f"--count {count} is out of range (1..{MAX_COUNT})")
        base = self._base_payload(info, choice, prompt)
        windows = self._windows(base, window_frames)
        if len(windows) > 1:
            if images:
                raise InvalidInput(
                    "image to video makes one window; shorten the shot or drop --image"
                )
            base = dict(base, op="long", windows=windows, color_match=color_match)
            base["long_method"] = self._long_method(base)
            return self._enqueue([dict(base, seed=base["seed"] + i) for i in range(count)])
        copies: list[str] = []
        try:
            if images:
                for path, _frame in images:  # every image is checked before any is copied
                    _check_still(Path(path).expanduser())
                pins = []
                for path, frame in images:
                    stored = import_file(self.svc.folder, Path(path).expanduser(), "media/imports")
                    copies.append(stored)
                    pins.append([stored, int(frame)])
                base["images"] = pins
            payloads = []
            for i in range(count):
                p = dict(base, op="generate", seed=base["seed"] + i)
                payloads.append(p)
            return self._enqueue(payloads)
        except BaseException:
            # a refused request (e.g. an image pinned beyond the shot) leaves no copy behind
            for stored in copies:
                try:
                    resolve(self.svc.folder, stored).unlink(missing_ok=True)
                except (OSError, PrevizError):
                    log.warning("could not remove the refused image copy %s", stored)
            raise

    def _windows(self, base: dict[str, Any], window_frames: int | None) -> list[dict[str, Any]]:
        from previz.core.windows import plan_windows

        fps = Fraction(base["fps"])
        if window_frames is None:
            window_frames = self._engine_window(base["engine"], fps, base.get("model") or "")
        if window_frames is not None and window_frames < 8:
            raise InvalidInput(f"a window of {window_frames} frames is too short (at least 8)")
        plan = plan_windows(base["prompt"], int(base["num_frames"]), fps, window_frames)
        return [
            {
                "start": w.start,
                "end": w.end,
                "prompt": w.prompt,
                "expanded": self.svc.expand(w.prompt).text,
            }
            for w in plan
        ]

    def _engine_window(self, engine: str, fps: Fraction, model: str = "") -> int | None:
        from engine.api import EngineError
        from engine.registry import get_engine

        apply_engine_environment()
        try:
            eng = get_engine(engine)
            caps = eng.capabilities
            if model and hasattr(eng, "capabilities_for"):
                caps = eng.capabilities_for(model)
        except EngineError as exc:
            raise _engine_error(exc) from None
        return caps.max_frames

    def _long_method(self, payload: dict[str, Any]) -> str:
        """How a long shot is made, "chain" or "pipeline", from the choice and the model.

        "auto" takes the model's long-video pipeline when it has one and accepts the shot (a
        pipeline that takes one prompt refuses timed prompts), else chains. A re-roll from
        window k > 1 always chains: it continues window k-1 of the parent.
        """
        from engine.api import LONG_SHOT, EngineError
        from engine.registry import get_engine

        asked = payload.get("long_method") or "auto"
        if asked not in LONG_METHODS:
            raise InvalidInput(
                f"unknown long-shot method {asked!r}; use one of: {', '.join(LONG_METHODS)}"
            )
        if asked == "chain" or payload.get("reuse", {}).get("from", 0) > 0:
            return "chain"
        try:
            eng = get_engine(payload["engine"])
            caps = eng.capabilities
            if payload.get("model") and hasattr(eng, "capabilities_for"):
                caps = eng.capabilities_for(payload["model"])
        except EngineError as exc:
            raise _engine_error(exc) from None
        if LONG_SHOT in caps.operations:
            if asked == "auto":
                try:
                    eng.prepare(self.long_request(payload))
                except EngineError as exc:
                    log.info("long shot chained: %s", exc)
                    return "chain"
            return "pipeline"
        if asked == "pipeline":
            what = payload["engine"] + (
                f" model {payload['model']}" if payload.get("model") else ""
            )
            raise InvalidInput(
                f"the {what} has no long-video pipeline; use --long-method chain (or auto), or "
                "pick an LTX-Video or SkyReels-V2 diffusion-forcing model"
            )
        return "chain"

    def long_request(self, p: dict[str, Any]):  # type: ignore[no-untyped-def]
        """The one-call `LongShot` request of a long-shot payload (method "pipeline")."""
        import dataclasses

        from engine import api

        first = p["windows"][0]
        base = self.build_request(dict(p, op="generate", expanded_prompt=first["expanded"]))
        common = {f.name: getattr(base, f.name) for f in dataclasses.fields(api.GenerationRequest)}
        return api.LongShot(
            windows=tuple(
                api.ShotWindow(w["start"], w["end"], w["expanded"]) for w in p["windows"]
            ),
            color_match=bool(p.get("color_match", True)),
            **common,
        )

    def reroll(
        self,
        shot: int | str,
        from_window: int,
        choice: EngineChoice = EngineChoice(),
        *,
        take: int | None = None,
        prompt: str | None = None,
    ) -> JobInfo:
        """A new take of a long shot that keeps windows 1..k-1 of ``take`` and remakes the rest."""
        info = self.svc.resolve_shot(shot)
        parent = self.svc.take(info.id, take)
        windows = parent.recipe.get("windows") or []
        if len(windows) < 2 or len(windows) != len(parent.segments):
            raise InvalidInput(
                f"take {parent.number} of {info.label} was not made in windows; generate the shot "
                "as a long shot first (previz generate --window 4s)"
            )
        if not 1 <= from_window <= len(windows):
            raise InvalidInput(f"window {from_window} is out of range (1..{len(windows)})")
        # the parent's engine and model unless told otherwise: a re-roll continues its windows
        choice = EngineChoice(
            engine=choice.engine or parent.engine,
            model=choice.model or parent.model,
            seed=choice.seed,
            steps=choice.steps,
            guidance=choice.guidance,
            long_method=choice.long_method,
        )
        base = self._base_payload(info, choice, prompt if prompt is not None else parent.prompt)
        if prompt is not None:
            fresh = self._windows(dict(base, num_frames=parent.frame_count), None)
            if [(w["start"], w["end"]) for w in fresh] == [(w["start"], w["end"]) for w in windows]:
                windows = fresh
            else:
                windows = [
                    dict(w, prompt=prompt, expanded=self.svc.expand(prompt).text)
                    if i >= from_window - 1
                    else w
                    for i, w in enumerate(windows)
                ]
        base.update(
            op="long",
            windows=windows,
            num_frames=parent.frame_count,
            width=parent.width,
            height=parent.height,
            fps=format_rate(parent.fps),
            reuse={"take_id": parent.id, "from": from_window - 1},
        )
        base["long_method"] = self._long_method(base)
        return self._enqueue([base])[0]

    def window_source(self, take_id: int, index: int):  # type: ignore[no-untyped-def]
        """The ClipSource of one window (segment) of a long take, with its own head/tail."""
        from engine.api import ClipSource, SegmentRef

        t = self.svc.take_by_id(take_id)
        seg = t.segments[index]
        clip = resolve(self.svc.folder, seg.path)
        recipes = t.recipe.get("window_recipes") or []
        return ClipSource(
            recipe=recipes[index] if index < len(recipes) else None,
            segments=(SegmentRef(clip, seg.start, seg.end),),
            head=tuple(sorted((clip.parent / "head").glob("*.png"))),
            tail=tuple(sorted((clip.parent / "tail").glob("*.png"))),
            width=t.width,
            height=t.height,
            fps=t.fps,
            num_frames=seg.end - seg.start,
        )

    def rerender(
        self, shot: int | str, take: int | None = None, choice: EngineChoice = EngineChoice()
    ) -> JobInfo:
        """Re-render a draft take at full quality with the same engine, model, seed and prompt."""
        info = self.svc.resolve_shot(shot)
        parent = self.svc.take(info.id, take)
        if not parent.recipe.get("draft"):
            raise InvalidInput(
                f"take {parent.number} of {info.label} is not a draft; it is already full quality"
            )
        full = EngineChoice(
            engine=parent.engine,
            model=parent.model,
            seed=parent.seed,
            steps=choice.steps,
            guidance=choice.guidance,
            long_method=choice.long_method,
        )
        base = self._base_payload(info, full, parent.prompt)
        if parent.operation == "long":
            base = dict(base, op="long", windows=parent.recipe["windows"])
            base["long_method"] = self._long_method(base)
        else:
            base = dict(base, op="generate")
        base["rerender_of"] = parent.id
        return self._enqueue([base])[0]

    def extend(
        self,
        shot: int | str,
        direction: str,
        duration_frames: int,
        choice: EngineChoice = EngineChoice(),
        *,
        prompt: str | None = None,
        take: int | None = None,
    ) -> JobInfo:
        info = self.svc.resolve_shot(shot)
        if direction not in ("forward", "backward"):
            raise InvalidInput("extend goes --forward or --backward")
        parent = self.svc.take(info.id, take)
        base = self._base_payload(info, choice, prompt)
        base.update(
            op="extend",
            direction=direction,
            num_frames=duration_frames,
            source=self._source(parent),
            width=parent.width,
            height=parent.height,
            fps=format_rate(parent.fps),
        )
        return self._enqueue([base])[0]

    def remix(
        self,
        shot: int | str,
        prompt: str,
        choice: EngineChoice = EngineChoice(),
        *,
        strength: float = 0.6,
        take: int | None = None,
    ) -> JobInfo:
        info = self.svc.resolve_shot(shot)
        parent = self.svc.take(info.id, take)
        base = self._base_payload(info, choice, prompt)
        base.update(
            op="remix",
            strength=float(strength),
            num_frames=parent.frame_count,
            source=self._source(parent),
            width=parent.width,
            height=parent.height,
            fps=format_rate(parent.fps),
        )
        return self._enqueue([base])[0]

    def loop(
        self,
        shot: int | str,
        choice: EngineChoice = EngineChoice(),
        *,
        take: int | None = None,
        prompt: str | None = None,
    ) -> JobInfo:
        """A new take that ends where it began (a fresh one, or closing an existing take)."""
        info = self.svc.resolve_shot(shot)
        base = self._base_payload(info, choice, prompt)
        base["op"] = "loop"
        if take is not None:
            parent = self.svc.take(info.id, take)
            base.update(
                source=self._source(parent),
                num_frames=max(8, min(parent.frame_count // 2, int(round(parent.fps)))),
                width=parent.width,
                height=parent.height,
                fps=format_rate(parent.fps),
            )
        return self._enqueue([base])[0]

    def bridge(
        self,
        shot_a: int | str,
        shot_b: int | str,
        choice: EngineChoice = EngineChoice(),
        *,
        duration_frames: int | None = None,
        prompt: str | None = None,
    ) -> tuple[ShotInfo, JobInfo]:
        """Insert a new shot between adjacent A and B whose take runs from A's end to B's start."""
        a = self.svc.resolve_shot(shot_a)
        b = self.svc.resolve_shot(shot_b)
        if a.sequence_id != b.sequence_id or b.index != a.index + 1:
            raise InvalidInput(
                f"shots {a.label} and {b.label} are not adjacent in one sequence; a bridge joins a "
                "shot to the one right after it"
            )
        ta = self.svc.take(a.id)
        tb = self.svc.take(b.id)
        if (ta.width, ta.height) != (tb.width, tb.height):
            raise InvalidInput(
                f"{a.label} is {ta.width}x{ta.height} but {b.label} is {tb.width}x{tb.height}; "
                "a bridge needs both takes at one size"
            )
        seq = self.svc.sequence(a.sequence_id)
        frames = duration_frames or int(round(seq.fps * DEFAULT_BRIDGE_SECONDS))
        text = prompt or f"transition from: {a.prompt} — to: {b.prompt}"
        # Validate before the shot exists, so a bad request changes nothing.
        probe = dict(
            self._base_payload(a, choice, text),
            op="bridge",
            num_frames=frames,
            source=self._source(ta),
            source_b=self._source(tb),
            width=ta.width,
            height=ta.height,
            fps=format_rate(ta.fps),
        )
        self.check(probe)
        new_shot = self.svc.add_shot(
            seq.id,
            index=b.index,
            prompt=text,
            duration_frames=frames,
            notes=f"bridge from {a.label} to {b.label}",
        )
        probe["shot_id"] = new_shot.id
        job = self.queue.enqueue("bridge", probe, new_shot.id)
        return self.svc.shot(new_shot.id), job

    # --- the media a job continues from ---------------------------------------------------------

    def verify_sources(self, payload: dict[str, Any]) -> None:
        """Check the clips of every take this job continues from (see `verify_take_media`)."""
        reuse = payload.get("reuse")
        if reuse and not reuse.get("from"):
            reuse = None  # a re-roll from window 1 keeps none of its parent's frames
        ids = [
            ref["take_id"]
            for ref in (payload.get("source"), payload.get("source_b"), reuse)
            if ref and ref.get("take_id") is not None
        ]
        for take_id in ids:
            self.verify_take_media(int(take_id))

    def verify_take_media(self, take_id: int) -> None:
        """Refuse, with one line naming the take and the file, a take whose clip is missing,
        has another size than when it was made, or does not match its stored SHA-256 (or, for
        a segment stored without one, cannot be opened as video)."""
        take = self.svc.take_by_id(take_id)
        try:
            what = f"take {take.number} of shot {self.svc.shot(take.shot_id).label}"
        except PrevizError:
            what = f"take {take.number}"
        todo = "re-generate the shot, or pick another take (previz take select)"
        for seg in take.segments:
            path = resolve(self.svc.folder, seg.path)
            try:
                st = path.stat()
            except OSError:
                raise InvalidInput(f"{what} is missing its clip {seg.path}; {todo}") from None
            if st.st_size == 0 or not path.is_file():
                raise InvalidInput(f"{what}: its clip {seg.path} is empty or damaged; {todo}")
            if seg.sha256:
                if _sha256_cached(path, st) != seg.sha256:
                    raise InvalidInput(
                        f"{what}: its clip {seg.path} is damaged (it changed since the take was "
                        f"made); {todo}"
                    )
            else:
                from engine.api import EngineError
                from engine.media import probe

                try:
                    probe(path)
                except EngineError:
                    raise InvalidInput(
                        f"{what}: its clip {seg.path} is damaged (not a readable video); {todo}"
                    ) from None
        for stored in (*take.head, *take.tail):
            if not resolve(self.svc.folder, stored).is_file():
                raise InvalidInput(f"{what} is missing its lossless frame {stored}; {todo}")

    # --- requests and takes --------------------------------------------------------------------

    def clip_source(self, take_id: int):  # type: ignore[no-untyped-def]
        from engine.api import ClipSource, SegmentRef

        t = self.svc.take_by_id(take_id)
        folder = self.svc.folder
        return ClipSource(
            segments=tuple(SegmentRef(resolve(folder, s.path), s.start, s.end) for s in t.segments),
            head=tuple(resolve(folder, p) for p in t.head),
            tail=tuple(resolve(folder, p) for p in t.tail),
            width=t.width,
            height=t.height,
            fps=t.fps,
            num_frames=t.frame_count,
            recipe=dict(t.recipe or {}),
        )

    def build_request(self, p: dict[str, Any]):  # type: ignore[no-untyped-def]
        from engine import api

        common = dict(
            prompt=p["expanded_prompt"],
            negative_prompt=p.get("negative_prompt", ""),
            width=int(p["width"]),
            height=int(p["height"]),
            num_frames=int(p["num_frames"]),
            fps=Fraction(p["fps"]),
            seed=int(p["seed"]),
            steps=p.get("steps"),
            guidance=p.get("guidance"),
            model=p.get("model") or None,
            labels=tuple(p.get("labels", ())),
            scene_heading=p.get("scene_heading", ""),
            dialogue=p.get("dialogue", ""),
            options=dict(p.get("options") or {}),
            reference_images=tuple(
                resolve(self.svc.folder, r) for r in p.get("reference_images", ())
            ),
        )
        op = p["op"]
        if op == "generate":
            if p.get("images"):
                pins = tuple(
                    api.PinnedImage(resolve(self.svc.folder, path), frame)
                    for path, frame in p["images"]
                )
                return api.ImageToVideo(images=pins, **common)
            return api.TextToVideo(**common)
        if op == "extend":
            return api.Extend(
                source=self.clip_source(p["source"]["take_id"]), direction=p["direction"], **common
            )
        if op == "remix":
            return api.Remix(
                source=self.clip_source(p["source"]["take_id"]),
                strength=float(p.get("strength", 0.6)),
                **common,
            )
        if op == "loop":
            src = self.clip_source(p["source"]["take_id"]) if p.get("source") else None
            return api.Loop(source=src, **common)
        if op == "inpaint":
            region = p["region"]
            return api.Inpaint(
                source=self.clip_source(p["source"]["take_id"]),
                masks=tuple(
                    api.MaskKey(resolve(self.svc.folder, m["path"]), m.get("frame_index"))
                    for m in region["masks"]
                ),
                feather=int(p.get("feather", region.get("feather", DEFAULT_FEATHER))),
                **common,
            )
        if op == "cinemagraph":
            region = p["region"]
            return api.Cinemagraph(
                image=resolve(self.svc.folder, region["image"]),
                mask=resolve(self.svc.folder, region["masks"][0]["path"]),
                feather=int(p.get("feather", region.get("feather", DEFAULT_FEATHER))),
                loop=bool(p.get("loop", region.get("loop", False))),
                source=self.clip_source(p["source"]["take_id"]) if p.get("source") else None,
                frame_index=region.get("from_frame"),
                **common,
            )
        if op == "bridge":
            return api.Bridge(
                source_a=self.clip_source(p["source"]["take_id"]),
                source_b=self.clip_source(p["source_b"]["take_id"]),
                **common,
            )
        raise InvalidInput(f"unknown operation {op!r}")

    def new_long_take(
        self,
        p: dict[str, Any],
        made: list[tuple[int, Any, Any]],
        call_recipe: dict[str, Any] | None = None,
    ) -> NewTake:
        """The take of a long shot: reused windows of the parent, then the windows just made.

        ``made`` is (window index, ClipFiles relative to scratch/wNN, result) per new window;
        ``call_recipe`` is the recipe of the one long-video pipeline call that made them all
        (method "pipeline"), else None (chained windows, one recipe each).
        """
        segments: list[SegmentInfo] = []
        head: tuple[str, ...] = ()
        thumb: str | None = None
        parents: tuple[tuple[int, str], ...] = ()
        reuse = p.get("reuse")
        if p.get("rerender_of"):
            parents = ((p["rerender_of"], "draft"),)
        sound: list[tuple[int, tuple[AudioSegmentInfo, ...]]] = []
        if reuse:
            parent = self.svc.take_by_id(reuse["take_id"])
            parents = ((parent.id, "source"),)
            segments += parent.segments[: reuse["from"]]
            kept = sum(s.end - s.start for s in segments)
            sound.append((kept, slice_audio(parent.audio, parent.fps, 0, kept)))
            if reuse["from"] > 0:
                head, thumb = parent.head, parent.thumbnail
        recipes = []
        for k, files, result in made:
            d = f"w{k:02d}/"
            segments.append(SegmentInfo(NEW + d + str(files.video), 0, int(files.num_frames), ""))
            sound.append((int(files.num_frames), made_audio(files, NEW + d)))
            if not head:
                head = tuple(NEW + d + str(x) for x in files.head)
                thumb = NEW + d + str(files.thumbnail)
            recipes.append(dict(result.recipe, window=k))
        last_files = made[-1][1]
        tail = tuple(NEW + f"w{made[-1][0]:02d}/" + str(x) for x in last_files.tail)
        last = made[-1][2]
        # the windows as made (an engine may have snapped a window to its frame rule)
        windows, at = [], 0
        for w, seg in zip(p["windows"], segments, strict=True):
            windows.append(dict(w, start=at, end=at + seg.end - seg.start))
            at += seg.end - seg.start
        recipe = {
            "engine": p["engine"],
            "model": p.get("model", ""),
            "operation": "long",
            "raw_prompt": p["prompt"],
            "expanded_prompt": p["expanded_prompt"],
            "seed": p["seed"],
            "windows": windows,
            "rerolled_from_window": reuse["from"] + 1 if reuse else None,
            "draft": bool(p.get("draft")),
            "window_recipes": recipes,
            "long_method": "pipeline" if call_recipe is not None else "chain",
            "method": METHOD_TEXT["pipeline" if call_recipe is not None else "chain"],
            "parents": [pid for pid, _ in parents],
        }
        if call_recipe is not None:
            recipe["call"] = call_recipe
        return NewTake(
            operation="long",
            engine=p["engine"],
            model=str(p.get("model") or ""),
            prompt=p["prompt"],
            expanded_prompt=p["expanded_prompt"],
            seed=int(p["seed"]),
            width=int(last.width),
            height=int(last.height),
            fps=Fraction(last.fps),
            recipe=recipe,
            segments=tuple(segments),
            head=head,
            tail=tail,
            thumbnail=thumb,
            parents=parents,
            audio=join_audio(sound, Fraction(last.fps)),
        )

    def new_take(self, p: dict[str, Any], files: Any, result: Any) -> NewTake:
        """The take record for a finished job: how its frames and parents fit together."""
        made = SegmentInfo(NEW + str(files.video), 0, int(files.num_frames), "")
        head = tuple(NEW + str(x) for x in files.head)
        tail = tuple(NEW + str(x) for x in files.tail)
        thumb = NEW + str(files.thumbnail)
        parents: tuple[tuple[int, str], ...] = ()
        segments: tuple[SegmentInfo, ...] = (made,)
        # the take's sound follows its frames: a parent's reused frames bring their sound
        new_sound = (made.frames, made_audio(files, NEW))
        sound = [new_sound]
        op = p["op"]
        if op in ("extend", "remix", "inpaint") or (
            op in ("loop", "cinemagraph") and p.get("source")
        ):
            parent = self.svc.take_by_id(p["source"]["take_id"])
            parents = ((parent.id, "source"),)
            old_sound = (parent.frame_count, parent.audio)
            if op == "extend" and p["direction"] == "forward":
                segments = (*parent.segments, made)
                head, thumb = parent.head, parent.thumbnail or thumb
                sound = [old_sound, new_sound]
            elif op == "extend":
                segments = (made, *parent.segments)
                tail = parent.tail
                sound = [new_sound, old_sound]
            elif op == "loop":
                segments = (*parent.segments, made)  # the take plus its closing frames
                head, thumb = parent.head, parent.thumbnail or thumb
                sound = [old_sound, new_sound]
            elif op == "inpaint" and not new_sound[1]:
                sound = [old_sound]  # the same frames, the source's sound
        elif op == "bridge":
            parents = ((p["source"]["take_id"], "a"), (p["source_b"]["take_id"], "b"))
        if p.get("rerender_of"):
            parents = ((p["rerender_of"], "draft"),)
        recipe = dict(result.recipe)
        recipe["engine_operation"] = recipe.get("operation", "")
        recipe["draft"] = bool(p.get("draft"))
        recipe.update(
            operation=op,
            raw_prompt=p["prompt"],
            expanded_prompt=p["expanded_prompt"],
            parents=[pid for pid, _ in parents],
            timings=dict(result.timings),
            notes=list(p.get("notes") or ()) + list(result.notes),
        )
        if p.get("region"):
            recipe["region"] = p["region"]
        return NewTake(
            operation=op if not p.get("images") else "image_to_video",
            engine=p["engine"],
            model=str(recipe.get("model") or p.get("model") or ""),
            prompt=p["prompt"],
            expanded_prompt=p["expanded_prompt"],
            seed=int(recipe.get("seed", p["seed"])),
            width=int(result.width),
            height=int(result.height),
            fps=Fraction(result.fps),
            recipe=recipe,
            segments=segments,
            head=head,
            tail=tail,
            thumbnail=thumb,
            parents=parents,
            audio=join_audio(sound, Fraction(result.fps)),
        )


def made_audio(files: Any, prefix: str) -> tuple[AudioSegmentInfo, ...]:
    """The new clip's sound (an audio-video model's file beside it), as long as its frames."""
    path = getattr(files, "audio", None)
    rate = int(getattr(files, "audio_rate", 0) or 0)
    if path is None or rate <= 0:
        return ()
    n = audio_samples_for_frames(int(files.num_frames), rate, Fraction(files.fps))
    return (AudioSegmentInfo(prefix + str(path), 0, n, rate),)


def apply_engine_environment() -> None:
    """Pass the app settings (model folders, device, default model) to engines through the
    environment, which the worker process inherits when it starts."""
    import os

    from previz.services.models import worker_environment

    os.environ.update(worker_environment())


def _check_still(path: Path) -> None:
    from previz.services.media_import import check_still

    check_still(path, "--image")


_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> sha256, per process


def _sha256_cached(path: Path, st: Any) -> str:
    """The file's SHA-256, hashed once per process while its size and mtime stay the same."""
    key = (str(path), int(st.st_size), int(st.st_mtime_ns))
    digest = _HASHES.get(key)
    if digest is None:
        digest = sha256_file(path)
        if len(_HASHES) > 1024:
            _HASHES.clear()
        _HASHES[key] = digest
    return digest


@dataclass(frozen=True)
class ShotEvent:
    """A window's progress as progress of its whole long shot."""

    step: int
    total: int
    elapsed_s: float
    eta_s: float | None
    preview: Any
    stage: str


class LongChain:
    """A long shot made window by window, wherever the windows run (the local worker or a render
    farm): each window continues the previous one's lossless tail (and its recipe: the animatic
    re-renders the same scene beyond its end rather than holding its last frame) and is
    colour-matched to the first window's tail. A re-roll from window k continues window k-1 of
    its parent take.

    ``request()`` is the current window's request; ``window_done`` records what it made (its
    files in their own folder) and moves on; ``take()`` is the take once ``finished``."""

    def __init__(self, gen: Generation, p: dict[str, Any]) -> None:
        self.gen, self.p = gen, p
        self.windows: list[dict[str, Any]] = p["windows"]
        reuse = p.get("reuse")
        self.k: int = reuse["from"] if reuse else 0
        self.prev: Any = None
        self.ref: tuple[Any, ...] = ()
        # where the next window starts in the shot: an engine may make a window a few frames
        # longer than planned (a first window snapped to the model's frame rule); the window
        # after it then makes that many fewer, so the take keeps the shot's length
        self.at: int = self.windows[self.k]["start"]
        if reuse and self.k > 0:
            self.prev = gen.window_source(reuse["take_id"], self.k - 1)
            if p.get("color_match", True):
                self.ref = gen.window_source(reuse["take_id"], 0).tail
            parent = gen.svc.take_by_id(reuse["take_id"])
            self.at = sum(s.end - s.start for s in parent.segments[: self.k])
        self.total = sum(w["end"] - w["start"] for w in self.windows[self.k :])
        self.done_frames = 0
        self.n = 0  # frames the current window makes
        self.made: list[tuple[int, Any, Any]] = []

    @property
    def finished(self) -> bool:
        return self.k >= len(self.windows)

    @property
    def stage(self) -> str:
        return f"window {self.k + 1}/{len(self.windows)}"

    def request(self) -> Any:
        """The current window's request."""
        from engine import api

        p, k = self.p, self.k
        self.n = n = max(1, self.windows[k]["end"] - self.at)
        common = dict(
            p,
            op="generate",
            num_frames=n,
            expanded_prompt=self.windows[k]["expanded"],
            seed=p["seed"] + k,
        )
        base = self.gen.build_request(common)
        prev = self.prev
        if prev is None:
            return base
        return api.Extend(
            source=prev,
            direction="forward",
            prompt=base.prompt,
            negative_prompt=base.negative_prompt,
            width=prev.width,
            height=prev.height,
            num_frames=n,
            fps=prev.fps,
            seed=base.seed,
            steps=base.steps,
            guidance=base.guidance,
            model=base.model,
            labels=base.labels,
            options=base.options,
            reference_images=base.reference_images,
            color_reference=self.ref,
        )

    def event(self, ev: Any) -> ShotEvent:
        """A progress event of the current window, as progress of the whole shot."""
        frac = ev.step / max(1, ev.total)
        return ShotEvent(
            self.done_frames + int(frac * self.n),
            self.total,
            ev.elapsed_s,
            None,
            ev.preview,
            self.stage,
        )

    def window_done(self, wdir: Path, files: Any, result: Any) -> None:
        """The current window made ``files`` (in ``wdir``): the next one continues it."""
        import dataclasses

        self.made.append((self.k, files, result))
        self.prev = dataclasses.replace(files.source(wdir), recipe=dict(result.recipe))
        if not self.ref and self.p.get("color_match", True):
            self.ref = self.prev.tail
        self.done_frames += self.n
        self.at += int(files.num_frames)
        self.k += 1

    def take(self) -> NewTake:
        return self.gen.new_long_take(self.p, self.made)
