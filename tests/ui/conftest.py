"""Fixtures for the desktop app tests: real windows, real job runner, small fast projects.

Every wait is bounded (qtbot.waitUntil / waitSignal with a timeout) so a hang fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.uihelpers import SIZE

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def new_project(tmp_path: Path) -> Callable[..., Path]:
    """Create a closed project folder: ``new_project(prompts, frames=12)``."""
    from previz.services.project import ProjectService

    def make(
        prompts: list[str] = (),
        frames: int = 12,
        name: str = "Test",  # type: ignore[assignment]
        elements: list[tuple[str, str, str]] = (),
    ) -> Path:  # type: ignore[assignment]
        path = tmp_path / f"{name}.previz"
        svc = ProjectService.create(path, fps="24", size=SIZE)
        try:
            for el in elements:
                svc.add_element(*el)
            for p in prompts:
                svc.add_shot(prompt=p, duration_frames=frames)
        finally:
            svc.close()
        return path

    return make


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., Any]]:
    """``open_window(path, worker_factory=None)``: a shown main window with the project open and
    its job runner started. Closed (runner stopped, worker ended) at the end of the test."""
    from previz.ui.main_window import QtMainWindow

    windows: list[Any] = []

    def make(path: Path | None = None, worker_factory: Any = None, **kw: Any) -> Any:
        w = QtMainWindow(
            worker_factory=worker_factory, restore_layout=kw.pop("restore", False), **kw
        )
        qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        qtbot.waitExposed(w)
        if path is not None:
            assert w.open_project(path), "the project did not open"
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


@pytest.fixture
def app_theme():
    """The app's theme (style, palette, font, style sheet) for one test, then the test
    process's own again: later tests measure widths in their own fonts (a theme left behind
    once made the toolbar test see a compact toolbar at 1280 px)."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from previz.ui import theme

    app = QApplication.instance()
    before = (app.style().name(), QPalette(app.palette()), app.font(), app.styleSheet())
    theme.apply_theme(app)
    yield
    style, palette, font, sheet = before
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)
    app.setFont(font)
