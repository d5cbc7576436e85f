"""Region edits as jobs: inpaint part of a take, cinemagraphs (issue 17, after Lumiere).

`RegionEdits` is the part of `previz.services.generation.Generation` that queues the two region
edits and says whether a shot's engine and model can do them (`region_support`). Their masks and
stills are checked and stored by `previz.services.regions`; the payload's and the take recipe's
``region`` names them (project-relative paths, keys, feather, a cinemagraph's still and loop).
The requests are built, like every other operation's, by ``Generation.build_request``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from previz.core.errors import InvalidInput
from previz.core.time import format_rate
from previz.services.regions import MaskInput

if TYPE_CHECKING:
    from previz.core.values import JobInfo, ShotInfo, TakeInfo
    from previz.services.generation import EngineChoice
    from previz.services.project import ProjectService

__all__ = ["DEFAULT_FEATHER", "RegionEdits"]

DEFAULT_FEATHER = 8  # engine.api.DEFAULT_FEATHER (engine is imported lazily)
REGION_VERBS = {"inpaint": "inpaint", "cinemagraph": "make cinemagraphs"}
REGION_HINT = "pick a Wan VACE model or the animatic"
FAMILY_TEXT = {"ltx": "LTX-Video", "ltx2": "LTX-2", "wan": "Wan", "skyreels": "SkyReels-V2"}


class RegionEdits:
    """Inpaint and cinemagraph jobs (a mixin of `Generation`: it uses its payload, queue and
    take checks)."""

    svc: ProjectService

    if TYPE_CHECKING:  # provided by Generation

        def _engine_model(self, shot: ShotInfo, choice: EngineChoice) -> tuple[str, str]: ...
        def _base_payload(
            self, shot: ShotInfo, choice: EngineChoice, prompt: str | None = None
        ) -> dict[str, Any]: ...
        def _source(self, take: TakeInfo) -> dict[str, Any]: ...
        def _enqueue(self, payloads: list[dict[str, Any]]) -> list[JobInfo]: ...
        def verify_take_media(self, take_id: int) -> None: ...

        notes: list[str]

    def region_support(
        self, shot: int | str, op: str, choice: EngineChoice | None = None
    ) -> str | None:
        """None when the shot's engine and model (or ``choice``'s) can do the region edit
        ``op`` ("inpaint" / "cinemagraph"); else one line saying why not and what to pick."""
        from engine.api import EngineError
        from engine.registry import get_engine
        from previz.services.generation import _engine_error, apply_engine_environment

        choice = choice or _default_choice()
        if op not in REGION_VERBS:
            raise InvalidInput(f"unknown region edit {op!r}; use inpaint or cinemagraph")
        verb = REGION_VERBS[op]
        engine, model = self._engine_model(self.svc.resolve_shot(shot), choice)
        apply_engine_environment()
        try:
            eng = get_engine(engine)
            if not hasattr(eng, "adapter_for"):
                if op in eng.capabilities.operations:
                    return None
                return f"the {engine} engine cannot {verb}; {REGION_HINT}"
            if not model:
                return f"the {engine} engine needs a model to {verb}; {REGION_HINT} (--model)"
            adapter = eng.adapter_for(model)
            if op in adapter.capabilities().operations:
                return None
            family = FAMILY_TEXT.get(adapter.family) or f"model {adapter.name}"
            return f"{family} cannot {verb}; {REGION_HINT}"
        except EngineError as exc:
            return _engine_error(exc).args[0]

    def _region_checks(
        self, info: ShotInfo, op: str, prompt: str, choice: EngineChoice, feather: int
    ) -> None:
        """What every region edit needs before anything is read or stored."""
        if not (prompt or "").strip():
            what = "what goes inside the mask" if op == "inpaint" else "how the masked region moves"
            raise InvalidInput(f"{op} needs a prompt saying {what} (--prompt)")
        from engine.api import MAX_FEATHER

        if not isinstance(feather, int) or isinstance(feather, bool):
            raise InvalidInput(f"--feather {feather!r} is not a whole number of pixels")
        if not 0 <= feather <= MAX_FEATHER:
            raise InvalidInput(f"--feather {feather} is out of range; give 0..{MAX_FEATHER} pixels")
        why = self.region_support(info.id, op, choice)
        if why:
            raise InvalidInput(why)

    def inpaint(
        self,
        shot: int | str,
        prompt: str,
        masks: list[MaskInput],
        choice: EngineChoice | None = None,
        *,
        take: int | None = None,
        feather: int = DEFAULT_FEATHER,
        resize_mask: bool = False,
    ) -> JobInfo:
        """A new take of ``take`` (default: the selected one) that changes only the masked
        region as ``prompt`` says; the rest stays the source's frames.

        ``masks``: one without a frame holds for the whole take; several at frames are keys of
        a moving mask. Every mask is checked before any is stored under ``media/masks``; a
        refused request leaves none behind.
        """
        from previz.services import regions

        self.notes = []
        choice = choice or _default_choice()
        info = self.svc.resolve_shot(shot)
        if not masks:
            raise InvalidInput(
                "inpaint needs a mask: paint one, or give --mask FILE or --box X,Y,W,H"
            )
        parent = self.svc.take(info.id, take)
        self._region_checks(info, "inpaint", prompt, choice, feather)
        _check_keys(masks, parent.frame_count, f"take {parent.number} of {info.label}")
        notes: list[str] = []
        arrays = []
        for m in masks:  # every mask is checked before any is stored
            arr = regions.mask_array(m, parent.width, parent.height, resize=resize_mask)
            arrays.append(arr)
            if m.path is not None and resize_mask:
                notes.extend(_resized_note(m, parent.width, parent.height))
        base = self._base_payload(info, choice, prompt)
        stored: list[str] = []
        try:
            keys = []
            for m, arr in zip(masks, arrays, strict=True):
                stored.append(regions.store_mask(self.svc.folder, arr))
                keys.append({"path": stored[-1], "frame_index": m.frame})
            region: dict[str, Any] = {"masks": keys}
            boxes = [{"box": list(m.box), "frame_index": m.frame} for m in masks if m.box]
            if boxes:
                region["boxes"] = boxes
            region["feather"] = int(feather)
            base.update(
                op="inpaint",
                num_frames=parent.frame_count,
                source=self._source(parent),
                width=parent.width,
                height=parent.height,
                fps=format_rate(parent.fps),
                feather=int(feather),
                region=region,
            )
            if notes:
                base["notes"] = notes
            job = self._enqueue([base])[0]
        except BaseException:
            regions.remove_stored(self.svc.folder, stored)
            raise
        self.notes = notes
        return job

    def cinemagraph(
        self,
        shot: int | str,
        prompt: str,
        mask: MaskInput,
        choice: EngineChoice | None = None,
        *,
        image: str | Path | None = None,
        frame: int | None = None,
        take: int | None = None,
        duration_frames: int | None = None,
        loop: bool = False,
        feather: int = DEFAULT_FEATHER,
        resize_mask: bool = False,
    ) -> JobInfo:
        """A take of a still that moves only inside ``mask`` as ``prompt`` says.

        The still is ``image`` (fitted to the sequence's size) or frame ``frame`` of ``take``
        (default: the selected take; the new take's parent, at its size and rate). Its length
        is ``duration_frames``, default the shot's planned duration; ``loop``: seamless.
        """
        from previz.services import regions

        self.notes = []
        choice = choice or _default_choice()
        info = self.svc.resolve_shot(shot)
        if (image is None) == (frame is None):
            raise InvalidInput(
                "a cinemagraph starts from one still: give an image (--image FILE) or a frame "
                "of a take (--frame N)"
            )
        if image is not None and take is not None:
            raise InvalidInput("--take picks the take --frame is from; drop it with --image")
        if mask.frame is not None:
            raise InvalidInput(
                f"a cinemagraph's mask holds for every frame; give {mask.label} without @FRAME"
            )
        self._region_checks(info, "cinemagraph", prompt, choice, feather)
        seq = self.svc.sequence(info.sequence_id)
        notes: list[str] = []
        parent: TakeInfo | None = None
        if frame is not None:
            parent = self.svc.take(info.id, take)
            if not 0 <= int(frame) < parent.frame_count:
                raise InvalidInput(
                    f"--frame {frame} is outside take {parent.number} of {info.label} "
                    f"({parent.frame_count} frames: 0..{parent.frame_count - 1})"
                )
            self.verify_take_media(parent.id)
            still = regions.take_frame(self.svc.folder, parent, int(frame))
            width, height, fps = parent.width, parent.height, parent.fps
        else:
            width, height, fps = seq.width, seq.height, seq.fps
            still, note = regions.load_still(Path(str(image)), width, height)
            notes.append(
                note
                or f"the still {Path(str(image)).name} is {width}x{height}, the "
                "sequence's size; used as it is"
            )
        arr = regions.mask_array(mask, width, height, resize=resize_mask)
        if mask.path is not None and resize_mask:
            notes.extend(_resized_note(mask, width, height))
        n = int(duration_frames) if duration_frames is not None else int(info.duration_frames)
        if n < 1:
            raise InvalidInput(f"a cinemagraph of {n} frames is empty; give --duration (e.g. 3s)")
        base = self._base_payload(info, choice, prompt)
        stored: list[str] = []
        try:
            stored.append(regions.store_still(self.svc.folder, still))
            stored.append(regions.store_mask(self.svc.folder, arr))
            region: dict[str, Any] = {"masks": [{"path": stored[1], "frame_index": None}]}
            if mask.box:
                region["boxes"] = [{"box": list(mask.box), "frame_index": None}]
            region.update(
                feather=int(feather),
                image=stored[0],
                from_take=parent.id if parent else None,
                from_frame=int(frame) if frame is not None else None,
                loop=bool(loop),
            )
            base.update(
                op="cinemagraph",
                num_frames=n,
                width=width,
                height=height,
                fps=format_rate(fps),
                feather=int(feather),
                loop=bool(loop),
                region=region,
            )
            if parent is not None:
                base["source"] = self._source(parent)
            if notes:
                base["notes"] = notes
            job = self._enqueue([base])[0]
        except BaseException:
            regions.remove_stored(self.svc.folder, stored)
            raise
        self.notes = notes
        return job


def _check_keys(masks: list[MaskInput], frames: int, what: str) -> None:
    """One mask for the whole take, or masks keyed at distinct frames inside it."""
    held = [m for m in masks if m.frame is None]
    if held and len(masks) > 1:
        raise InvalidInput(
            "give either one mask for the whole take or masks at frames (FILE@FRAME), not both"
        )
    seen: set[int] = set()
    for m in masks:
        if m.frame is None:
            continue
        if not 0 <= m.frame < frames:
            raise InvalidInput(
                f"{m.label} is keyed outside {what} ({frames} frames: 0..{frames - 1})"
            )
        if m.frame in seen:
            raise InvalidInput(f"two masks are keyed at frame {m.frame}; key one per frame")
        seen.add(m.frame)


def _resized_note(m: MaskInput, width: int, height: int) -> list[str]:
    """A note when --resize-mask scaled the mask file `m` to the frame's size."""
    from engine.media import check_image_size

    size = check_image_size(m.path) if m.path is not None else None
    if size is None or size == (width, height):
        return []
    return [f"{m.label} was resized from {size[0]}x{size[1]} to {width}x{height}"]


def _default_choice() -> EngineChoice:
    from previz.services.generation import EngineChoice

    return EngineChoice()
