"""A new user's first look: the demo project opens with a generated storyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.services.demo import ensure_demo_project
from previz.services.project import ProjectService

pytestmark = pytest.mark.timeout(300)


def test_demo_is_built_once_with_every_shot_generated(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PREVIZ_DEMO_DIR", str(tmp_path / "Demo.previz"))
    folder = ensure_demo_project()
    with ProjectService.open(folder) as svc:
        seqs = svc.sequences()
        assert len(seqs) == 2 and seqs[0].scene == "1"
        shots = [s for q in seqs for s in svc.shots(q.id)]
        assert len(shots) == 7
        assert all(s.status == "done" and s.thumbnail for s in shots)
        assert {e.name for e in svc.elements()} >= {"Captain", "Jun"}
        assert svc.undo_labels() == (None, None)  # the user's history starts clean
        stamp = (folder / "project.db").stat().st_mtime_ns
    assert ensure_demo_project() == folder
    assert (folder / "project.db").stat().st_mtime_ns == stamp
