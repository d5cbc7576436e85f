"""The shot inspector at the window sizes people use: every field fits the dock (no clipped
picker, button or duration line, no horizontal scrollbar); the seed says "random" until the
user locks one; the planned and the cut duration are shown side by side when they differ."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from tests.ui.test_cards import marked_project

pytestmark = pytest.mark.timeout(60)

ELEMENTS = [("RainyNoirWithAVeryLongStyleName", "style", "rainy noir, deep shadows")]
LONG = "EXTREME CLOSE-UP, low angle, dusk, a woman in a red raincoat walks right, slow dolly in"


def assert_fits(qtbot, ins, where) -> None:
    """No visible inspector field reaches past the scroll area's right edge; no horizontal
    scrollbar."""
    scroll = ins.findChild(QScrollArea)
    viewport = scroll.viewport()
    qtbot.waitUntil(lambda: scroll.widget().width() <= viewport.width(), timeout=5000)
    assert not scroll.horizontalScrollBar().isVisible()
    right = viewport.width()
    clipped = []
    for c in scroll.widget().findChildren(QWidget):
        if c.isVisibleTo(ins) and c.mapTo(viewport, c.rect().topRight()).x() >= right:
            clipped.append(f"{type(c).__name__} {getattr(c, 'text', lambda: '')()!r}")
    assert not clipped, f"past the inspector's right edge at {where}: {clipped}"


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000), (1920, 1080)])
def test_inspector_fields_fit_at_common_window_sizes(qtbot, new_project, open_window, size):
    w = open_window(new_project([LONG, "WIDE"], frames=72, elements=ELEMENTS))
    w.resize(*size)
    # the window really gets this small (its panels' minimum once was 1289 px wide)
    try:
        qtbot.waitUntil(lambda: (w.width(), w.height()) == size, timeout=5000)
    except Exception as exc:
        size_now = f"{w.width()}x{w.height()}, minimum {w.minimumSizeHint()}"
        raise AssertionError(f"the window stays {size_now}") from exc
    w.inspector.set_defaults("animatic", "Lightricks/LTX-Video-0.9.7-distilled")
    w.timeline.select([w.svc.shots()[0].id])
    ins = w.inspector
    assert ins.title.text() == "Shot 0010"
    assert_fits(qtbot, ins, size)
    # the fields named in the report are there, whole or with their text in a tooltip
    for box in (ins.size_pick, ins.angle_pick, ins.move_pick, ins.style_pick, ins.engine):
        assert box.isVisibleTo(ins)
        assert box.currentText() in box.toolTip() or box.currentText().split(": ")[-1] in (
            box.toolTip()
        )
    assert ins.engine.currentText() == "default (animatic)"
    assert ins.seed_new.isVisibleTo(ins)
    assert ins.duration_info.text() == "3.00s · 00:00:03:00 @ 24"
    fm = ins.duration_info.fontMetrics()
    assert ins.duration_info.height() >= fm.height()  # shown, wrapped if need be, not cut


def test_inspector_reflows_in_a_narrow_dock(qtbot, new_project, open_window) -> None:
    """Dragged narrower than its default (or floated), the inspector still fits: rows wrap and
    pickers shrink instead of a sideways scroll."""
    w = open_window(new_project([LONG], frames=72, elements=ELEMENTS))
    w.inspector.set_defaults("animatic", "Lightricks/LTX-Video-0.9.7-distilled")
    w.timeline.select([w.svc.shots()[0].id])
    dock = w.docks["inspector"]
    dock.setFloating(True)
    dock.resize(320, 900)
    qtbot.waitUntil(lambda: dock.width() == 320, timeout=5000)
    assert_fits(qtbot, w.inspector, "a 320 px dock")


def test_seed_shows_random_until_the_user_locks_one(qtbot, new_project, open_window) -> None:
    path = new_project(["WIDE, dusk", "CU, night"])
    w = open_window(path)
    a, b = w.svc.shots()
    w.svc.edit_shot(a.id, seed=7)
    ins = w.inspector
    w.timeline.select([a.id])
    w.refresh_now()
    assert ins.seed.text() == "7" and ins.seed_lock.isChecked()
    # a new shot with no stored seed never shows the previous shot's seed
    w.timeline.select([b.id])
    w.refresh_now()
    assert ins.seed.text() == ""
    assert ins.seed.lineEdit().placeholderText() == "random"
    assert not ins.seed_lock.isChecked()
    assert ins.engine_choice().seed is None
    # typing a seed locks it; clearing the field goes back to random
    ins.seed.setValue(1234)
    assert w.svc.shot(b.id).seed == 1234 and ins.seed_lock.isChecked()
    assert ins.engine_choice().seed == 1234
    ins.seed_lock.setChecked(False)
    assert w.svc.shot(b.id).seed is None and ins.seed.text() == ""
    w.timeline.select([a.id])
    w.refresh_now()
    assert ins.seed.text() == "7"


def test_unlocked_seed_with_a_take_shows_random_and_lock_keeps_the_takes_seed(
    qtbot, tmp_path, open_window
) -> None:
    w = open_window(marked_project(tmp_path))
    shot = w.svc.shots()[1]  # 0020: one take (seed 4242), no locked seed
    w.timeline.select([shot.id])
    w.refresh_now()
    ins = w.inspector
    assert ins.seed.text() == "" and not ins.seed_lock.isChecked()
    ins.seed_lock.setChecked(True)
    assert w.svc.shot(shot.id).seed == 4242 and ins.seed.text() == "4242"


def test_planned_and_cut_duration_side_by_side(qtbot, tmp_path, open_window) -> None:
    w = open_window(marked_project(tmp_path))
    extended, plain = w.svc.shots()[0], w.svc.shots()[1]
    w.timeline.select([extended.id])
    w.refresh_now()
    ins = w.inspector
    assert ins.duration.value() == 12  # the plan stays what the user planned
    assert ins.duration_info.text() == "Plan 0.50s · Cut 1.00s @ 24"
    assert "24 frames" in ins.duration_info.toolTip()
    assert w.timeline.card_text(0).duration == "1.0s"  # the card and the inspector agree
    w.timeline.select([plain.id])
    w.refresh_now()
    assert ins.duration_info.text() == "0.50s · 00:00:00:12 @ 24"


def test_a_new_element_does_not_make_the_shown_prompt_a_pending_edit(
    qtbot, new_project, open_window
) -> None:
    w = open_window(new_project(["WIDE, dusk"]))
    shot = w.svc.shots()[0]
    w.timeline.select([shot.id])
    # another process (the CLI) adds an element and rewrites the prompt: one refresh sees both
    w.svc.add_element("Jun", "character", "a young woman")
    w.svc.edit_shot(shot.id, prompt="CU, night, @Jun")
    w.refresh_now()
    assert not w.inspector.has_pending
    assert w.inspector.prompt.toPlainText() == "CU, night, @Jun"
    w.inspector.commit()
    assert w.svc.shot(shot.id).prompt == "CU, night, @Jun"


def test_the_window_fits_a_1280_wide_screen_with_and_without_a_project(
    qtbot, new_project, open_window, app_theme
) -> None:
    """Every panel's minimum together stays inside a 1280 px laptop screen (with the app's theme,
    whose fonts are what the user sees)."""
    w = open_window()
    assert w.minimumSizeHint().width() <= 1280, "the empty window is wider than 1280 px"
    assert w.open_project(new_project(["WIDE, dusk"]))
    QApplication.processEvents()
    assert w.minimumSizeHint().width() <= 1280, "the window with a project is wider than 1280"


def test_a_project_without_style_presets_shows_style_none_and_one_shot(
    qtbot, new_project, open_window
) -> None:
    """The style picker reads "Style: none" (it was blank until a preset existed), and the
    sequence header counts "1 shot", not "1 shots"."""
    w = open_window(new_project(["WIDE, dusk"]))
    w.timeline.select([w.svc.shots()[0].id])
    qtbot.waitUntil(lambda: w.inspector.title.text() == "Shot 0010", timeout=5000)
    assert w.inspector.style_pick.currentText() == "Style: none"
    assert w.seq_info.text().strip().startswith("1 shot ·")
