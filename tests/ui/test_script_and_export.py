"""From the File menu: a screenplay becomes the board, and the cut goes out as a reel and an
EDL with a progress bar (and can be cancelled)."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.services.project import ProjectService
from tests.ui.uihelpers import JOB_TIMEOUT_MS, SIZE, card_labels, wait_cards_done

SCRIPT = """Title: Night Ferry

EXT. FERRY PIER - DUSK

Rain hammers the pier. JUN walks to the edge, a red coat in the grey.

CAPTAIN
Last boat's gone, miss.

INT. FERRY CABIN - NIGHT

The CAPTAIN pours two cups of tea.
"""


def test_import_screenplay_then_export_reel_and_edl(qtbot, tmp_path: Path, open_window) -> None:
    path = tmp_path / "Script.previz"
    ProjectService.create(path, fps="24", size=SIZE).close()
    w = open_window(path)
    script = tmp_path / "night_ferry.fountain"
    script.write_text(SCRIPT)
    report = w.import_screenplay(script)
    assert report is not None and report.sequences_added == 2
    w.refresh_now()
    assert [s.name for s in w.svc.sequences()] == [
        "1 EXT. FERRY PIER - DUSK",
        "2 INT. FERRY CABIN - NIGHT",
    ]
    assert len(card_labels(w)) == 1  # one action beat in scene 1
    assert "Captain" in {e.name for e in w.svc.elements()}  # every speaking character
    # the whole import is one undo step
    w.undo()
    w.refresh_now()
    assert len(w.svc.sequences()) == 1
    w.redo()
    w.refresh_now()

    # generate the first scene and export it
    w.svc.edit_shot(w.svc.shots()[0].id, duration_frames=12)
    w.refresh_now()
    w.select_all_action.trigger()
    w.actions.generate_action.trigger()
    wait_cards_done(qtbot, w)

    dlg = w.export_dialog()
    dlg.folder.setText(str(tmp_path))
    dlg.stem.setText("pitch")
    dlg.edl.setChecked(True)
    dlg.slate.setChecked(False)
    with qtbot.waitSignal(dlg.finished_export, timeout=JOB_TIMEOUT_MS) as sig:
        dlg.export_button.click()
    result = sig.args[0]
    assert isinstance(result, dict), result
    assert (tmp_path / "pitch.mp4").is_file() and (tmp_path / "pitch.edl").is_file()
    assert result["reel"]["frames"] == 12
    assert dlg.progress.value() == 1000 and "pitch.mp4" in dlg.status.text()


def test_cancelled_export_leaves_no_file(qtbot, tmp_path: Path, open_window) -> None:
    path = tmp_path / "Cancel.previz"
    svc = ProjectService.create(path, fps="24", size=SIZE)
    svc.add_shot(prompt="WIDE, day, slate only", duration_frames=24 * 40)  # no take: a slate card
    svc.close()
    w = open_window(path)
    dlg = w.export_dialog()
    dlg.folder.setText(str(tmp_path))
    dlg.stem.setText("cancelled")
    with qtbot.waitSignal(dlg.finished_export, timeout=JOB_TIMEOUT_MS) as sig:
        dlg.export_button.click()
        qtbot.waitUntil(lambda: dlg.running, timeout=5000)
        dlg.cancel_button.click()
    assert not isinstance(sig.args[0], dict)
    assert "cancel" in str(sig.args[0]).lower()
    assert not list(tmp_path.glob("cancelled*"))
    assert not list(tmp_path.glob(".cancelled*"))


@pytest.mark.parametrize("bad", ["not a screenplay at all", ""])
def test_a_file_with_no_scenes_is_a_clear_error(qtbot, tmp_path: Path, open_window, bad) -> None:
    from previz.ui import errors

    path = tmp_path / "Bad.previz"
    ProjectService.create(path, fps="24", size=SIZE).close()
    w = open_window(path)
    f = tmp_path / "bad.fountain"
    f.write_text(bad)
    assert w.import_screenplay(f) is None
    assert "scene" in errors.shown[-1].lower()
    assert len(w.svc.sequences()) == 1
