"""Each shot can keep its own engine and model: the animatic for most, a real model for some."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.core.errors import InvalidInput
from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from previz.services.settings import AppSettings


def test_a_shot_keeps_its_engine_and_the_command_can_override_it(tmp_path: Path) -> None:
    settings = AppSettings.load()
    settings.default_engine = "diffusers"  # the app's default is a real model...
    settings.default_model = "Lightricks/LTX-Video"
    settings.save()
    with ProjectService.create(tmp_path / "M.previz", size="128x72") as svc:
        blocking = svc.add_shot(prompt="WIDE, a pier", duration_frames=24, engine="animatic")
        assert blocking.engine == "animatic" and blocking.model == ""
        gen = Generation(svc)
        # ...but this shot is blocked out on the animatic: its takes use it
        [job] = gen.generate(blocking.id)
        assert (job.payload["engine"], job.payload["model"]) == ("animatic", "")
        # a command's choice still wins for that command
        payload = gen._base_payload(svc.shot(blocking.id), EngineChoice(engine="diffusers"))
        assert (payload["engine"], payload["model"]) == ("diffusers", "Lightricks/LTX-Video")
        # a shot's own model is used with its engine; '' goes back to the default
        hero = svc.edit_shot(blocking.id, engine="diffusers", model="/models/ltx-13b")
        payload = gen._base_payload(hero, EngineChoice())
        assert (payload["engine"], payload["model"]) == ("diffusers", "/models/ltx-13b")
        back = svc.edit_shot(blocking.id, engine="", model="")
        payload = gen._base_payload(back, EngineChoice())
        assert (payload["engine"], payload["model"]) == ("diffusers", "Lightricks/LTX-Video")
        # a duplicate keeps the engine
        svc.edit_shot(blocking.id, engine="animatic")
        [copy] = svc.duplicate_shots([blocking.id])
        assert copy.engine == "animatic"


def test_an_unknown_engine_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    with ProjectService.create(tmp_path / "B.previz") as svc:
        shot = svc.add_shot(prompt="WIDE", duration_frames=24)
        with pytest.raises(InvalidInput, match="not one of: animatic, diffusers"):
            svc.edit_shot(shot.id, engine="sora")
        assert svc.shot(shot.id).engine == ""
