"""``previz`` with no arguments: the desktop app.

First run (no recent project and the demo not yet shown) opens the demo project, built once in
the user data folder with the animatic engine, so the first thing anyone sees is a working
storyboard. Building it takes a few seconds, so it happens on a thread while the window is up.

``PREVIZ_SMOKE_TEST=1`` (used by packaging/build.sh on the frozen bundle) opens the demo project
(or the folder given), lets the window draw, checks the board shows shots, writes ``OK`` on
stdout and exits 0 (1 on failure), without entering the interactive event loop.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _demo_available() -> bool:
    try:
        import previz.services.demo  # noqa: F401
    except ImportError:
        return False
    return True


def _ensure_demo() -> Path:
    from previz.services.demo import ensure_demo_project

    return ensure_demo_project()


def _pick_project(path: str | None) -> tuple[str | None, bool]:
    """(project to open, whether it is the demo to build first)."""
    from previz.services.settings import AppSettings

    if path:
        return path, False
    settings = AppSettings.load()
    for recent in settings.recent_projects:
        if (Path(recent) / "project.db").is_file():
            return recent, False
    if not settings.demo_shown and _demo_available():
        return None, True
    return None, False


def _mark_demo_shown() -> None:
    from previz.services.settings import AppSettings

    st = AppSettings.load()
    st.demo_shown = True
    st.save()


def _open_demo_async(window: Any) -> None:
    """Build (or find) the demo on a thread; open it on the GUI thread when ready."""
    from PySide6.QtCore import QObject, Qt, Signal

    class _Done(QObject):
        finished = Signal(object, object)  # path | None, error | None

    done = _Done(window)

    def finished(path: Any, error: Any) -> None:
        window.statusBar().clearMessage()
        if error is not None:
            from previz.ui.errors import show_error

            show_error(window, error, "The demo project could not be prepared")
            return
        if window.svc is None and window.open_project(path):
            _mark_demo_shown()

    done.finished.connect(finished, Qt.ConnectionType.QueuedConnection)
    window.statusBar().showMessage("Preparing the demo project (a few seconds, once)…")

    def work() -> None:
        try:
            done.finished.emit(_ensure_demo(), None)
        except Exception as exc:  # reported in a dialog, on the GUI thread
            log.exception("building the demo project failed")
            done.finished.emit(None, exc)

    threading.Thread(target=work, name="previz-demo", daemon=True).start()


def _smoke_test(app: Any, path: str | None) -> int:
    from previz.ui.main_window import QtMainWindow

    window = QtMainWindow(restore_layout=False)
    window.show()
    target = path or str(_ensure_demo())
    if not window.open_project(target):
        sys.stderr.write(f"smoke test: could not open {target}\n")
        return 1
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    shots = len(window.timeline.shot_ids())
    thumbs = sum(window.timeline.has_thumbnail(i) for i in range(shots))
    window.close()
    app.processEvents()
    if shots == 0:
        sys.stderr.write("smoke test: the board shows no shots\n")
        return 1
    sys.stdout.write(f"OK {shots} shots, {thumbs} with pictures, project {target}\n")
    sys.stdout.flush()
    return 0


def run_app(path: str | None = None) -> int:
    """Start the app (opening ``path`` if given); returns the exit code."""
    import multiprocessing

    multiprocessing.freeze_support()
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=os.environ.get("PREVIZ_LOG", "WARNING").upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from previz.ui.theme import apply_theme

    QCoreApplication.setOrganizationName("Previz")
    QCoreApplication.setApplicationName("Previz")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)  # type: ignore[arg-type]
    icon = Path(__file__).resolve().parents[2] / "assets" / "previz.svg"
    packaged = Path(__file__).resolve().parent / "previz.png"
    for candidate in (packaged, icon):
        if candidate.is_file():
            app.setWindowIcon(QIcon(str(candidate)))  # type: ignore[attr-defined]
            break
    if os.environ.get("PREVIZ_SMOKE_TEST") == "1":
        return _smoke_test(app, path)

    from previz.ui.main_window import QtMainWindow

    window = QtMainWindow()
    window.show()
    target, demo = _pick_project(path)
    if target is not None:
        window.open_project(target)
    elif demo:
        _open_demo_async(window)
    return int(app.exec())
