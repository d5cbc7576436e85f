"""Drop-frame timecode is a sequence setting the app shows: the sequence's context menu toggles
it (only at 29.97/59.94), and the player's timecode follows at once, undoably."""

from __future__ import annotations

from pathlib import Path

from previz.services.project import ProjectService


def _ntsc_project(tmp_path: Path) -> Path:
    path = tmp_path / "NTSC.previz"
    svc = ProjectService.create(path, fps="29.97", size="320x176")
    try:
        svc.add_shot(prompt="WIDE, the pier", duration_frames=2000)
    finally:
        svc.close()
    return path


def test_drop_frame_toggle_changes_the_players_timecode(qtbot, tmp_path: Path, open_window) -> None:
    w = open_window(_ntsc_project(tmp_path))
    p, seqs = w.player, w.sequences
    qtbot.waitUntil(lambda: p.playlist is not None, timeout=10_000)
    p.seek(1800)  # one minute of 29.97 frames: where drop-frame and non-drop part ways
    assert p.timecode_text() == "01:01:00:00"

    menu = seqs.context_menu()
    act = seqs.drop_frame_action
    assert act.isEnabled() and not act.isChecked()
    act.trigger()
    menu.deleteLater()
    # ';' before the frames, and frames 00 and 01 of minute 1 are skipped
    qtbot.waitUntil(lambda: p.timecode_text() == "01:01:00;02", timeout=10_000)
    assert w.svc.sequences()[0].drop_frame is True
    assert w.timeline.drop_frame is True

    w.undo()
    qtbot.waitUntil(lambda: p.timecode_text() == "01:01:00:00", timeout=10_000)


def test_drop_frame_is_offered_only_where_it_exists(qtbot, new_project, open_window) -> None:
    w = open_window(new_project(["WIDE, the pier"]))  # 24 fps
    menu = w.sequences.context_menu()
    assert not w.sequences.drop_frame_action.isEnabled()
    assert "29.97" in w.sequences.drop_frame_action.toolTip()
    menu.deleteLater()
