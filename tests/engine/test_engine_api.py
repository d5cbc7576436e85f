"""The engine API: bad requests fail early with a clear message, snapping is reported, the
recipe records what was made, progress and cancel work, the library stays light."""

from __future__ import annotations

import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.api import (
    Bridge,
    Cancelled,
    CancelToken,
    Capabilities,
    ClipSource,
    CollectingSink,
    Engine,
    Extend,
    ImageToVideo,
    Loop,
    PinnedImage,
    ProgressEvent,
    Remix,
    RequestError,
    SegmentRef,
    TextToVideo,
    UnknownEngine,
    UnsupportedOperation,
    check_inputs,
    snap,
    validate,
    variations,
    with_seed,
)
from engine.backends.animatic import AnimaticEngine
from engine.job import run_job
from engine.registry import available_engines, get_engine
from tests.engine.engine_testutil import render, write_take

REPO = Path(__file__).resolve().parents[2]


class NoWriteSink:
    """A sink that fails the test if anything is written (work must not start)."""

    def write(self, frame: np.ndarray) -> None:
        raise AssertionError("a frame was written for a request that should have been refused")


def t2v(**kw) -> TextToVideo:
    base = dict(prompt="wide shot, a man walks left", width=256, height=144, num_frames=4)
    base.update(kw)
    return TextToVideo(**base)


@pytest.fixture(scope="module")
def take(tmp_path_factory: pytest.TempPathFactory) -> ClipSource:
    return write_take(
        render("full shot, a man walks left, pan right", 10), tmp_path_factory.mktemp("take")
    )


@pytest.mark.parametrize(
    ("request_kw", "message"),
    [
        (dict(num_frames=0), "at least 1 frame"),
        (dict(num_frames=100_000), "more than the 60 s"),
        (dict(num_frames=-5), "at least 1 frame"),
        (dict(width=0, height=0), "between 64 and 4096"),
        (dict(width=20_000, height=20_000), "between 64 and 4096"),
        (dict(width=1280, height=32), "between 64 and 4096"),
        (dict(fps=Fraction(0)), "fps must be positive"),
        (dict(fps=Fraction(-24)), "fps must be positive"),
        (dict(fps=23.976), "exact"),
        (dict(prompt="   "), "prompt is empty"),
        (dict(seed=-1), "seed"),
        (dict(steps=0), "steps"),
        (dict(guidance=float("nan")), "guidance"),
        (dict(labels=("",)), "labels"),
    ],
)
def test_bad_requests_fail_before_any_work(request_kw: dict, message: str) -> None:
    engine = AnimaticEngine()
    with pytest.raises(RequestError, match=message) as info:
        engine.generate(t2v(**request_kw), NoWriteSink())
    text = str(info.value)
    assert "\n" not in text and len(text) < 300  # one clear line


def test_frame_limit_is_explained_in_seconds() -> None:
    with pytest.raises(RequestError) as info:
        check_inputs(t2v(num_frames=100_000, fps=Fraction(24)))
    assert "4166.7 s" in str(info.value) and "extend" in str(info.value)
    check_inputs(t2v(num_frames=60 * 24))  # exactly a minute is fine


def test_missing_conditioning_files(take: ClipSource, tmp_path: Path) -> None:
    engine = AnimaticEngine()
    gone_tail = ClipSource(
        segments=take.segments,
        head=take.head,
        tail=(*take.tail[:-1], tmp_path / "purged.png"),
        width=take.width,
        height=take.height,
        fps=take.fps,
        num_frames=take.num_frames,
    )
    with pytest.raises(RequestError, match="tail frame not found: .*purged.png"):
        engine.generate(Extend.for_source(gone_tail, num_frames=4), NoWriteSink())
    # backward needs the head, not the tail: that take still extends backward
    sink = CollectingSink()
    engine.generate(Extend.for_source(gone_tail, num_frames=2, direction="backward"), sink)
    assert len(sink.frames) == 2

    gone_clip = ClipSource(
        segments=(SegmentRef(tmp_path / "missing.mp4", 0, 10),),
        head=take.head,
        tail=take.tail,
        width=take.width,
        height=take.height,
        fps=take.fps,
        num_frames=10,
    )
    with pytest.raises(RequestError, match="clip file not found: .*missing.mp4"):
        engine.generate(Remix.for_source(gone_clip, prompt="noir"), NoWriteSink())
    with pytest.raises(RequestError, match="take B"):
        engine.generate(
            Bridge.for_source(
                take,
                source_b=gone_tail.__class__(
                    segments=(),
                    head=(tmp_path / "nope.png",),
                    tail=(),
                    width=take.width,
                    height=take.height,
                    fps=take.fps,
                    num_frames=3,
                ),
                num_frames=4,
            ),
            NoWriteSink(),
        )


def test_a_file_that_is_not_an_image(tmp_path: Path) -> None:
    fake = tmp_path / "still.png"
    fake.write_text("this is a shot list, not a picture")
    req = ImageToVideo(prompt="", images=(PinnedImage(fake),), width=256, height=144, num_frames=4)
    with pytest.raises(RequestError, match="not an image: .*still.png"):
        AnimaticEngine().generate(req, NoWriteSink())
    with pytest.raises(RequestError, match="not found"):
        check_inputs(ImageToVideo(images=(tmp_path / "nowhere.png",), width=256, height=144))


def test_image_pins_must_be_inside_the_shot(tmp_path: Path) -> None:
    img = tmp_path / "a.png"
    import cv2

    cv2.imwrite(str(img), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(RequestError, match="pinned at frame 40"):
        check_inputs(ImageToVideo(images=(PinnedImage(img, 40),), num_frames=12))
    with pytest.raises(RequestError, match="two images are pinned at frame 11"):
        check_inputs(
            ImageToVideo(images=(PinnedImage(img, 11), PinnedImage(img, -1)), num_frames=12)
        )


def test_source_size_and_strength_are_checked(take: ClipSource) -> None:
    with pytest.raises(RequestError, match="match the source take's size 256x144"):
        check_inputs(Extend(source=take, width=1280, height=720, num_frames=4))
    with pytest.raises(RequestError, match="frame rate 24"):
        check_inputs(Extend.for_source(take, fps=Fraction(25), num_frames=4))
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(RequestError, match=r"strength must be in \(0, 1\]"):
            check_inputs(Remix.for_source(take, prompt="noir", strength=bad))
    with pytest.raises(RequestError, match="at most the source take's 10 frames"):
        check_inputs(Remix.for_source(take, prompt="noir", num_frames=11))
    with pytest.raises(RequestError, match="needs a prompt"):
        check_inputs(Remix.for_source(take, prompt=""))
    with pytest.raises(RequestError, match="direction"):
        check_inputs(Extend.for_source(take, direction="sideways", num_frames=2))


class TextOnlyEngine(Engine):
    name = "textonly"

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            operations=frozenset({"text_to_video"}),
            frame_modulus=8,
            frame_remainder=1,
            max_frames=257,
            default_steps=30,
            default_guidance=3.0,
        )

    def _generate(self, request, sink, progress, cancel):
        for i in range(request.num_frames):
            cancel.raise_if_cancelled()
            sink.write(np.zeros((request.height, request.width, 3), np.uint8))
            progress(i + 1)
        return {}


def test_unsupported_operation_is_clear(take: ClipSource) -> None:
    engine = TextOnlyEngine()
    with pytest.raises(UnsupportedOperation, match="cannot do bridge .*pick another engine"):
        engine.generate(Bridge.for_source(take, source_b=take, num_frames=9), NoWriteSink())
    with pytest.raises(UnsupportedOperation, match="cannot do loop"):
        validate(Loop(prompt="x"), engine.capabilities, engine.name)
    assert issubclass(UnsupportedOperation, RequestError)


def test_engine_limits_and_defaults() -> None:
    engine = TextOnlyEngine()
    with pytest.raises(RequestError, match="more than the textonly engine makes"):
        engine.generate(t2v(num_frames=300), NoWriteSink())
    sink = CollectingSink()
    res = engine.generate(t2v(num_frames=20), sink)
    assert res.frames == 17 == len(sink.frames)  # 8k+1
    assert res.notes == (
        "frame count 20 snapped to 17 (the textonly engine makes frame counts of the form 8k+1)",
    )
    assert (res.recipe["steps"], res.recipe["guidance"]) == (30, 3.0)


def test_snapping_is_reported_and_recorded() -> None:
    sink = CollectingSink()
    res = AnimaticEngine().generate(t2v(width=1283, height=721, num_frames=2), sink)
    assert "width 1283 snapped to 1280 (the animatic engine needs multiples of 8)" in res.notes
    assert "height 721 snapped to 720 (the animatic engine needs multiples of 8)" in res.notes
    assert (res.width, res.height) == (1280, 720)
    assert (res.recipe["width"], res.recipe["height"]) == (1280, 720)
    assert res.recipe["notes"] == list(res.notes)
    assert sink.frames[0].shape == (720, 1280, 3)


def test_snap_rules() -> None:
    caps = Capabilities(
        operations=frozenset({"text_to_video"}),
        size_multiple=32,
        frame_modulus=4,
        frame_remainder=1,
        max_width=1024,
    )
    req, notes = snap(t2v(width=2000, height=500, num_frames=50), caps)
    assert (req.width, req.height, req.num_frames) == (1024, 512, 49)
    assert len(notes) == 3
    same, none = snap(req, caps)
    assert same == req and none == []


def test_snapping_frames_keeps_pins_inside_the_shot(tmp_path: Path) -> None:
    caps = Capabilities(
        operations=frozenset({"image_to_video"}), frame_modulus=8, frame_remainder=1
    )
    req = ImageToVideo(
        images=(PinnedImage(tmp_path / "a.png", 0), PinnedImage(tmp_path / "b.png", 99)),
        num_frames=100,
    )
    snapped, notes = snap(req, caps)
    assert snapped.num_frames == 97
    assert [im.frame_index for im in snapped.images] == [0, 96]
    assert "image b.png pinned at frame 99 moved to the last frame 96" in notes


def test_snapped_job_files_have_the_snapped_size(tmp_path: Path) -> None:
    from engine.media import probe

    out = run_job(AnimaticEngine(), t2v(width=250, height=141, num_frames=3), tmp_path)
    assert (out.files.width, out.files.height) == (248, 144)
    assert probe(tmp_path / out.files.video) == (3, Fraction(24), 248, 144)
    assert any("250 snapped to 248" in n for n in out.result.notes)


def test_recipe_is_complete_and_plain() -> None:
    import json

    req = t2v(
        seed=42,
        fps=Fraction(24000, 1001),
        labels=("Captain",),
        overlay_text="0010",
        negative_prompt="blurry",
        model=None,
    )
    res = AnimaticEngine().generate(req, CollectingSink())
    r = res.recipe
    assert r["engine"] == "animatic" and r["operation"] == "text_to_video"
    assert r["prompt"] == req.prompt and r["seed"] == 42 and r["fps"] == "24000/1001"
    assert (r["width"], r["height"], r["num_frames"]) == (256, 144, 4)
    assert r["labels"] == ["Captain"] and r["overlay_text"] == "0010"
    assert r["shot"]["action"] == "walk" and r["shot"]["direction"] == "left"
    json.dumps(r)  # storable as-is
    assert res.fps == Fraction(24000, 1001)
    assert set(res.timings) >= {"generate_s", "total_s"}


def test_variations_are_seed_steps() -> None:
    req = t2v(seed=10)
    vs = variations(req, 3)
    assert [v.seed for v in vs] == [10, 11, 12]
    assert all(v.prompt == req.prompt for v in vs)
    assert with_seed(req, 99).seed == 99 and req.seed == 10
    with pytest.raises(RequestError):
        variations(req, 0)


def test_requests_are_frozen_values() -> None:
    req = t2v()
    with pytest.raises(AttributeError):
        req.seed = 3  # type: ignore[misc]
    assert req == t2v() and hash(req) == hash(t2v())
    assert TextToVideo(prompt="x", fps=24).fps == Fraction(24)
    assert ImageToVideo(images=("a.png",)).images == (PinnedImage(Path("a.png"), 0),)


def test_progress_events_count_up_with_eta_and_previews() -> None:
    events: list[ProgressEvent] = []
    req = TextToVideo(prompt="wide shot, a man", width=640, height=360, num_frames=10)
    AnimaticEngine().generate(req, CollectingSink(), events.append)
    assert [e.step for e in events] == list(range(1, 11))
    assert all(e.total == 10 for e in events)
    assert events[-1].eta_s == 0 and events[-1].elapsed_s > 0
    previews = [e.preview for e in events if e.preview is not None]
    assert previews and previews[-1].dtype == np.uint8
    assert 120 <= previews[-1].shape[1] <= 200 and previews[-1].shape[2] == 3


def test_cancel_token_is_thread_safe_and_stops_generation() -> None:
    token = CancelToken()
    assert not token.cancelled
    threading.Thread(target=token.cancel).start()
    for _ in range(100):
        if token.cancelled:
            break
        threading.Event().wait(0.01)
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()

    token = CancelToken()
    sink = CollectingSink()

    def on_progress(e: ProgressEvent) -> None:
        if e.step == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        AnimaticEngine().generate(t2v(num_frames=50), sink, on_progress, token)
    assert len(sink.frames) == 3  # stopped at the next frame


def test_registry() -> None:
    assert "animatic" in available_engines()
    assert isinstance(get_engine("animatic"), AnimaticEngine)
    with pytest.raises(UnknownEngine, match="no engine called 'cosmos'.*animatic"):
        get_engine("cosmos")


def test_engine_package_imports_no_app_or_heavy_modules() -> None:
    code = (
        "import sys, engine.api, engine.registry;"
        "heavy = {'av', 'cv2', 'torch', 'previz', 'PySide6', 'sqlalchemy'} & set(sys.modules);"
        "assert not heavy, heavy;"
        "import engine.worker, engine.media, engine.job, engine.backends.animatic;"
        "from engine.backends.animatic import render, motion;"
        "bad = {m.split('.')[0] for m in sys.modules} & {'previz', 'PySide6', 'sqlalchemy',"
        " 'torch'};"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


# -- region edits: inpaint and cinemagraph are refused before any work -------------------------


@pytest.fixture(scope="module")
def region_take(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClipSource, Path]:
    """A 256x144, 6-frame take and a folder holding masks and a still for it."""
    from engine.masks import box_mask, write_mask

    folder = tmp_path_factory.mktemp("region")
    src = write_take(render("wide shot, a man walks left", 6), folder / "take")
    write_mask(folder / "box.png", box_mask(256, 144, 40, 30, 60, 40))
    write_mask(folder / "box2.png", box_mask(256, 144, 120, 30, 60, 40))
    write_mask(folder / "small.png", box_mask(128, 72, 10, 10, 20, 20))
    write_mask(folder / "empty.png", np.zeros((144, 256), bool))
    (folder / "notes.png").write_text("not an image")
    import cv2

    cv2.imwrite(str(folder / "still.png"), np.full((144, 256, 3), 120, np.uint8))
    return src, folder


def _refused(request, match: str) -> str:
    with pytest.raises(RequestError, match=match) as err:
        AnimaticEngine().generate(request, NoWriteSink())
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_inpaint_requests_are_checked_before_any_work(region_take) -> None:
    from engine.api import Inpaint, MaskKey

    src, d = region_take

    def inpaint(**kw):
        base = dict(prompt="a blue car", masks=(MaskKey(d / "box.png"),))
        base.update(kw)
        return Inpaint.for_source(src, **base)

    _refused(inpaint(masks=()), "needs a mask")
    _refused(inpaint(prompt="  "), "needs a prompt")
    _refused(inpaint(feather=-1), "feather")
    _refused(inpaint(feather=10_000), "feather")
    _refused(
        inpaint(masks=(MaskKey(d / "box.png"), MaskKey(d / "box2.png", 3))),
        "either one mask for the whole take or masks at frames",
    )
    _refused(inpaint(masks=(MaskKey(d / "box.png", 6),)), "outside the take's 6 frames")
    _refused(inpaint(masks=(MaskKey(d / "box.png", 2), MaskKey(d / "box2.png", 2))), "two masks")
    msg = _refused(inpaint(masks=(MaskKey(d / "small.png"),)), "128x72")
    assert "256x144" in msg and "--resize-mask" in msg
    _refused(inpaint(masks=(MaskKey(d / "empty.png"),)), "empty")
    _refused(inpaint(masks=(MaskKey(d / "notes.png"),)), "not an image")
    _refused(inpaint(num_frames=4), "source take's 6 frames")
    # a good one passes the same checks
    check_inputs(inpaint(masks=(MaskKey(d / "box.png", 0), MaskKey(d / "box2.png", 5))))


def test_cinemagraph_requests_are_checked_before_any_work(region_take) -> None:
    from engine.api import Cinemagraph

    src, d = region_take

    def cg(**kw):
        base = dict(
            image=d / "still.png", mask=d / "box.png", prompt="water ripples", width=256,
            height=144, num_frames=8,
        )  # fmt: skip
        base.update(kw)
        return Cinemagraph(**base)

    _refused(cg(prompt=""), "needs a prompt")
    _refused(cg(feather=3.5), "feather")
    _refused(cg(mask=d / "small.png"), "--resize-mask")
    _refused(cg(mask=d / "empty.png"), "empty")
    _refused(cg(image=d / "notes.png"), "not an image")
    _refused(cg(source=src, frame_index=6), "outside the take's 6 frames")
    _refused(cg(source=src, frame_index=None), "outside the take's")
    check_inputs(cg(source=src, frame_index=5))
    check_inputs(cg(loop=True))
