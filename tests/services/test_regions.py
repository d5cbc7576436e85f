"""Region edits through the services (issue 17): masks checked, stored losslessly in the
project and named in the take's recipe; an inpainted take keeps its source's pixels outside
the feathered mask; a cinemagraph's still is the take's frame itself (lossless) or an image
fitted to the sequence; a refused request leaves no file behind."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.api import SegmentRef
from engine.masks import box_mask, protected
from engine.media import HEAD_TAIL_FRAMES, load_png_frames, read_frames
from previz.core.errors import InvalidInput, PrevizError
from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from previz.services.regions import (
    MaskInput,
    load_region_masks,
    mask_array,
    store_mask,
    take_frame,
)
from previz.services.runner import JobRunner
from previz.store.folder import resolve

pytestmark = pytest.mark.timeout(240)

W, H, N = 320, 176, 24
ANIMATIC = EngineChoice(engine="animatic", seed=11)
BOX = (40, 30, 160, 100)  # x, y, w, h


@pytest.fixture
def proj(tmp_path: Path):
    svc = ProjectService.create(tmp_path / "Regions.previz", fps="24", size=f"{W}x{H}")
    svc.add_shot(prompt="WIDE, day, a red car, a man walks left", duration_frames=N)
    yield svc
    svc.close()


@pytest.fixture
def runner(proj: ProjectService):
    r = JobRunner(proj)
    assert r.acquire()
    yield r
    r.stop()


@pytest.fixture
def source(proj: ProjectService, runner: JobRunner):
    [job] = Generation(proj).generate("0010", ANIMATIC)
    runner.run_pending({job.id})
    assert runner.queue.get(job.id).status == "done", runner.queue.get(job.id).message
    return proj.take("0010")


def decode(svc: ProjectService, take) -> np.ndarray:
    segs = [SegmentRef(resolve(svc.folder, s.path), s.start, s.end) for s in take.segments]
    return np.stack(list(read_frames(segs))).astype(np.float64)


def masks_dir(svc: ProjectService) -> list[Path]:
    d = svc.folder / "media" / "masks"
    return sorted(p for p in d.iterdir() if not p.name.startswith(".")) if d.is_dir() else []


def write_png(path: Path, img: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), img)
    return path


# --- masks: checked, stored, read back -----------------------------------------------------------


def test_a_mask_is_checked_against_the_frame_and_stored_losslessly(tmp_path: Path, proj) -> None:
    box = mask_array(MaskInput(box=BOX), W, H)
    assert box.shape == (H, W) and box.sum() == 160 * 100
    m = np.zeros((H, W), np.uint8)
    m[10:50, 200:300] = 255
    from_file = mask_array(MaskInput(path=write_png(tmp_path / "m.png", m)), W, H)
    assert np.array_equal(from_file, m > 0)
    painted = mask_array(MaskInput(array=m > 0), W, H)
    assert np.array_equal(painted, m > 0)

    # another size: refused naming both sizes and --resize-mask, unless asked to resize
    small = write_png(tmp_path / "small.png", cv2.resize(m, (W // 2, H // 2)))
    with pytest.raises(InvalidInput) as e:
        mask_array(MaskInput(path=small), W, H)
    msg = str(e.value)
    assert f"{W // 2}x{H // 2}" in msg and f"{W}x{H}" in msg and "--resize-mask" in msg
    resized = mask_array(MaskInput(path=small), W, H, resize=True)
    assert resized.shape == (H, W) and (resized ^ (m > 0)).mean() < 0.01

    # empty, not an image, a painted mask with nothing painted: one line each
    empty = write_png(tmp_path / "empty.png", np.zeros((H, W), np.uint8))
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    for bad, says in (
        (MaskInput(path=empty), "empty"),
        (MaskInput(path=text), "not an image"),
        (MaskInput(array=np.zeros((H, W), bool)), "empty"),
        (MaskInput(box=(W + 10, 0, 20, 20)), "outside"),
    ):
        with pytest.raises(InvalidInput) as e:
            mask_array(bad, W, H)
        assert says in str(e.value) and "\n" not in str(e.value)

    # stored as a grey PNG under media/masks, read back bit for bit
    stored = store_mask(proj.folder, from_file)
    assert stored.startswith("media/masks/") and stored.endswith(".png")
    grey = cv2.imread(str(resolve(proj.folder, stored)), cv2.IMREAD_UNCHANGED)
    assert grey.ndim == 2 and set(np.unique(grey)) == {0, 255}
    [(frame, back)] = load_region_masks(
        proj.folder, {"region": {"masks": [{"path": stored, "frame_index": None}]}}
    )
    assert frame is None and np.array_equal(back, from_file)


# --- inpaint ---------------------------------------------------------------------------------


def test_inpaint_changes_only_the_masked_region_of_a_new_selected_take(
    proj, runner, source
) -> None:
    gen = Generation(proj)
    job = gen.inpaint(
        "0010", "WIDE, night, a blue car, a man walks left", [MaskInput(box=BOX)], ANIMATIC
    )
    p = job.payload
    assert p["op"] == "inpaint" and p["source"] == {"take_id": source.id}
    assert (p["num_frames"], p["width"], p["height"], p["fps"]) == (N, W, H, "24")
    region = p["region"]
    assert region["feather"] == 8 and region["boxes"] == [{"box": list(BOX), "frame_index": None}]
    [key] = region["masks"]
    assert key["frame_index"] is None and key["path"].startswith("media/masks/")

    runner.run_pending({job.id})
    assert runner.queue.get(job.id).status == "done", runner.queue.get(job.id).message
    new = proj.take("0010")  # the new take is selected
    assert new.number == 2 and new.operation == "inpaint" and new.parents == (source.id,)
    assert new.frame_count == N and new.recipe["region"] == region
    [(frame, mask)] = load_region_masks(proj.folder, new.recipe)
    assert frame is None and np.array_equal(mask, box_mask(W, H, *BOX))
    assert resolve(proj.folder, key["path"]).is_file()

    a, b = decode(proj, source), decode(proj, new)
    keep = protected(mask, region["feather"])
    for i in range(N):
        outside = np.abs(a[i][keep] - b[i][keep]).mean()
        inside = np.abs(a[i][mask] - b[i][mask]).mean()
        assert outside <= 2.0, (i, outside)
        assert inside >= 10.0, (i, inside)


def test_a_refused_inpaint_stores_nothing(
    tmp_path: Path, proj, runner, source, monkeypatch
) -> None:
    gen = Generation(proj)
    empty = write_png(tmp_path / "empty.png", np.zeros((H, W), np.uint8))
    cases = [
        ([MaskInput(box=BOX, frame=0), MaskInput(path=empty, frame=12)], "empty"),
        ([MaskInput(box=BOX, frame=0), MaskInput(box=BOX, frame=N)], "0..23"),
        ([MaskInput(box=BOX), MaskInput(box=BOX, frame=3)], "not both"),
        ([], "needs a mask"),
    ]
    for masks, says in cases:
        with pytest.raises(PrevizError) as e:
            gen.inpaint("0010", "a blue car", masks, ANIMATIC)
        assert says in str(e.value)
    with pytest.raises(InvalidInput, match="needs a prompt"):
        gen.inpaint("0010", "  ", [MaskInput(box=BOX)], ANIMATIC)
    with pytest.raises(InvalidInput, match="cannot inpaint|no engine"):
        gen.inpaint("0010", "a blue car", [MaskInput(box=BOX)], EngineChoice(engine="nope"))

    # refused when queued, after its masks were stored (the engine's check): removed again
    def refuse(payload) -> None:  # type: ignore[no-untyped-def]
        assert masks_dir(proj)  # stored by then
        raise InvalidInput("refused by the engine")

    monkeypatch.setattr(gen, "check", refuse)
    with pytest.raises(InvalidInput, match="refused"):
        gen.inpaint(
            "0010",
            "a blue car",
            [MaskInput(box=BOX, frame=0), MaskInput(box=BOX, frame=9)],
            ANIMATIC,
        )
    monkeypatch.undo()
    assert masks_dir(proj) == []
    assert [t.number for t in proj.takes("0010")] == [1]
    # a shot with no take has nothing to inpaint
    proj.add_shot(prompt="CU, a gull", duration_frames=12)
    with pytest.raises(PrevizError, match="no take"):
        gen.inpaint("0020", "a crow", [MaskInput(box=BOX)], ANIMATIC)


def test_region_support_names_what_can(tmp_path: Path, proj) -> None:
    from tests.engine_diffusers.helpers import LTX_INDEX, fake_ltx_files, write_folder

    gen = Generation(proj)
    assert gen.region_support("0010", "inpaint", ANIMATIC) is None
    assert gen.region_support("0010", "cinemagraph", ANIMATIC) is None
    ltx = write_folder(tmp_path / "my-ltx", LTX_INDEX, fake_ltx_files())
    choice = EngineChoice(engine="diffusers", model=str(ltx))
    assert (
        gen.region_support("0010", "inpaint", choice)
        == "LTX-Video cannot inpaint; pick a Wan VACE model or the animatic"
    )
    assert "cannot make cinemagraphs" in gen.region_support("0010", "cinemagraph", choice)


def test_an_inpaint_with_a_model_that_cannot_is_refused_before_anything_is_stored(
    tmp_path: Path, proj
) -> None:
    from tests.engine_diffusers.helpers import LTX_INDEX, fake_ltx_files, write_folder
    from tests.helpers import fake_take

    fake_take(proj, proj.resolve_shot("0010").id, frames=N)
    proj.select_take("0010", 1)
    ltx = write_folder(tmp_path / "my-ltx", LTX_INDEX, fake_ltx_files())
    gen = Generation(proj)
    with pytest.raises(InvalidInput) as e:
        gen.inpaint(
            "0010",
            "a blue car",
            [MaskInput(box=BOX)],
            EngineChoice(engine="diffusers", model=str(ltx)),
        )
    assert str(e.value) == "LTX-Video cannot inpaint; pick a Wan VACE model or the animatic"
    assert masks_dir(proj) == []


# --- cinemagraph -----------------------------------------------------------------------------


def test_a_cinemagraph_from_a_frame_holds_that_frame_outside_the_mask(proj, runner, source) -> None:
    # the still is the frame itself: lossless from the head PNGs, decoded in the middle
    head = load_png_frames([resolve(proj.folder, p) for p in source.head])
    assert np.array_equal(take_frame(proj.folder, source, 3), head[3])
    mid = HEAD_TAIL_FRAMES + 2
    assert mid < N - HEAD_TAIL_FRAMES
    assert np.array_equal(take_frame(proj.folder, source, mid), decode(proj, source)[mid])

    gen = Generation(proj)
    job = gen.cinemagraph(
        "0010",
        "water ripples, the car's lamps flicker",
        MaskInput(box=BOX),
        ANIMATIC,
        frame=3,
        duration_frames=16,
        loop=True,
    )
    p = job.payload
    region = p["region"]
    assert p["op"] == "cinemagraph" and p["source"] == {"take_id": source.id}
    assert (p["num_frames"], p["loop"]) == (16, True)
    assert (region["from_take"], region["from_frame"], region["loop"]) == (source.id, 3, True)
    assert region["image"].startswith("media/masks/") and region["image"].endswith("-still.png")
    still = load_png_frames([resolve(proj.folder, region["image"])])[0]
    assert np.array_equal(still, head[3])

    runner.run_pending({job.id})
    assert runner.queue.get(job.id).status == "done", runner.queue.get(job.id).message
    new = proj.take("0010")
    assert new.operation == "cinemagraph" and new.parents == (source.id,)
    assert new.frame_count == 16 and new.recipe["region"] == region
    [(_, mask)] = load_region_masks(proj.folder, new.recipe)
    frames = decode(proj, new)
    keep = protected(mask, region["feather"])
    for f in frames:
        assert np.abs(f[keep] - still[keep].astype(np.float64)).mean() <= 2.0
    moves = [np.abs(frames[i + 1][mask] - frames[i][mask]).mean() for i in range(15)]
    assert max(moves) > 1.0


def test_a_cinemagraph_from_an_image_is_fitted_to_the_sequence(tmp_path: Path, proj) -> None:
    gen = Generation(proj)
    wide = np.zeros((200, 640, 3), np.uint8)
    wide[:, 160:480] = (0, 0, 255)  # the middle half red (BGR), the sides black
    image = write_png(tmp_path / "painting.png", wide)
    job = gen.cinemagraph(
        "0010", "the sea moves", MaskInput(box=BOX), ANIMATIC, image=image, duration_frames=12
    )
    region = job.payload["region"]
    assert "source" not in job.payload and region["from_take"] is None
    assert any("fitted" in n and "640x200" in n for n in gen.notes)
    still = load_png_frames([resolve(proj.folder, region["image"])])[0]
    # cover: scaled to 563x176 and cropped in the middle, so the red band fills most of it
    assert still.shape == (H, W, 3)
    assert still[H // 2, W // 2].tolist() == [255, 0, 0]
    assert still[H // 2, 5].tolist() == [0, 0, 0]
    same = write_png(tmp_path / "exact.png", np.full((H, W, 3), 90, np.uint8))
    gen.cinemagraph("0010", "the sea moves", MaskInput(box=BOX), ANIMATIC, image=same)
    assert any("used as it is" in n for n in gen.notes)

    # --frame of a shot with no take, an image that is not one, both or neither: refused,
    # nothing new stored
    before = masks_dir(proj)
    text = tmp_path / "x.png"
    text.write_text("no")
    for kwargs, says in (
        ({"frame": 0}, "no take"),
        ({"image": text}, "not an image"),
        ({"image": same, "frame": 2}, "one still"),
        ({}, "one still"),
    ):
        with pytest.raises(PrevizError, match=says):
            gen.cinemagraph("0010", "the sea moves", MaskInput(box=BOX), ANIMATIC, **kwargs)
    assert masks_dir(proj) == before
