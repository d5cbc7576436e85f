"""``previz inpaint | cinemagraph``: region edits, each a new take (never overwriting).

``inpaint`` changes only what lies inside a mask of a take (a mask file, or a box); several
masks at frames (``FILE@FRAME``, ``X,Y,W,H@FRAME``) are keys of a moving mask. ``cinemagraph``
animates only the masked part of a still: an image, or a frame of a take. The masks are stored
in the project (``media/masks``) and named in the new take's recipe.

The jobs are queued and run (or handed to the process running the project's jobs) exactly as
``previz remix``'s: same engine and farm options, progress on stderr, ``--json`` prints the
new take, Ctrl-C cancels (exit 130).
"""

from __future__ import annotations

import argparse
from typing import Any

from previz.cli.generate_cmds import (
    _choice,
    _placed,
    add_engine_options,
    interruptible,
    run_jobs,
)
from previz.cli.output import info


def _split_frame(value: str, option: str, form: str) -> tuple[str, int | None]:
    """``VALUE`` or ``VALUE@FRAME`` (FRAME a whole number from 0)."""
    from previz.core.errors import UsageError

    head, sep, tail = value.rpartition("@")
    if not sep:
        return value, None
    try:
        frame = int(tail)
    except ValueError:
        raise UsageError(f"{option} {value!r}: use {form}@FRAME with a frame number") from None
    if frame < 0 or not head:
        raise UsageError(f"{option} {value!r}: use {form}@FRAME with a frame number from 0")
    return head, frame


def _parse_box(text: str, option: str = "--box") -> tuple[int, int, int, int]:
    from previz.core.errors import UsageError

    parts = text.split(",")
    try:
        box = tuple(int(p.strip()) for p in parts)
    except ValueError:
        box = ()
    if len(box) != 4:
        raise UsageError(f"{option} {text!r}: give X,Y,W,H in pixels, e.g. 100,80,320,180")
    if box[2] <= 0 or box[3] <= 0:
        raise UsageError(f"{option} {text!r}: the width and height must be more than 0")
    return box  # type: ignore[return-value]


def parse_masks(masks: list[str] | None, boxes: list[str] | None) -> list[Any]:
    """The ``MaskInput``s of --mask FILE[@FRAME] and --box X,Y,W,H[@FRAME] (usage errors: one
    line, exit 2): one mask without a frame, or masks keyed at frames, not both."""
    from pathlib import Path

    from previz.core.errors import UsageError
    from previz.services.regions import MaskInput

    out = []
    for v in masks or []:
        path, frame = _split_frame(v, "--mask", "FILE")
        out.append(MaskInput(frame=frame, path=Path(path)))
    for v in boxes or []:
        text, frame = _split_frame(v, "--box", "X,Y,W,H")
        out.append(MaskInput(frame=frame, box=_parse_box(text)))
    if not out:
        raise UsageError("give the region: --mask FILE[@FRAME] or --box X,Y,W,H[@FRAME]")
    held = [m for m in out if m.frame is None]
    if held and len(out) > 1:
        raise UsageError(
            "give one mask for the whole take (no @FRAME) or masks keyed at frames "
            "(each with @FRAME), not both"
        )
    seen: set[int] = set()
    for m in out:
        if m.frame is not None:
            if m.frame in seen:
                raise UsageError(f"two masks are keyed at frame {m.frame}; key one per frame")
            seen.add(m.frame)
    return out


def _say_notes(gen: Any) -> None:
    for note in gen.notes:
        info(f"note: {note}")


def cmd_inpaint(a: argparse.Namespace) -> int:
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    masks = parse_masks(a.mask, a.box)
    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        gen = _placed(Generation(svc), svc, a)
        job = gen.inpaint(
            a.shot,
            a.prompt,
            masks,
            _choice(a),
            take=a.take,
            feather=a.feather,
            resize_mask=a.resize_mask,
        )
        _say_notes(gen)
        return run_jobs(svc, [job], a.json, stop)


def cmd_cinemagraph(a: argparse.Namespace) -> int:
    from previz.core.errors import UsageError
    from previz.core.time import parse_duration
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    if a.image is not None and a.take is not None:
        raise UsageError("--take goes with --frame (the take the frame is from), not --image")
    [mask] = parse_masks([a.mask] if a.mask else None, [a.box] if a.box else None)
    if mask.frame is not None:
        raise UsageError("a cinemagraph's mask holds for every frame; give it without @FRAME")
    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        shot = svc.resolve_shot(a.shot)
        frames = None
        if a.duration:
            if a.frame is not None:
                fps = svc.take(shot.id, a.take).fps
            else:
                fps = svc.sequence(shot.sequence_id).fps
            frames = parse_duration(a.duration, fps)
        gen = _placed(Generation(svc), svc, a)
        job = gen.cinemagraph(
            shot.id,
            a.prompt,
            mask,
            _choice(a),
            image=a.image,
            frame=a.frame,
            take=a.take,
            duration_frames=frames,
            loop=a.loop,
            feather=a.feather,
            resize_mask=a.resize_mask,
        )
        _say_notes(gen)
        return run_jobs(svc, [job], a.json, stop)


def _region_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--feather",
        type=int,
        default=8,
        metavar="PX",
        help="soft edge outside the mask, in pixels (8); 0 = a hard edge",
    )
    sp.add_argument(
        "--resize-mask",
        dest="resize_mask",
        action="store_true",
        help="scale a mask of another size to the frames (default: refuse it)",
    )


def register(add: Any) -> None:
    sp = add(
        "inpaint",
        cmd_inpaint,
        "change only a masked region of a take (a new take; the rest stays as it was)",
    )
    sp.add_argument("dir")
    sp.add_argument("shot")
    sp.add_argument(
        "--mask",
        action="append",
        metavar="FILE[@FRAME]",
        help="a mask image the frame's size, white = the region; @FRAME keys it at a frame "
        "(several keys: a moving mask, interpolated between them); repeatable",
    )
    sp.add_argument(
        "--box",
        action="append",
        metavar="X,Y,W,H[@FRAME]",
        help="a rectangle in pixels as the region; @FRAME keys it (as --mask); repeatable",
    )
    sp.add_argument("--prompt", required=True, help="what goes inside the region")
    sp.add_argument("--take", type=int, help="the take to edit (default: the selected one)")
    _region_options(sp)
    add_engine_options(sp)

    sp = add(
        "cinemagraph",
        cmd_cinemagraph,
        "a still that moves only inside a mask (an image, or a frame of a take)",
    )
    sp.add_argument("dir")
    sp.add_argument("shot")
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", metavar="FILE", help="the still (fitted to the sequence's size)")
    src.add_argument(
        "--frame", type=int, metavar="N", help="the still is frame N (from 0) of --take"
    )
    sp.add_argument("--take", type=int, help="with --frame: the take (default: the selected one)")
    region = sp.add_mutually_exclusive_group(required=True)
    region.add_argument(
        "--mask", metavar="FILE", help="the region that moves: white on black, the still's size"
    )
    region.add_argument("--box", metavar="X,Y,W,H", help="a rectangle in pixels as the region")
    sp.add_argument("--prompt", required=True, help="how the region moves, e.g. 'water ripples'")
    sp.add_argument("--duration", help="length: 3s, 72f … (default: the shot's planned duration)")
    sp.add_argument(
        "--loop", action="store_true", help="loop seamlessly (the last frame leads into the first)"
    )
    _region_options(sp)
    add_engine_options(sp)
