"""Extend, bridge, loop, remix and image to video on the animatic: seams a viewer would see are
measured against the clip's own frame-to-frame change."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.api import (
    Bridge,
    ClipSource,
    CollectingSink,
    Extend,
    ImageToVideo,
    Loop,
    PinnedImage,
    Remix,
    SegmentRef,
)
from tests.engine.engine_testutil import (
    ENGINE,
    H,
    W,
    blobs,
    consecutive_diffs,
    contrast,
    generate,
    luma,
    mad,
    mean_flow,
    render,
    saturation,
    write_take,
)

SOURCE_PROMPT = "full shot, a woman walks left, pan right"
OTHER_PROMPT = "medium shot, two men stand, dusk, truck left"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, ClipSource]:
    frames = render(SOURCE_PROMPT, 24)
    return frames, write_take(frames, tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, ClipSource]:
    frames = render(OTHER_PROMPT, 24, seed=3)
    return frames, write_take(frames, tmp_path_factory.mktemp("other"))


def seam_limit(frames: np.ndarray) -> float:
    """What a cut may change between two frames without looking like a jump."""
    return 1.5 * max(consecutive_diffs(frames))


def test_head_and_tail_are_the_lossless_frames(source) -> None:
    frames, take = source
    from engine.media import load_png_frames

    assert np.array_equal(np.stack(load_png_frames(take.tail)), frames[-8:])
    assert np.array_equal(np.stack(load_png_frames(take.head)), frames[:8])


def test_extend_forward_continues_without_a_jump(source) -> None:
    frames, take = source
    ext = generate(Extend.for_source(take, prompt=SOURCE_PROMPT, num_frames=24, seed=9))
    assert ext.shape == (24, H, W, 3)
    assert mad(frames[-1], ext[0]) <= seam_limit(frames)
    # the camera keeps moving the same way across the cut
    before = mean_flow(frames[-2], frames[-1])[0]
    across = mean_flow(frames[-1], ext[0])[0]
    assert before < -0.3 and across < -0.3 and abs(across - before) < 0.5 * abs(before)
    # and it is new footage, not a held frame
    assert mad(ext[0], ext[-1]) > 3 * mad(frames[-1], ext[0])
    assert max(consecutive_diffs(ext)) <= seam_limit(frames) * 1.5


def test_extend_backward_leads_into_the_first_frame(source) -> None:
    frames, take = source
    back = generate(
        Extend.for_source(take, prompt=SOURCE_PROMPT, num_frames=24, direction="backward", seed=9)
    )
    assert mad(back[-1], frames[0]) <= seam_limit(frames)
    into = mean_flow(back[-1], frames[0])[0]
    within = mean_flow(frames[0], frames[1])[0]
    assert into < -0.3 and abs(into - within) < 0.5 * abs(within)


def test_extend_uses_only_the_conditioning_frames(source, tmp_path: Path) -> None:
    """The lossless tail is what counts: a take whose MP4 is gone still extends."""
    frames, take = source
    no_video = ClipSource(
        segments=(SegmentRef(tmp_path / "gone.mp4", 0, 24),),
        head=take.head,
        tail=take.tail,
        width=W,
        height=H,
        fps=take.fps,
        num_frames=24,
    )
    ext = generate(Extend.for_source(no_video, prompt=SOURCE_PROMPT, num_frames=4))
    assert mad(frames[-1], ext[0]) <= seam_limit(frames)


def test_extend_seam_would_fail_for_a_plain_new_shot(source) -> None:
    """The seam measure is strict enough to catch a jump: a fresh shot does not pass it."""
    frames, _ = source
    fresh = render(SOURCE_PROMPT, 2, seed=9)
    assert mad(frames[-1], fresh[0]) > seam_limit(frames)


def test_bridge_goes_from_a_to_b(source, other) -> None:
    a, take_a = source
    b, take_b = other
    br = generate(Bridge.for_source(take_a, source_b=take_b, num_frames=16))
    assert mad(a[-1], br[0]) <= seam_limit(a)
    assert mad(br[-1], b[0]) <= seam_limit(b)
    to_b = [mad(f, b[0]) for f in br]
    assert to_b[0] > 5 * to_b[-1]
    assert all(x >= y - 0.5 for x, y in zip(to_b, to_b[1:], strict=False))  # steadily toward B
    assert max(consecutive_diffs(br)) < mad(a[-1], b[0]) / 3  # no cut inside


def test_loop_ends_where_it_began() -> None:
    prompt = "wide shot, a man walks right, pan left, rain"
    plain = render(prompt, 24)
    assert mad(plain[-1], plain[0]) > seam_limit(plain)  # an ordinary shot does not loop
    lp = generate(Loop(prompt=prompt, width=W, height=H, num_frames=24))
    assert mad(lp[-1], lp[0]) <= seam_limit(lp)
    assert np.array_equal(lp[0], plain[0])  # it is the same shot, closed into a loop
    # the way home is a move, not a dissolve: the walker is one solid figure on every frame
    # (a cross-dissolve shows two half-transparent ghosts of him over its last second)
    assert all(len(blobs(f)) == len(blobs(lp[0])) == 1 for f in lp), [len(blobs(f)) for f in lp]


def test_loop_of_a_take_closes_it(source) -> None:
    frames, take = source
    closing = generate(Loop.for_source(take, num_frames=12))
    assert mad(frames[-1], closing[0]) <= seam_limit(frames)
    assert mad(closing[-1], frames[0]) <= seam_limit(frames)


def test_remix_noir_is_monochrome_and_contrasty(source) -> None:
    frames, take = source
    noir = generate(Remix.for_source(take, prompt="film noir", strength=1.0))
    assert noir.shape == frames.shape
    assert saturation(frames[5]) > 20
    assert saturation(noir[5]) < 1.0
    assert contrast(noir[5]) > 1.15 * contrast(frames[5])
    # the source's motion is kept
    assert mean_flow(noir[4], noir[5])[0] < -0.3


def test_remix_strength_controls_how_far(source) -> None:
    frames, take = source
    light = generate(Remix.for_source(take, prompt="noir", strength=0.3))
    full = generate(Remix.for_source(take, prompt="noir", strength=1.0))
    assert mad(light[5], frames[5]) < 0.6 * mad(full[5], frames[5])
    assert saturation(full[5]) < saturation(light[5]) < saturation(frames[5])


@pytest.mark.parametrize(
    ("look", "check"),
    [
        ("sepia", lambda src, out: out[..., 0].mean() > out[..., 1].mean() > out[..., 2].mean()),
        ("night", lambda src, out: luma(out) < 0.6 * luma(src)),
        ("snow", lambda src, out: luma(out) > luma(src) + 10),
        (
            "golden hour",
            lambda src, out: (
                (out[..., 0].mean() - out[..., 2].mean())
                > (src[..., 0].mean() - src[..., 2].mean()) + 20
            ),
        ),
        ("fog", lambda src, out: contrast(out) < 0.75 * contrast(src)),
        ("rain", lambda src, out: luma(out) < luma(src)),
    ],
)
def test_remix_looks(source, look, check) -> None:
    frames, take = source
    out = generate(Remix.for_source(take, prompt=look, strength=0.9))
    assert check(frames[5], out[5])


def test_remix_reads_every_segment_in_order(tmp_path: Path) -> None:
    a = render("wide shot, a man, day", 6)
    b = render("close-up, a woman, night", 6)
    ta, tb = write_take(a, tmp_path / "a"), write_take(b, tmp_path / "b")
    two = ClipSource(
        segments=(SegmentRef(ta.segments[0].path, 2, 6), SegmentRef(tb.segments[0].path, 0, 3)),
        head=ta.head,
        tail=tb.tail,
        width=W,
        height=H,
        fps=Fraction(24),
        num_frames=7,
    )
    out = generate(Remix.for_source(two, prompt="warm", strength=0.1))
    assert len(out) == 7
    assert mad(out[0], a[2]) < mad(out[0], b[0])
    assert mad(out[4], b[0]) < 8 and mad(out[6], b[2]) < 8


@pytest.fixture
def stills(tmp_path: Path) -> tuple[Path, np.ndarray, Path, np.ndarray]:
    one = render("medium shot, two men, dusk", 1)[0]
    two = render("close-up, a woman, night", 1)[0]
    p1, p2 = tmp_path / "one.png", tmp_path / "two.jpg"
    cv2.imwrite(str(p1), cv2.cvtColor(one, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(p2), cv2.cvtColor(two, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 98])
    return p1, one, p2, two


def test_image_to_video_starts_on_the_image_and_moves(stills) -> None:
    p1, one, _, _ = stills
    out = generate(
        ImageToVideo(
            prompt="slow pan left", images=(PinnedImage(p1),), width=W, height=H, num_frames=12
        )
    )
    assert mad(out[0], one) < 1.0
    dx, _ = mean_flow(out[0], out[6])
    assert dx > 0.5  # panning left slides the picture right
    assert mad(out[0], out[-1]) > 2


def test_image_to_video_keyframes(stills) -> None:
    p1, one, p2, two = stills
    out = generate(
        ImageToVideo(
            prompt="static",
            width=W,
            height=H,
            num_frames=13,
            images=(PinnedImage(p1, 0), PinnedImage(p2, -1)),
        )
    )
    assert mad(out[0], one) < 1.0
    assert mad(out[-1], two) < 3.0  # a JPEG still
    mid = out[6]
    assert mad(mid, one) > 5 and mad(mid, two) > 5
    assert mad(mid, ((one.astype(int) + two) // 2).astype(np.uint8)) < 3
    assert max(consecutive_diffs(out)) < mad(one, two) / 3  # a dissolve, not a cut


def test_image_is_scaled_to_cover_the_frame(tmp_path: Path) -> None:
    square = np.zeros((300, 300, 3), np.uint8)
    square[:, :150] = (255, 0, 0)
    square[:, 150:] = (0, 0, 255)
    path = tmp_path / "square.png"
    cv2.imwrite(str(path), cv2.cvtColor(square, cv2.COLOR_RGB2BGR))
    out = generate(
        ImageToVideo(prompt="static", images=(PinnedImage(path),), width=W, height=H, num_frames=1)
    )
    assert out.shape == (1, H, W, 3)
    assert out[0][:, :100, 0].mean() > 240 and out[0][:, -100:, 2].mean() > 240


def test_recipe_records_conditioning(source) -> None:
    _, take = source
    sink = CollectingSink()
    res = ENGINE.generate(Extend.for_source(take, prompt=SOURCE_PROMPT, num_frames=3), sink)
    r = res.recipe
    assert r["operation"] == "extend" and r["direction"] == "forward"
    assert r["conditioning"]["source"]["tail"] == [str(p) for p in take.tail]
    assert r["shot"]["moves"] == [{"kind": "pan", "direction": "right", "speed": 1.0}]
    assert res.frames == 3 == len(sink.frames)
