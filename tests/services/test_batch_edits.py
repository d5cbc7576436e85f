"""Deleting or duplicating several selected shots is one edit: one undo brings them all back."""

from __future__ import annotations

from pathlib import Path

from previz.services.project import ProjectService


def test_duplicating_and_deleting_a_selection_is_one_undo_step(tmp_path: Path) -> None:
    with ProjectService.create(tmp_path / "B.previz") as svc:
        for text in ("one", "two", "three", "four"):
            svc.add_shot(prompt=text, duration_frames=24, notes=f"note {text}")
        one, two, three, four = svc.shots()
        copies = svc.duplicate_shots([one.id, three.id])
        # each copy sits right after its original and carries its text
        assert [s.prompt for s in svc.shots()] == ["one", "one", "two", "three", "three", "four"]
        assert [c.prompt for c in copies] == ["one", "three"]
        assert copies[0].notes == "note one" and copies[0].code not in (one.code, two.code)
        assert svc.undo_labels()[0] == "Duplicate 2 shots"
        assert svc.undo() == "Duplicate 2 shots"
        assert [s.prompt for s in svc.shots()] == ["one", "two", "three", "four"]

        svc.remove_shots([two.id, four.id])
        assert [s.prompt for s in svc.shots()] == ["one", "three"]
        assert svc.undo() == "Delete 2 shots"
        assert [s.prompt for s in svc.shots()] == ["one", "two", "three", "four"]
        assert svc.redo() == "Delete 2 shots"
        assert [s.prompt for s in svc.shots()] == ["one", "three"]
