"""Item 10: the export dialog writes to the project's own exports/ folder by default, its
"Wrote …" line wraps instead of stretching the dialog over the window, and once done it says
Close and offers Open folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMainWindow

from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from previz.services.runner import JobRunner
from previz.ui.export_dialog import ExportDialog
from tests.ui.test_elided_tooltips import elided_without_tooltip
from tests.ui.uihelpers import JOB_TIMEOUT_MS

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def project(tmp_path: Path):
    """A project with one shot and one (animatic) take in the cut."""
    svc = ProjectService.create(tmp_path / "Pitch.previz", fps="24", size="128x72")
    shot = svc.add_shot(prompt="WIDE, dusk, a ferry, slow dolly in", duration_frames=12)
    jobs = Generation(svc).generate(shot.id, EngineChoice(engine="animatic", seed=3))
    runner = JobRunner(svc)
    assert runner.acquire()
    try:
        runner.run_pending({j.id for j in jobs})
    finally:
        runner.stop()
    assert svc.takes(shot.id), "the take was not made"
    yield svc
    svc.close()


@pytest.fixture
def window(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    return w


def _dialog(qtbot, svc: ProjectService, parent: Any) -> ExportDialog:
    dlg = ExportDialog(svc, parent)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def _export(qtbot, dlg: ExportDialog) -> Any:
    with qtbot.waitSignal(dlg.finished_export, timeout=JOB_TIMEOUT_MS) as sig:
        dlg.export_button.click()
    assert not isinstance(sig.args[0], BaseException), sig.args[0]
    return sig.args[0]


def test_the_default_folder_is_the_projects_own_exports_folder(qtbot, project, window) -> None:
    dlg = _dialog(qtbot, project, window)
    exports = Path(project.folder) / "exports"
    assert Path(dlg.folder.text()) == exports
    assert not exports.exists()  # made only when something is exported
    assert dlg.cancel_button.text() == "Cancel"
    result = _export(qtbot, dlg)
    assert Path(result["reel"]["path"]).parent == exports
    assert (exports / "Pitch.mp4").is_file()


def test_a_long_wrote_line_wraps_and_never_widens_the_dialog(qtbot, project, window, tmp_path):
    dlg = _dialog(qtbot, project, window)
    before = dlg.width()
    deep = tmp_path / ("a_folder_with_a_rather_long_name_for_the_client_" * 4) / "reels"
    dlg.folder.setText(str(deep))
    dlg.stem.setText("the_ferry_sequence_director_cut_v003_for_the_producer_review_" * 2)
    for box in (dlg.edl, dlg.fcpxml, dlg.otio):
        box.setChecked(True)
    result = _export(qtbot, dlg)
    qtbot.wait(50)  # let the layout settle (the dialog would grow here)
    assert dlg.status.text().startswith("Wrote ")
    assert dlg.width() <= before + 4, f"the dialog grew from {before} to {dlg.width()} px"
    assert dlg.width() <= window.width()
    # the line wraps: all of it is on screen, none of it past the dialog's edge
    assert dlg.status.wordWrap() and dlg.status.geometry().right() <= dlg.rect().right()
    fm = dlg.status.fontMetrics()
    for word in dlg.status.text().split():  # a word too long to wrap is elided, not cut off
        assert fm.horizontalAdvance(word) <= dlg.status.contentsRect().width(), word
    # the folder is elided on screen; its whole path is in the tooltip, every file in the other
    assert dlg.where.isVisible() and str(deep) in dlg.where.toolTip()
    assert dlg.where.fontMetrics().horizontalAdvance(dlg.where.text()) <= dlg.where.width()
    assert result["reel"]["path"] in dlg.status.toolTip()
    assert elided_without_tooltip(dlg) == []


def test_after_export_cancel_says_close_and_open_folder_opens_it(
    qtbot, project, window, tmp_path, monkeypatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    dlg = _dialog(qtbot, project, window)
    assert not dlg.open_button.isVisible()
    dlg.folder.setText(str(tmp_path / "out"))
    _export(qtbot, dlg)
    assert dlg.cancel_button.text() == "Close"
    assert dlg.open_button.isVisible()
    dlg.open_button.click()
    assert opened == [str(tmp_path / "out")]
    dlg.cancel_button.click()  # Close closes the dialog
    assert not dlg.isVisible()


def test_a_file_given_as_the_folder_is_a_one_line_message(qtbot, project, window, tmp_path):
    afile = tmp_path / "notes.txt"
    afile.write_text("not a folder")
    dlg = _dialog(qtbot, project, window)
    dlg.folder.setText(str(afile))
    dlg.export_button.click()
    assert not dlg.running
    assert dlg.status.text() == (f"{afile} is a file, not a folder; choose a folder to export to")
    assert dlg.cancel_button.text() == "Cancel" and not dlg.open_button.isVisible()
