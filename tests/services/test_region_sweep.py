"""Region edits keep their masks: the media sweep and `purge` never delete a mask (or a
cinemagraph's still) that a take's recipe or a job that may still run names, and free them
once nothing names them."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest

from previz.services.jobs import JobQueue
from previz.services.project import ProjectService, region_files
from previz.store.folder import resolve

W, H = 320, 176  # the animatic makes sizes in multiples of 8


@pytest.fixture(autouse=True)
def no_sweep_age(monkeypatch: pytest.MonkeyPatch) -> None:
    import previz.services.jobs as jobs_mod

    monkeypatch.setattr(jobs_mod, "SWEEP_MIN_AGE_S", 0)


def mask_file(svc: ProjectService, name: str, x: int = 10) -> str:
    """A real mask PNG under media/masks/, as the services write them; its stored path."""
    from engine.masks import box_mask, write_mask

    rel = f"media/masks/{name}.png"
    (svc.folder / "media" / "masks").mkdir(parents=True, exist_ok=True)
    write_mask(svc.folder / rel, box_mask(W, H, x, 10, 40, 30))
    return rel


def region(*masks: str, image: str | None = None) -> dict:
    out: dict = {
        "masks": [
            {"path": m, "frame_index": None if len(masks) == 1 else i * 10}
            for i, m in enumerate(masks)
        ],
        "feather": 8,
    }
    if image is not None:
        out.update(image=image, from_take=None, from_frame=None, loop=True)
    return out


def region_take(svc: ProjectService, shot_id: int, operation: str, reg: dict | None):
    """Record an inpaint/cinemagraph take whose recipe names ``reg`` (the real install path)."""
    from previz.core.values import SegmentInfo
    from previz.services.takes import NEW, NewTake, install_take

    scratch = svc.folder / "media" / ".jobs" / f"fake-{os.urandom(4).hex()}"
    scratch.mkdir(parents=True)
    (scratch / "clip.mp4").write_bytes(os.urandom(256))
    new = NewTake(
        operation=operation,
        engine="animatic",
        prompt="p",
        expanded_prompt="p",
        seed=1,
        width=W,
        height=H,
        fps=Fraction(24),
        recipe={"engine": "animatic", "operation": operation}
        | ({"region": reg} if reg is not None else {}),
        segments=(SegmentInfo(NEW + "clip.mp4", 0, 24, ""),),
    )
    return install_take(svc, shot_id, scratch, new)


def exists(svc: ProjectService, rel: str) -> bool:
    return resolve(svc.folder, rel).is_file()


def test_the_sweep_keeps_masks_a_take_or_a_queued_job_names_and_removes_orphans(
    project: ProjectService,
) -> None:
    shot = project.add_shot(prompt="WIDE a harbour")
    take_masks = [mask_file(project, "k0"), mask_file(project, "k1", x=200)]
    still = mask_file(project, "still")  # a cinemagraph's still lives there too
    cine_mask = mask_file(project, "cine")
    region_take(project, shot.id, "inpaint", region(*take_masks))
    region_take(project, shot.id, "cinemagraph", region(cine_mask, image=still))
    q = JobQueue(project)
    pending = mask_file(project, "pending")
    q.enqueue("inpaint", {"op": "inpaint", "region": region(pending)}, shot.id)
    failed = mask_file(project, "failed")  # a failed job can be retried: keep its mask
    job = q.enqueue("inpaint", {"op": "inpaint", "region": region(failed)}, shot.id)
    q.claim_next(only={job.id})
    q.finish(job.id, "failed", "out of memory")
    orphan = mask_file(project, "orphan")  # a painted mask whose job never got queued
    done = mask_file(project, "done")  # a finished job whose take was never recorded
    job = q.enqueue("inpaint", {"op": "inpaint", "region": region(done)}, shot.id)
    q.claim_next(only={job.id})
    q.finish(job.id, "done")

    project.store.lock.acquire()
    removed = q.sweep()
    assert sorted(removed) == ["media/masks/done.png", "media/masks/orphan.png"]
    assert not exists(project, orphan) and not exists(project, done)
    for kept in (*take_masks, still, cine_mask, pending, failed):
        assert exists(project, kept), kept


def test_the_sweep_keeps_a_young_orphan_mask_another_process_may_be_queueing(
    project: ProjectService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import previz.services.jobs as jobs_mod

    monkeypatch.setattr(jobs_mod, "SWEEP_MIN_AGE_S", 3600)
    young = mask_file(project, "young")
    old = mask_file(project, "old")
    an_hour_ago = os.path.getmtime(project.folder / old) - 7200
    os.utime(project.folder / old, (an_hour_ago, an_hour_ago))
    project.store.lock.acquire()
    assert JobQueue(project).sweep() == [old]
    assert exists(project, young)


def test_purge_frees_a_deleted_region_takes_mask_only_when_nothing_live_names_it(
    project: ProjectService,
) -> None:
    shot = project.add_shot(prompt="WIDE a harbour")
    shared, own, queued = (mask_file(project, n) for n in ("shared", "own", "queued"))
    still = mask_file(project, "still")
    keep = region_take(project, shot.id, "inpaint", region(shared))
    gone = region_take(project, shot.id, "inpaint", region(shared, own))
    cine = region_take(project, shot.id, "cinemagraph", region(queued, image=still))
    # a re-run of the cinemagraph's mask is queued (e.g. with another prompt)
    JobQueue(project).enqueue("cinemagraph", {"op": "cinemagraph", "region": region(queued)})
    project.remove_take(shot.id, gone.number)
    project.remove_take(shot.id, cine.number)

    # soft-deleted (undo can bring them back): the sweep keeps every file they name
    project.store.lock.acquire()
    assert JobQueue(project).sweep() == []
    assert all(exists(project, p) for p in (shared, own, queued, still))

    res = project.purge()
    assert res["takes"] == 2
    assert not exists(project, own)  # only the deleted take named it
    assert not exists(project, still)  # the deleted cinemagraph's still
    assert exists(project, shared)  # the live take 1 still names it
    assert exists(project, queued)  # a queued job names it
    assert [t.number for t in project.takes(shot.id)] == [keep.number]


def test_a_queued_inpaint_and_cinemagraph_keep_their_stored_masks_through_a_sweep(
    tmp_path,
) -> None:
    """The real service path: the files Generation stores for queued jobs survive the sweep."""
    import cv2

    from previz.services.generation import Generation
    from previz.services.regions import MaskInput

    project = ProjectService.create(tmp_path / "Sea.previz", fps="24", size=f"{W}x{H}")
    shot = project.add_shot(prompt="WIDE a harbour at dusk")
    region_take(project, shot.id, "generate", None)  # the source take
    gen = Generation(project)
    a = gen.inpaint(shot.id, "WIDE a harbour, no boat", [MaskInput(box=(10, 10, 60, 40))])
    still = tmp_path / "painting.png"
    cv2.imwrite(str(still), np.full((H, W, 3), 120, np.uint8))
    b = gen.cinemagraph(
        shot.id, "the water ripples", MaskInput(box=(0, 100, W, 80)), image=still, loop=True
    )
    named = region_files(a.payload) | region_files(b.payload)
    assert len(named) == 3  # two masks and the still, all under media/masks/
    assert all(p.startswith("media/masks/") and exists(project, p) for p in named)
    orphan = mask_file(project, "orphan")
    project.store.lock.acquire()
    assert JobQueue(project).sweep() == [orphan]
    assert all(exists(project, p) for p in named)
    project.close()
