"""Extend and bridge continue the SAME scene: no dissolve, no ghost. Measured on the frames: the
background (figures masked out) 12 frames after a join may differ from the frame before the join
no more than twice what the 12 frames before the join differed, plus SLACK grey levels. A
cross-dissolve into a different scene fails that check (the negative test)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.api import Bridge, ClipSource, CollectingSink, Extend, TextToVideo
from engine.backends.animatic import AnimaticEngine
from engine.backends.animatic.motion import blend
from tests.engine.engine_testutil import figure_mask, write_take

W, H = 160, 90
FPS = Fraction(24)
N = 24
K = 12  # frames either side of the join
SLACK = 2.0  # grey levels
PROMPT = "wide shot, a woman walks left, slow pan right"
ENGINE = AnimaticEngine()


def make(request) -> tuple[np.ndarray, dict]:
    sink = CollectingSink()
    result = ENGINE.generate(request, sink)
    return np.stack(sink.frames), dict(result.recipe)


def take(frames: np.ndarray, recipe: dict | None, folder: Path) -> ClipSource:
    src = write_take(frames, folder)
    return ClipSource(
        segments=src.segments,
        head=src.head,
        tail=src.tail,
        width=src.width,
        height=src.height,
        fps=src.fps,
        num_frames=src.num_frames,
        recipe=recipe,
    )


def background_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference outside the figures of either frame (dilated)."""
    mask = cv2.dilate(figure_mask(a) | figure_mask(b), np.ones((5, 5), np.uint8)) > 0
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return float(diff[~mask].mean())


def continues(before: np.ndarray, after: np.ndarray) -> bool:
    """`after` (the frames after a join) carries on from `before` (the frames up to it)."""
    moved_before = background_diff(before[-1 - K], before[-1])
    moved_after = background_diff(before[-1], after[K - 1])
    return moved_after <= 2 * moved_before + SLACK


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, dict, ClipSource]:
    req = TextToVideo(prompt=PROMPT, width=W, height=H, num_frames=N, fps=FPS, seed=5)
    frames, recipe = make(req)
    return frames, recipe, take(frames, recipe, tmp_path_factory.mktemp("parent"))


def test_the_check_fails_on_a_dissolve_to_another_scene(parent) -> None:
    frames, _, _ = parent
    other, _ = make(
        TextToVideo(
            prompt="medium shot, two men stand, dusk, truck left",
            width=W,
            height=H,
            num_frames=N,
            fps=FPS,
            seed=3,
        )
    )
    dissolve = np.stack([blend(frames[-1], other[i], (i + 1) / N) for i in range(N)])
    assert not continues(frames, dissolve)


def test_extend_forward_continues_the_scene(parent) -> None:
    frames, recipe, src = parent
    assert recipe["timeline"]["prompt"] == PROMPT
    ext, rec = make(Extend.for_source(src, prompt=PROMPT, num_frames=N, seed=99))
    assert rec["continuation"] == "scene"
    assert continues(frames, ext)
    # exactly the parent's shot, carried on: the same as rendering it longer
    longer, _ = make(TextToVideo(prompt=PROMPT, width=W, height=H, num_frames=N, fps=FPS, seed=5))
    assert np.array_equal(longer[-1], frames[-1])
    # the composed take (parent + extension) extends again from its recorded span
    assert rec["timeline"]["t_start"] == 0.0 and rec["timeline"]["t_end"] == pytest.approx(2.0)


def test_extend_backward_leads_into_the_first_frame(parent) -> None:
    frames, _, src = parent
    back, rec = make(Extend.for_source(src, prompt=PROMPT, num_frames=N, direction="backward"))
    assert rec["continuation"] == "scene"
    # reversed in time, the frames before the head continue into it the same way
    assert continues(frames[::-1], back[::-1])


def test_extend_of_a_foreign_take_continues_its_frames(parent, tmp_path: Path) -> None:
    """No recipe of this version (imported footage, another engine): the tail frame is held and
    re-framed by the camera move, without a dissolve, and the recipe says so."""
    frames, _, _ = parent
    src = take(frames, None, tmp_path)
    ext, rec = make(Extend.for_source(src, prompt=PROMPT, num_frames=N))
    assert rec["continuation"] == "frames"
    assert continues(frames, ext)
    old = take(frames, {"animatic_version": 1, "prompt": PROMPT}, tmp_path / "old")
    assert make(Extend.for_source(old, prompt=PROMPT, num_frames=4))[1]["continuation"] == (
        "frames"
    )


def test_bridge_in_one_location_moves_camera_and_figures(tmp_path: Path) -> None:
    a_prompt, b_prompt = PROMPT, "wide shot, a woman walks left, pan left"
    a, rec_a = make(TextToVideo(prompt=a_prompt, width=W, height=H, num_frames=N, fps=FPS, seed=5))
    b, rec_b = make(TextToVideo(prompt=b_prompt, width=W, height=H, num_frames=N, fps=FPS, seed=5))
    src_a, src_b = take(a, rec_a, tmp_path / "a"), take(b, rec_b, tmp_path / "b")
    br, rec = make(Bridge.for_source(src_a, source_b=src_b, num_frames=N))
    assert rec["transition"] == "camera_move"
    assert continues(a, br)
    assert continues(b[::-1], br[::-1])  # and it arrives at B's first frame


def test_bridge_between_locations_falls_back_to_a_transition(parent, tmp_path: Path) -> None:
    a, rec_a, src_a = parent
    b, rec_b = make(
        TextToVideo(
            prompt="INT. kitchen, night, a man sits",
            width=W,
            height=H,
            num_frames=N,
            fps=FPS,
            seed=8,
        )  # fmt: skip
    )
    br, rec = make(Bridge.for_source(src_a, source_b=take(b, rec_b, tmp_path), num_frames=8))
    assert rec["transition"] == "dissolve" and len(br) == 8
