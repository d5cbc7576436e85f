"""Project-level editorial exports: a sequence's drop-frame setting end to end (CLI, service,
EDL, reel), shared shot codes across sequences, dip to colour, through the real service."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pycmx
import pytest

from previz.cli.main import run
from previz.services.export import ExportRequest, export
from previz.services.media_import import import_take
from previz.services.project import ProjectService

from .conftest import COLORS, make_clip, read_frames

NTSC = Fraction(30000, 1001)


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _project(tmp_path: Path, fps: str = "29.97") -> ProjectService:
    return ProjectService.create(tmp_path / "P.previz", fps=fps, size="160x90")


def _shot_with_take(svc: ProjectService, seq: str, color: int, tmp_path: Path, **kw) -> str:
    s = svc.add_shot(seq, prompt=f"shot {color}", duration_frames=12, **kw)
    rate = svc.sequence(seq).fps
    clip = make_clip(tmp_path / f"src{color}.mp4", 12, rate, COLORS[color])
    import_take(svc, s.id, clip)
    return s.label


def _edl(path: Path) -> pycmx.edit_list.EditList:
    with open(path) as f:
        edl = pycmx.parse_cmx3600(f)
    assert list(edl.unrecognized_statements) == []
    return edl


def test_shared_shot_codes_get_their_own_media_and_reels(tmp_path: Path) -> None:
    svc = _project(tmp_path, "24")
    try:
        svc.add_sequence("Second")
        first = svc.sequences()[0].name
        _shot_with_take(svc, first, 0, tmp_path)
        _shot_with_take(svc, "Second", 1, tmp_path)
        assert [s.code for s in svc.shots(first)] == [s.code for s in svc.shots("Second")]
        done = export(
            svc,
            ExportRequest(
                all_sequences=True,
                edl=tmp_path / "cut.edl",
                otio=tmp_path / "cut.otio",
                fcpxml=tmp_path / "cut.xml",
            ),
        )
    finally:
        svc.close()
    for fmt in ("edl", "otio", "fcpxml"):
        media = [Path(m) for m in done[fmt]["media"]]
        assert len(media) == len(set(media)) == 2, media
        colors = [read_frames(m)[0][20:40, 60:100].reshape(-1, 3).mean(0) for m in media]
        assert np.abs(colors[0] - np.array(COLORS[0])).max() < 30
        assert np.abs(colors[1] - np.array(COLORS[1])).max() < 30
    edl = _edl(tmp_path / "cut.edl")
    edits = [e for ev in edl.events for e in ev.edits]
    assert len({e.source for e in edits}) == 2
    assert len({e.source_file for e in edits}) == 2
    assert all(Path(e.source_file).is_file() for e in edits)


def test_dip_to_colour_renders_its_colour(tmp_path: Path) -> None:
    svc = _project(tmp_path, "24")
    try:
        seq = svc.sequences()[0].name
        _shot_with_take(svc, seq, 2, tmp_path)
        b = _shot_with_take(svc, seq, 3, tmp_path)
        svc.edit_shot(b, transition_kind="dip_color", transition_frames=8)
        export(svc, ExportRequest(reel=tmp_path / "reel.mp4", edl=tmp_path / "cut.edl"))
    finally:
        svc.close()
    frames = read_frames(tmp_path / "reel.mp4")
    assert len(frames) == 24
    # the last frame of the outgoing shot and the first of the incoming one are the dip colour
    for k in (11, 12):
        assert frames[k][10:60, 20:140].mean() > 225, k  # white, not black
    assert "* DIP TO COLOR: #FFFFFF" in (tmp_path / "cut.edl").read_text()


def test_a_shots_own_dip_colour_reaches_the_reel_and_the_edl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`shot edit --transition dip_color:8f:#FF0000` dips through red, not white or black."""
    svc = _project(tmp_path, "24")
    try:
        seq = svc.sequences()[0].name
        _shot_with_take(svc, seq, 2, tmp_path)
        label = _shot_with_take(svc, seq, 3, tmp_path)
    finally:
        svc.close()
    d = tmp_path / "P.previz"
    code, out, err = cli(capsys, "shot", "edit", d, label, "--transition", "dip_color:8f:#ff0000")
    assert code == 0, err
    code, _, err = cli(capsys, "shot", "edit", d, label, "--transition", "dissolve:8f:#ff0000")
    assert code == 1 and "only dip_color takes a colour" in err and err.count("\n") == 1
    code, out, err = cli(
        capsys, "export", d, "--out", tmp_path / "reel.mp4", "--edl", tmp_path / "cut.edl"
    )
    assert code == 0, err
    frames = read_frames(tmp_path / "reel.mp4")
    for k in (11, 12):
        patch = frames[k][10:60, 20:140].reshape(-1, 3).mean(axis=0)
        assert patch[0] > 200 and patch[1] < 60 and patch[2] < 60, (k, patch)  # red (RGB)
    assert "* DIP TO COLOR: #FF0000" in (tmp_path / "cut.edl").read_text()


def test_drop_frame_is_a_sequence_setting_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "P.previz"
    assert cli(capsys, "new", d, "--fps", "29.97", "--size", "160x90")[0] == 0
    code, _, err = cli(capsys, "seq", "add", d, "Film", "--fps", "24", "--drop-frame")
    assert code == 1 and err.count("\n") == 1 and "29.97 and 59.94" in err
    code, out, _ = cli(capsys, "seq", "edit", d, "1", "--drop-frame", "--json")
    assert code == 0 and '"drop_frame": true' in out
    svc = ProjectService.open(d)
    try:
        _shot_with_take(svc, svc.sequences()[0].name, 0, tmp_path)
    finally:
        svc.close()
    code, out, err = cli(
        capsys,
        "export",
        d,
        "--out",
        tmp_path / "r.mp4",
        "--edl",
        tmp_path / "c.edl",
        "--slate",
        "--json",
    )
    assert code == 0, err
    text = (tmp_path / "c.edl").read_text().splitlines()
    assert text[1] == "FCM: DROP FRAME"
    edl = _edl(tmp_path / "c.edl")
    first = next(iter(edl.events)).edits[0]
    assert first.record_in == "01:00:00;00"
    with av.open(str(tmp_path / "r.mp4")) as c:
        tc = c.streams.video[0].metadata["timecode"]
    assert tc == "00:59:57;00"  # a 3 s slate of pre-roll before 01:00:00;00
    # undo turns it back off; the EDL is non-drop-frame again
    assert cli(capsys, "undo", d)[0] == 0
    assert cli(capsys, "undo", d)[0] == 0  # the take import, then the drop-frame edit
    code, out, _ = cli(capsys, "seq", "list", d, "--json")
    assert '"drop_frame": false' in out
    # at 24 fps drop-frame is refused, nothing changes
    assert cli(capsys, "seq", "edit", d, "1", "--fps", "24")[0] == 0
    code, _, err = cli(capsys, "seq", "edit", d, "1", "--drop-frame")
    assert code == 1 and "--no-drop-frame" in err and "Traceback" not in err
