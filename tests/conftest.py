"""Shared fixtures. Qt runs offscreen; app settings go to a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("PREVIZ_CONFIG_DIR", str(cfg))
    yield cfg


@pytest.fixture
def project(tmp_path: Path):
    from previz.services.project import ProjectService

    svc = ProjectService.create(tmp_path / "Test.previz", fps="24", size="320x180")
    yield svc
    svc.close()
