"""Bad input gets a clear one-line message and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from previz.core.errors import Ambiguous, InvalidInput, NotFound, PrevizError
from previz.services.project import ProjectService


def snapshot(svc: ProjectService) -> list[tuple]:
    con = sqlite3.connect(svc.folder / "project.db")
    try:
        rows = []
        for t in ("sequences", "shots", "takes", "elements", "undo_log"):
            rows += con.execute(f"SELECT * FROM {t}").fetchall()
        return rows
    finally:
        con.close()


def one_line_error(exc: pytest.ExceptionInfo[PrevizError]) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg and "Traceback" not in msg
    return msg


@pytest.fixture
def filled(project: ProjectService) -> ProjectService:
    project.add_shot(prompt="WIDE, dusk, the pier", duration_frames=120)
    project.add_shot(prompt="CU, the captain", duration_frames=48)
    return project


@pytest.mark.parametrize(
    ("action", "expect"),
    [
        (lambda s: s.add_shot(prompt="x" * 100_000), "over the limit"),
        (lambda s: s.edit_shot("0010", prompt="y" * 100_000), "over the limit"),
        (lambda s: s.add_shot(prompt="a", duration_frames=-5), "at least one frame"),
        (lambda s: s.add_shot(prompt="a", duration_frames=10**9), "limit for one shot"),
        (lambda s: s.edit_shot("0010", duration_frames=0), "at least one frame"),
        (lambda s: s.edit_shot("9990", prompt="z"), "no shot with code"),
        (lambda s: s.move_shot("0010", 7), "out of range"),
        (lambda s: s.trim_shot("0010", 100, 50), "trim out"),
        (lambda s: s.select_take("0010", 3), "has no take 3"),
        (lambda s: s.add_element("Mrs. O'Hara"), "letters, digits"),
        (lambda s: s.add_element("Pier", "planet"), "not one of"),
        (lambda s: s.add_sequence("Sequence 1"), "already exists"),
        (lambda s: s.add_sequence("B", fps="12.5"), "not a standard rate"),
        (lambda s: s.add_sequence("B", size="0x0"), "out of range"),
        (lambda s: s.add_sequence("B", size="20000x20000"), "out of range"),
        (lambda s: s.remove_sequence("Sequence 1"), "at least one sequence"),
        (lambda s: s.edit_shot("0010", prompt="bad\x00byte"), "NUL"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    filled: ProjectService, action, expect: str
) -> None:
    before = snapshot(filled)
    with pytest.raises(PrevizError) as exc:
        action(filled)
    assert expect in one_line_error(exc)
    assert snapshot(filled) == before


def test_element_image_outside_project_is_copied_in_and_a_non_image_refused(
    project: ProjectService, tmp_path: Path
) -> None:
    not_image = tmp_path / "notes.png"
    not_image.write_text("just text")
    with pytest.raises(InvalidInput, match="is not an image"):
        project.add_element("Captain", image=not_image)
    png = tmp_path / "captain.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)  # the magic, then nothing valid
    with pytest.raises(InvalidInput, match="damaged"):
        project.add_element("Captain", image=png)
    import cv2
    import numpy as np

    cv2.imwrite(str(png), np.full((16, 16, 3), 90, np.uint8))
    el = project.add_element("Captain", image=png, description="ferry captain")
    assert el.image and el.image.startswith("media/elements/")
    assert (project.folder / el.image).is_file()


def test_ambiguous_bare_code_lists_the_matches(project: ProjectService) -> None:
    project.add_shot(prompt="a")
    project.add_sequence("Scene 2")
    project.add_shot("Scene 2", prompt="b")
    with pytest.raises(Ambiguous) as exc:
        project.resolve_shot("0010")
    assert "Sequence 1/0010" in str(exc.value) and "Scene 2/0010" in str(exc.value)
    assert exc.value.exit_code == 2
    assert project.resolve_shot("Scene 2/0010").prompt == "b"
    with pytest.raises(NotFound):
        project.resolve_shot("Nowhere/0010")


def test_moving_several_shots_is_one_undo_step(project: ProjectService) -> None:
    for p in "abcde":
        project.add_shot(prompt=p)
    project.remove_shot("0030")  # a deleted shot in the middle must not get in the way
    ids = {s.prompt: s.id for s in project.shots()}
    project.move_shots([ids["a"], ids["b"]], 2)  # after d and e
    assert [s.prompt for s in project.shots()] == ["d", "e", "a", "b"]
    project.undo()
    assert [s.prompt for s in project.shots()] == ["a", "b", "d", "e"]
    project.undo()
    assert [s.prompt for s in project.shots()] == ["a", "b", "c", "d", "e"]


def test_seed_lock_and_unlock(project: ProjectService) -> None:
    shot = project.add_shot(prompt="x")
    assert project.edit_shot(shot.id, seed=77).seed == 77
    assert project.unlock_seed(shot.id).seed is None
    project.undo()
    assert project.shot(shot.id).seed == 77


def test_a_shot_carries_the_transition_into_it(project: ProjectService) -> None:
    project.add_shot(prompt="a")
    b = project.add_shot(prompt="b")
    project.edit_shot(b.id, transition_kind="dissolve", transition_frames=12)
    shots = project.shots()
    assert [(s.transition_kind, s.transition_frames) for s in shots] == [
        ("cut", 0),
        ("dissolve", 12),
    ]
