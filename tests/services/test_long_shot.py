"""Long shots: made window by window, colour-matched, and re-rollable from any window."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from previz.core.errors import InvalidInput
from previz.core.windows import plan_windows
from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from previz.services.runner import JobRunner
from previz.store.folder import resolve
from tests.services.test_generation import DebugWorker, decode

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def proj(tmp_path: Path):
    svc = ProjectService.create(tmp_path / "Long.previz", fps="24", size="128x72")
    yield svc
    svc.close()


def run(svc: ProjectService, jobs, worker=None) -> None:
    runner = JobRunner(svc, worker_factory=(lambda: worker) if worker else None)
    assert runner.acquire()
    try:
        runner.run_pending({j.id for j in jobs})
        for j in jobs:
            got = runner.queue.get(j.id)
            assert got.status == "done", got.message
    finally:
        runner.stop()


def test_timed_prompts_and_window_plans() -> None:
    w = plan_windows("WIDE, ferry. 0-4 s: leaves; 4-10 s: turns", 240, Fraction(24), 72)
    assert [(x.start, x.end) for x in w] == [(0, 72), (72, 96), (96, 168), (168, 240)]
    assert w[0].prompt == "WIDE, ferry. leaves" and w[-1].prompt == "WIDE, ferry. turns"
    assert [(x.start, x.end) for x in plan_windows("x", 100, Fraction(24), 48)] == [
        (0, 48),
        (48, 100),
    ]
    with pytest.raises(InvalidInput, match="without gaps"):
        plan_windows("0-4 s: a; 5-8 s: b", 240, Fraction(24), None)


def test_a_sixty_second_shot_is_made_in_windows_each_conditioned_on_the_last_tail(proj) -> None:
    shot = proj.add_shot(prompt="WIDE, dusk, a ferry, slow pan right", duration_frames=60 * 24)
    jobs = Generation(proj).generate(
        shot.id, EngineChoice(engine="animatic", seed=4), window_frames=96
    )
    run(proj, jobs)
    take = proj.take(shot.id)
    assert take.operation == "long" and take.frame_count == 1440
    assert len(take.segments) == 15 == len(take.recipe["windows"])
    assert [s.end - s.start for s in take.segments] == [96] * 15
    recipes = take.recipe["window_recipes"]
    assert recipes[0]["operation"] == "text_to_video"
    for k in range(1, 15):
        cond = recipes[k]["conditioning"]["source"]["tail"]
        assert cond and all(f"/w{k - 1:02d}/tail/" in p for p in cond), cond
        # colour-matched to the first window's lossless tail
        refs = recipes[k]["color_match"]["reference_frames"]
        assert refs and all("/w00/tail/" in p for p in refs), refs
    assert "color_match" not in recipes[0]  # the first window is the reference itself
    # each window re-renders the same animatic scene on from the last one's end (it does not
    # hold and re-frame the last frame), so the figures keep moving through the whole shot
    assert all(recipes[k]["continuation"] == "scene" for k in range(1, 15))
    # every window's file is in the take's folder, and the whole shot decodes to 1440 frames
    assert decode(proj, take).shape[0] == 1440


def test_rerolling_window_k_keeps_windows_before_it_byte_identical(proj) -> None:
    shot = proj.add_shot(prompt="WIDE, night, rain, two people walk left", duration_frames=5 * 48)
    gen = Generation(proj)
    run(proj, gen.generate(shot.id, EngineChoice(engine="animatic", seed=1), window_frames=48))
    first = proj.take(shot.id)
    before = {s.path: resolve(proj.folder, s.path).read_bytes() for s in first.segments}
    run(proj, [gen.reroll(shot.id, 3, EngineChoice(engine="animatic", seed=99))])
    second = proj.take(shot.id)
    assert second.number == 2 and second.parents == (first.id,)
    assert second.frame_count == first.frame_count
    assert second.segments[:2] == first.segments[:2]  # same files, same ranges, same hashes
    for s in second.segments[:2]:
        assert resolve(proj.folder, s.path).read_bytes() == before[s.path]
    assert all(s.path not in before for s in second.segments[2:])
    assert second.recipe["rerolled_from_window"] == 3
    a, b = decode(proj, first), decode(proj, second)
    assert np.array_equal(a[:96], b[:96])
    assert not np.array_equal(a[96:], b[96:])
    with pytest.raises(InvalidInput, match="out of range"):
        gen.reroll(shot.id, 9)


def test_colour_matching_pulls_a_shifted_window_back(proj) -> None:
    """A 'drifting model': window k comes out with a colour bias of k steps, so without matching
    the colour walks away from join to join. Matched to the first window's tail, the last
    window stays within a small tolerance of the first."""
    gen = Generation(proj)

    def drift(color_match: bool) -> float:
        shot = proj.add_shot(prompt="MEDIUM, day, a woman stands, static", duration_frames=128)
        worker = DebugWorker(lambda k: {"color_bias": [8 * k, 0, -8 * k]})
        jobs = gen.generate(
            shot.id,
            EngineChoice(engine="animatic", seed=5),
            window_frames=32,
            color_match=color_match,
        )
        run(proj, jobs, worker)
        frames = decode(proj, proj.take(shot.id)).astype(float)
        first = frames[24:32].mean(axis=(0, 1, 2))  # window 1's tail: the reference
        last = frames[-8:].mean(axis=(0, 1, 2))
        return float(np.abs(first - last).max())

    unmatched, matched = drift(False), drift(True)
    assert unmatched > 15.0  # the drift is real and visible
    assert matched < 5.0
    assert matched < unmatched / 3


def test_colour_match_sink_restores_shifted_statistics() -> None:
    from engine.api import CollectingSink
    from engine.color import ColorMatchSink, frame_stats

    yy, xx = np.mgrid[0:72, 0:128]
    base = []
    for i in range(12):  # a graded sky over ground with a figure moving across
        f = np.zeros((72, 128, 3), np.uint8)
        f[..., 0] = 60 + yy
        f[..., 1] = 80 + xx // 2
        f[..., 2] = 150 - yy
        f[40:, :] = (70, 90, 60)
        f[20:60, 10 + 8 * i : 20 + 8 * i] = (180, 40, 40)
        base.append(f)
    ref = frame_stats(base[:4])
    shifted = [np.clip(f.astype(int) + [25, -10, -30], 0, 255).astype(np.uint8) for f in base]
    out = CollectingSink()
    sink = ColorMatchSink(out, ref)
    for f in shifted:
        sink.write(f)
    sink.flush()
    got = out.array().astype(float).mean(axis=(0, 1, 2))
    want = np.stack(base).astype(float).mean(axis=(0, 1, 2))
    raw = np.stack(shifted).astype(float).mean(axis=(0, 1, 2))
    assert np.abs(got - want).max() < 6.5  # of 255: a shift a viewer does not notice
    assert np.abs(raw - want).max() > 20.0


def test_a_draft_is_cheap_and_rerenders_at_full_quality_with_the_same_seed(proj) -> None:
    shot = proj.add_shot(prompt="WIDE, dusk, a ferry, slow dolly in", duration_frames=12)
    gen = Generation(proj)
    run(proj, gen.generate(shot.id, EngineChoice(engine="animatic", seed=42, draft=True)))
    draft = proj.take(shot.id)
    assert draft.recipe["draft"] is True
    assert (draft.width, draft.height) == (112, 64)  # smaller, same aspect, engine minimum 64
    run(proj, [gen.rerender(shot.id)])
    full = proj.take(shot.id)
    assert full.number == 2 and full.recipe["draft"] is False
    assert (full.width, full.height) == (128, 72)
    assert full.seed == draft.seed == 42 and full.prompt == draft.prompt
    assert full.parents == (draft.id,)
    with pytest.raises(InvalidInput, match="not a draft"):
        gen.rerender(shot.id)
