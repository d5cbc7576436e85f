"""The demo project a new user sees on first run: a short scene, boarded and generated.

Made once with the built-in animatic engine (no GPU, no model), in the user data folder, so the
first thing anyone sees is a working storyboard rather than an empty window.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from previz.core.errors import PrevizError
from previz.services.project import ProjectService

log = logging.getLogger(__name__)

DEMO_NAME = "Night Ferry (demo).previz"

ELEMENTS = [
    ("Captain", "character", "a grizzled ferry captain in a navy peacoat"),
    ("Jun", "character", "a young woman in a red raincoat"),
    ("Pier", "location", "a rain-soaked wooden ferry pier with lamp posts"),
    ("RainyNoir", "style", "rainy noir, deep shadows, wet reflections"),
]

SCENES = [
    (
        "1",
        "1 EXT. FERRY PIER - DUSK",
        [
            ("EWS, dusk, rain, @Pier, the ferry at the end of the pier, static", 72, ""),
            ("WIDE, dusk, rain, @Jun runs right along @Pier, slow dolly in", 96, ""),
            (
                "MCU, low angle, dusk, @Captain looks up, slow push in",
                72,
                "CAPTAIN: Last boat's gone, miss.",
            ),
            ("CU, dusk, rain, @Jun waves, handheld", 48, "JUN: Then I'll wait for the first one."),
        ],
    ),
    (
        "2",
        "2 INT. FERRY CABIN - NIGHT",
        [
            ("WIDE, night, interior, @Captain and @Jun sit at a table, static, @RainyNoir", 72, ""),
            ("OTS, night, interior, @Captain points, slow pan left", 60, ""),
            ("ECU, night, interior, @Jun, 85mm, slow zoom in", 48, ""),
        ],
    ),
]


def demo_dir() -> Path:
    override = os.environ.get("PREVIZ_DEMO_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("previz", appauthor=False)) / DEMO_NAME


def build_demo(folder: Path, *, size: str = "640x360", generate: bool = True) -> Path:
    """Create the demo project at ``folder`` (which must not exist) and generate its takes."""
    from previz.services.generation import EngineChoice, Generation
    from previz.services.runner import JobRunner

    tmp = folder.with_name(folder.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    svc = ProjectService.create(
        tmp,
        name="Night Ferry (demo)",
        fps="24",
        size=size,
    )
    try:
        for name, kind, desc in ELEMENTS:
            svc.add_element(name, kind, desc)
        first = True
        for scene, name, shots in SCENES:
            if first:
                seq = svc.rename_sequence(svc.sequence().id, name)
                svc.edit_sequence(seq.id, scene=scene)
                first = False
            else:
                seq = svc.add_sequence(name, scene=scene)
            for prompt, frames, dialogue in shots:
                svc.add_shot(seq.id, prompt=prompt, duration_frames=frames, dialogue=dialogue)
        if generate:
            gen = Generation(svc)
            jobs = []
            for n, seq in enumerate(svc.sequences()):
                for i, shot in enumerate(svc.shots(seq.id)):
                    jobs += gen.generate(shot.id, EngineChoice(engine="animatic", seed=100 * n + i))
            runner = JobRunner(svc)
            if not runner.acquire():
                raise PrevizError("could not run the demo's jobs")
            try:
                runner.run_pending({j.id for j in jobs})
            finally:
                runner.stop()
        # the demo starts with a clean history: its construction is not the user's to undo
        from previz.store import db, schema

        with db.write(svc.engine) as conn:
            conn.execute(schema.undo_log.delete())
    finally:
        svc.close()
    tmp.replace(folder)
    return folder


def ensure_demo_project() -> Path:
    """The demo project's folder, building it the first time (a few seconds on a CPU)."""
    folder = demo_dir()
    if (folder / "project.db").is_file():
        try:
            ProjectService.open(folder).close()
            return folder
        except PrevizError as exc:
            log.warning("the demo project is damaged (%s); building it again", exc)
            shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return build_demo(folder)
