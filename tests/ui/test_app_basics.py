"""App basics: first run opens the demo, the smoke-test start-up, recent projects, new and save
as, sequences, settings, the About box, and the window layout remembered between runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from previz.core.errors import InvalidInput
from previz.services.project import ProjectService
from previz.services.settings import AppSettings
from previz.ui import app as app_module
from tests.ui.uihelpers import card_labels

pytestmark = pytest.mark.timeout(90)


def test_first_run_opens_the_demo_once(qtbot, new_project, open_window, monkeypatch) -> None:
    demo = new_project(["EWS, dusk, rain, a pier, static", "CU, dusk, a captain"], name="Demo")
    built: list[int] = []

    def fake_demo() -> Path:
        built.append(1)
        return demo

    monkeypatch.setattr(app_module, "_ensure_demo", fake_demo)
    assert app_module._pick_project(None) == (None, True)
    w = open_window()
    assert w.svc is None and w.windowTitle() == "Previz"
    app_module._open_demo_async(w)
    qtbot.waitUntil(lambda: w.svc is not None, timeout=10_000)
    assert built == [1]
    assert card_labels(w) == ["0010", "0020"]
    st = AppSettings.load()
    assert st.demo_shown
    assert st.recent_projects[0] == str(demo.resolve())
    # the next start opens the most recent project instead
    assert app_module._pick_project(None) == (str(demo.resolve()), False)
    assert app_module._pick_project("/some/dir") == ("/some/dir", False)


def test_smoke_test_start_up(qtbot, new_project, monkeypatch, capsys) -> None:
    path = new_project(["WIDE, dusk"])
    monkeypatch.setenv("PREVIZ_SMOKE_TEST", "1")
    assert app_module.run_app(str(path)) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK 1 shots")


def test_new_save_as_and_recent(qtbot, tmp_path: Path, new_project, open_window) -> None:
    w = open_window()
    st = AppSettings.load()
    st.default_fps, st.default_size = "25", "640x360"
    st.save()
    assert w.new_project(tmp_path / "Fresh")
    assert w.svc.folder.name == "Fresh.previz"
    seq = w.svc.sequence()
    assert (seq.fps, seq.width, seq.height) == (25, 640, 360)
    w.actions.add_shot(prompt="WIDE, day, a field")
    copy = w.save_as(tmp_path / "Copy")
    assert copy is not None and copy.name == "Copy.previz"
    assert w.svc.folder == copy  # work continues in the copy
    assert card_labels(w) == ["0010"]
    w.actions.add_shot(prompt="CU, day, a flower")
    with ProjectService.open(tmp_path / "Fresh.previz") as original:
        assert [s.prompt for s in original.shots()] == ["WIDE, day, a field"]
    recent = AppSettings.load().recent_projects
    assert recent[:2] == [str(copy.resolve()), str((tmp_path / "Fresh.previz").resolve())]
    w._fill_recent()
    assert [a.text() for a in w.recent_menu.actions()][:2] == ["Copy.previz", "Fresh.previz"]
    # saving over an existing folder is refused with a message
    from tests.ui.uihelpers import close_errors, error_texts

    assert w.save_as(tmp_path / "Fresh") is None
    assert any("already exists" in t for t in error_texts())
    close_errors()
    # opening something that is not a project explains
    assert not w.open_project(tmp_path)
    assert any("not a Previz project" in t for t in error_texts())
    close_errors()
    assert w.svc.folder == copy


def test_sequences_panel(qtbot, new_project, open_window) -> None:
    w = open_window(new_project(["WIDE, a", "CU, b"]))
    panel = w.sequences
    assert panel.list.count() == 1
    assert panel.list.item(0).text().startswith("Sequence 1\n2 shots")
    seq2 = panel.add_sequence("Scene 2")
    assert seq2 is not None
    qtbot.waitUntil(lambda: w.seq_id == seq2, timeout=5000)
    assert card_labels(w) == []
    w.actions.add_shot(prompt="EWS, night, a ferry")
    assert card_labels(w) == ["0010"]
    panel.list.setCurrentRow(0)
    assert card_labels(w) == ["0010", "0020"]
    assert w.seq_title.text() == "Sequence 1"


def test_settings_dialog_saves_and_validates(qtbot) -> None:
    from previz.ui.settings_dialog import QtSettingsDialog

    dlg = QtSettingsDialog()
    qtbot.addWidget(dlg)
    dlg.fps.setCurrentText("29.97")
    dlg.size.setCurrentText("1920x1080")
    dlg.device.setCurrentText("cpu")
    dlg.folders.addItem("/models/ltx")
    dlg.apply()
    st = AppSettings.load()
    assert (st.default_fps, st.default_size, st.device) == ("29.97", "1920x1080", "cpu")
    assert st.model_folders == ["/models/ltx"]
    dlg.fps.setCurrentText("23.5")
    with pytest.raises(InvalidInput):
        dlg.apply()
    dlg.fps.setCurrentText("24")
    dlg.size.setCurrentText("1921x1080")
    with pytest.raises(InvalidInput, match="even"):
        dlg.apply()
    assert AppSettings.load().default_fps == "29.97"


def test_speed_levers_are_settings_that_reach_every_diffusers_request(qtbot) -> None:
    from previz.ui.settings_dialog import QtSettingsDialog

    dlg = QtSettingsDialog()
    qtbot.addWidget(dlg)
    assert dlg.cfg_batch.isChecked() and not dlg.fp8.isChecked()
    dlg.fp8.setChecked(True)
    dlg.step_cache.setCurrentIndex(1)
    dlg.attention.setCurrentText("native")
    dlg.apply()
    speed = AppSettings.load().speed
    assert speed["fp8"] is True and speed["step_cache"] == "first_block"
    assert speed["attention"] == "native" and speed["compile"] is False
    again = QtSettingsDialog()
    qtbot.addWidget(again)
    assert again.fp8.isChecked() and again.attention.currentText() == "native"


def test_the_long_shot_method_is_a_setting_that_reaches_generation(qtbot, tmp_path) -> None:
    from previz.core.errors import InvalidInput
    from previz.services.generation import EngineChoice, Generation
    from previz.services.project import ProjectService
    from previz.ui.settings_dialog import QtSettingsDialog

    dlg = QtSettingsDialog()
    qtbot.addWidget(dlg)
    assert dlg.long_method.currentIndex() == 0  # auto
    dlg.long_method.setCurrentIndex(2)  # the long-video pipeline, always
    dlg.apply()
    assert AppSettings.load().long_method == "pipeline"
    svc = ProjectService.create(tmp_path / "L.previz", fps="24", size="128x72")
    try:
        shot = svc.add_shot(prompt="WIDE, a ferry", duration_frames=96)
        # the built-in engine has no long-video pipeline: the user is told, nothing is queued
        gen = Generation(svc)
        with pytest.raises(InvalidInput, match="no long-video pipeline"):
            gen.generate(shot.id, EngineChoice(engine="animatic"), window_frames=48)
        assert gen.queue.list() == []
        # told by name to chain, it chains whatever the setting says
        [job] = gen.generate(
            shot.id, EngineChoice(engine="animatic", long_method="chain"), window_frames=48
        )
        assert job.payload["long_method"] == "chain"
    finally:
        svc.close()


def test_about_lists_versions_without_importing_torch(qtbot) -> None:
    from previz.ui.about_dialog import QtAboutDialog, versions

    had_torch = "torch" in sys.modules
    v = versions()
    assert (
        v["Python"] == f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    )
    assert v["Qt"].startswith("6.") and v["PyAV"][0].isdigit()
    assert "torch" in v
    dlg = QtAboutDialog()
    qtbot.addWidget(dlg)
    assert ("torch" in sys.modules) == had_torch


def test_window_layout_is_remembered(qtbot, new_project, open_window) -> None:
    path = new_project(["WIDE, a"])
    w = open_window(path)
    w.docks["jobs"].hide()
    w.set_view_mode("board")
    w.close()
    w2 = open_window(path, restore=True)
    assert not w2.docks["jobs"].isVisible()
    assert w2.docks["inspector"].isVisible()
    assert w2.timeline.mode == "board"
    assert w2.mode_buttons["board"].isChecked()


def test_undo_redo_menu_labels_follow_the_history(qtbot, new_project, open_window) -> None:
    w = open_window(new_project([]))
    assert not w.undo_action.isEnabled()
    w.actions.add_shot(prompt="WIDE, a")
    qtbot.waitUntil(lambda: w.undo_action.text() == "Undo Add shot 0010", timeout=5000)
    w.actions.duplicate_selected()
    qtbot.waitUntil(lambda: card_labels(w) == ["0010", "0020"], timeout=5000)
    w.timeline.select_all()
    w.timeline.setFocus()
    qtbot.keyClick(w.timeline, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: card_labels(w) == [], timeout=5000)
    # deleting a selection is one edit: one undo brings every shot back
    assert w.undo_action.text() == "Undo Delete 2 shots"
    w.undo()
    assert card_labels(w) == ["0010", "0020"]
    assert w.redo_action.text() == "Redo Delete 2 shots"


def test_elements_panel_lists_adds_and_removes_with_reference_images(
    qtbot, tmp_path: Path, new_project, open_window
) -> None:
    import cv2
    import numpy as np

    w = open_window(new_project(["WIDE, dusk"]))
    panel = w.elements
    assert panel.tree.topLevelItemCount() == 0
    ref = tmp_path / "captain.png"
    cv2.imwrite(str(ref), np.full((64, 64, 3), (40, 60, 200), np.uint8))
    assert panel.add_element("Captain", "character", "a grizzled captain", str(ref))
    assert panel.add_element("Noir", "style", "rainy noir")
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2, timeout=5000)
    top = [panel.tree.topLevelItem(i).text(0) for i in range(2)]
    assert top == ["Characters (1)", "Style presets (1)"]
    captain = panel.tree.topLevelItem(0).child(0)
    assert captain.text(0).startswith("@Captain\na grizzled captain")
    # the reference image is the item's icon (its colour, not a placeholder letter)
    img = captain.icon(0).pixmap(40, 40).toImage()
    assert img.pixelColor(20, 20).name() == "#c83c28"
    # the prompt editor completes and highlights the new names; the style picker offers Noir
    assert "Captain" in w.inspector.prompt._model.stringList()
    assert w.inspector.style_pick.findData("Noir") > 0
    # a bad name explains
    from tests.ui.uihelpers import close_errors, error_texts

    assert panel.add_element("Red Coat", "prop") is None
    assert any("not valid" in t for t in error_texts())
    close_errors()
    panel.tree.setCurrentItem(captain)
    panel.remove_current()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=5000)
    assert w.undo() == "Remove element @Captain"
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2, timeout=5000)
