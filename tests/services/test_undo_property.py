"""Any sequence of edits, undone entirely, restores the project exactly; redo replays it."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from previz.services.project import ProjectService

_NAMES = itertools.count(1)
TABLES = ("project", "sequences", "shots", "takes", "elements")


def history(svc: ProjectService) -> int:
    con = sqlite3.connect(svc.folder / "project.db")
    try:
        return con.execute("SELECT count(*) FROM undo_log WHERE undone = 0").fetchone()[0]
    finally:
        con.close()


def dump(svc: ProjectService) -> dict[str, list[tuple]]:
    con = sqlite3.connect(svc.folder / "project.db")
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}
    finally:
        con.close()


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)

op = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 20), TEXT),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("trim"), st.integers(0, 20), st.integers(0, 40), st.integers(1, 40)),
    st.tuples(st.just("edit"), st.integers(0, 20), TEXT),
    st.tuples(st.just("duplicate"), st.integers(0, 20)),
    st.tuples(st.just("delete_many"), st.integers(0, 20), st.integers(1, 3)),
    st.tuples(st.just("duplicate_many"), st.integers(0, 20), st.integers(1, 3)),
    st.tuples(st.just("element"), st.sampled_from(["Captain", "Pier", "Noir"]), TEXT),
    st.tuples(st.just("sequence"), st.integers(0, 3)),
)


def apply(svc: ProjectService, action: tuple) -> bool:
    shots = svc.shots()
    kind = action[0]
    if kind == "element":
        names = {e.name for e in svc.elements()}
        if action[1] in names:
            svc.remove_element(action[1])
        else:
            svc.add_element(action[1], "character", action[2])
        return True
    if kind == "sequence":
        seqs = svc.sequences()
        if action[1] == 0 and len(seqs) > 1:
            svc.remove_sequence(seqs[-1].id)
        elif action[1] == 1:
            svc.rename_sequence(seqs[0].id, f"Renamed {len(seqs)}")
        else:
            svc.add_sequence(f"Seq {next(_NAMES)}", index=action[1])
        return True
    if kind == "add":
        svc.add_shot(index=action[1] % (len(shots) + 1), prompt=action[2], duration_frames=48)
        return True
    if not shots:
        return False
    shot = shots[action[1] % len(shots)]
    if kind == "move":
        svc.move_shot(shot.id, action[2] % len(shots))
    elif kind == "delete":
        svc.remove_shot(shot.id)
    elif kind == "trim":
        tin = action[2] % shot.duration_frames
        tout = min(shot.duration_frames, tin + action[3])
        svc.trim_shot(shot.id, tin, tout)
    elif kind == "edit":
        svc.edit_shot(shot.id, prompt=action[2] + "!")
    elif kind == "duplicate":
        svc.duplicate_shot(shot.id)
    elif kind in ("delete_many", "duplicate_many"):
        i = action[1] % len(shots)
        picked = [s.id for s in shots[i : i + action[2]]]
        before = history(svc)
        if kind == "delete_many":
            svc.remove_shots(picked)
        else:
            svc.duplicate_shots(picked)
        assert history(svc) == before + 1  # a batch is ONE undo step
    return True


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(setup=st.lists(op, max_size=4), actions=st.lists(op, min_size=1, max_size=12))
def test_undo_all_restores_exactly_and_redo_replays(
    tmp_path_factory, setup: list[tuple], actions: list[tuple]
) -> None:
    folder: Path = tmp_path_factory.mktemp("p") / "P.previz"
    with ProjectService.create(folder) as svc:
        for a in setup:
            apply(svc, a)
        original = dump(svc)
        before = history(svc)
        for a in actions:
            apply(svc, a)
        done = history(svc) - before  # a no-op edit (a move to where it is) records nothing
        edited = dump(svc)
        for _ in range(done):
            assert svc.undo() is not None
        assert dump(svc) == original
        for _ in range(done):
            assert svc.redo() is not None
        assert dump(svc) == edited
        assert svc.redo() is None
