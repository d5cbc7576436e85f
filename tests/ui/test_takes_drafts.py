"""Item 9 (takes list) and item 3 (take side): a draft is marked as a draft in the takes list,
its "Render full quality" gives way to a link to the full-quality take once that exists, the
full-quality take says which draft it renders, and every take shows the seed it used."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from previz.services.runner import JobRunner
from previz.services.takes import draft_sources
from previz.ui.takes_widget import DRAFT_BADGE, THUMB, TakesWidget

pytestmark = pytest.mark.timeout(180)


def _run(svc: ProjectService, jobs) -> None:
    runner = JobRunner(svc)
    assert runner.acquire()
    try:
        runner.run_pending({j.id for j in jobs})
        for j in jobs:
            assert runner.queue.get(j.id).status == "done", runner.queue.get(j.id).message
    finally:
        runner.stop()


@pytest.fixture
def project(tmp_path: Path):
    svc = ProjectService.create(tmp_path / "Drafts.previz", fps="24", size="128x72")
    yield svc
    svc.close()


def _panel(qtbot, svc: ProjectService, shot_id: int) -> TakesWidget:
    panel = TakesWidget()
    qtbot.addWidget(panel)
    panel.resize(420, 520)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_project(svc)
    panel.set_shot(shot_id)
    return panel


def _row_text(panel: TakesWidget, take_id: int) -> str:
    return panel.list.item(panel._row_ids.index(take_id)).text()


def _badge_pixel(panel: TakesWidget, take_id: int) -> QColor:
    icon = panel.list.item(panel._row_ids.index(take_id)).icon()
    return icon.pixmap(THUMB).toImage().pixelColor(6, 10)  # inside the corner tag


def test_draft_sources_reads_the_link_from_the_lineage(project) -> None:
    shot = project.add_shot(prompt="WIDE, dusk, a ferry", duration_frames=12)
    gen = Generation(project)
    _run(project, gen.generate(shot.id, EngineChoice(engine="animatic", seed=42, draft=True)))
    _run(project, gen.generate(shot.id, EngineChoice(engine="animatic", seed=7)))  # not a re-render
    assert draft_sources(project, shot.id) == {}
    draft = project.take(shot.id, 1)
    _run(project, [gen.rerender(shot.id, 1)])
    full = project.take(shot.id, 3)
    assert draft_sources(project, shot.id) == {full.id: draft.id}
    project.remove_take(shot.id, 3)  # a deleted full-quality take links nothing
    assert draft_sources(project, shot.id) == {}


def test_a_draft_is_marked_and_links_to_its_full_quality_take(qtbot, project) -> None:
    shot = project.add_shot(prompt="WIDE, dusk, a ferry, slow dolly in", duration_frames=12)
    gen = Generation(project)
    _run(project, gen.generate(shot.id, EngineChoice(engine="animatic", seed=42, draft=True)))
    draft = project.take(shot.id, 1)
    panel = _panel(qtbot, project, shot.id)

    # the draft's row says DRAFT and its thumbnail carries an amber tag; its seed is shown
    text = _row_text(panel, draft.id)
    assert text.splitlines()[0].startswith("Take 1") and "DRAFT" in text.splitlines()[0]
    assert "seed 42" in text
    assert _badge_pixel(panel, draft.id) == DRAFT_BADGE
    panel.set_current_take(draft.id)
    assert panel.btn_rerender.isVisibleTo(panel)
    assert not panel.btn_full.isVisibleTo(panel)

    # render it in full: the button gives way to a link to the new take
    _run(project, [gen.rerender(shot.id, 1)])
    full = project.take(shot.id, 2)
    panel.refresh()
    panel.set_current_take(draft.id)
    assert not panel.btn_rerender.isVisibleTo(panel)
    assert panel.btn_full.isVisibleTo(panel) and panel.btn_full.text() == "Full quality: take 2"
    assert "Full quality: take 2" in _row_text(panel, draft.id)
    # the full-quality take is not a draft and says which draft it renders, with the same seed
    full_text = _row_text(panel, full.id)
    assert "DRAFT" not in full_text.splitlines()[0]
    assert "full-quality render of draft T1" in full_text and "seed 42" in full_text
    assert _badge_pixel(panel, full.id) != DRAFT_BADGE

    # the link goes to the full-quality take (and the player follows the takes list)
    with qtbot.waitSignal(panel.take_activated, timeout=2000) as sig:
        qtbot.mouseClick(panel.btn_full, Qt.MouseButton.LeftButton)
    assert sig.args == [full.id]
    assert panel.current_take().id == full.id

    # delete the full-quality take: the draft offers "Render full quality" again
    project.remove_take(shot.id, 2)
    panel.refresh()
    panel.set_current_take(draft.id)
    assert panel.btn_rerender.isVisibleTo(panel) and not panel.btn_full.isVisibleTo(panel)
    assert "Full quality" not in _row_text(panel, draft.id)


def test_every_take_row_has_its_whole_text_in_a_tooltip(qtbot, project) -> None:
    """The list elides long lines at the panel's width: the tooltip has every word of them."""
    shot = project.add_shot(
        prompt="EXTREME WIDE, golden hour, a ferry crosses the harbour past the lighthouse",
        duration_frames=12,
    )
    _run(project, Generation(project).generate(shot.id, EngineChoice(engine="animatic", seed=5)))
    panel = _panel(qtbot, project, shot.id)
    panel.resize(260, 400)  # a narrow dock
    qtbot.wait(10)
    item = panel.list.item(0)
    fm = panel.list.fontMetrics()
    room = panel.list.visualItemRect(item).width() - THUMB.width()
    assert any(fm.horizontalAdvance(line) > room for line in item.text().splitlines())
    for line in item.text().splitlines():
        assert line in item.toolTip()
    assert shot.prompt in item.toolTip()


def test_the_job_queue_names_drafts_and_full_quality_renders(qtbot) -> None:
    from previz.core.values import JobInfo
    from previz.ui.job_row_widget import JobRowWidget

    draft = JobRowWidget(
        JobInfo(1, "generate", "pending", 1, None, 0.0, "", {"draft": True}), "0010"
    )
    full = JobRowWidget(
        JobInfo(2, "generate", "pending", 1, None, 0.0, "", {"rerender_of": 7}), "0010"
    )
    plain = JobRowWidget(JobInfo(3, "generate", "pending", 1, None, 0.0, "", {}), "0010")
    for row in (draft, full, plain):
        qtbot.addWidget(row)
    assert draft.title.full_text() == "Generate draft · 0010"
    assert full.title.full_text() == "Full quality · 0010"
    assert plain.title.full_text() == "Generate · 0010"
