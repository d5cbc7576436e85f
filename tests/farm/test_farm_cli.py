"""The farm's command line without a cluster: addresses, settings, and no Ray installed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from previz.core.errors import InvalidInput


@pytest.mark.parametrize(
    "text", ["10.0.0.5:6379", "head.studio:6379", "ray://head.studio:10001", "auto", "local"]
)
def test_farm_addresses_of_both_kinds_are_accepted(text: str) -> None:
    from previz.services.farm import parse_address

    assert parse_address(text) == text


@pytest.mark.parametrize("text", ["head.studio", "http://x:1", "ray://x", "x:99999", "a b:1"])
def test_a_bad_farm_address_is_refused_in_one_line(text: str) -> None:
    from previz.services.farm import parse_address

    with pytest.raises(InvalidInput) as e:
        parse_address(text)
    assert "\n" not in str(e.value) and "host:port" in str(e.value)


def test_farm_without_ray_says_how_to_install_it(
    project: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from previz.cli.main import run

    project.add_shot(prompt="WIDE, a man walks", duration_frames=12)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    code = run(["generate", str(project.folder), "0010", "--farm", "10.0.0.5:6379"])
    err = capsys.readouterr().err
    assert code != 0
    assert "pip install 'previz-studio[farm]'" in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


def test_the_projects_farm_is_where_its_new_jobs_run(project: Any) -> None:
    from previz.services.farm import set_project_farm
    from previz.services.generation import EngineChoice, Generation

    shot = project.add_shot(prompt="WIDE, a man walks", duration_frames=12)
    set_project_farm(project, "ray://head.studio:10001")
    job = Generation(project).generate(shot.id, EngineChoice(engine="animatic", seed=1))[0]
    assert job.runs_on == "ray://head.studio:10001"
    set_project_farm(project, "local")
    job = Generation(project).generate(shot.id, EngineChoice(engine="animatic", seed=1))[0]
    assert job.runs_on == "local"


def test_the_apps_default_farm_applies_when_the_project_names_none(project: Any) -> None:
    from previz.services.generation import EngineChoice, Generation
    from previz.services.settings import AppSettings

    s = AppSettings.load()
    s.farm_address = "10.0.0.5:6379"
    s.save()
    shot = project.add_shot(prompt="WIDE, a man walks", duration_frames=12)
    job = Generation(project).generate(shot.id, EngineChoice(engine="animatic", seed=1))[0]
    assert job.runs_on == "10.0.0.5:6379"
    assert Path(s.path).is_file()
