"""Make assets/screenshot.png: the main window on the demo project, a take playing in the
player and a generation job running in the queue. Run under a real X server or Xvfb:

    xvfb-run -s "-screen 0 1700x1050x24" .venv/bin/python packaging/screenshot.py

Uses its own settings and demo folders (temporary), so the user's are untouched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def spin(app, seconds: float, until=None) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.005)
    return until is None


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="previz-shot-"))
    os.environ.setdefault("PREVIZ_CONFIG_DIR", str(tmp / "config"))
    os.environ.setdefault("PREVIZ_DEMO_DIR", str(tmp / "Night Ferry (demo).previz"))
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from previz.services.demo import ensure_demo_project
    from previz.ui.main_window import QtMainWindow
    from previz.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    app.setWindowIcon(QIcon(str(ROOT / "assets" / "previz.svg")))
    demo = ensure_demo_project()
    w = QtMainWindow(restore_layout=False)
    w.resize(1600, 960)
    w.show()
    w.open_project(demo)
    spin(app, 1.0)
    ids = w.timeline.shot_ids()
    # a job running: variations of the second shot, made longer so it is still running
    w.timeline.select([ids[1]], ids[1])
    w.inspector.duration.setValue(240)
    w.inspector.commit()
    w.actions.variations(2, [ids[1]])
    # the third shot selected, the sequence in the player at a telling frame, 2.39 guides on
    w.timeline.select([ids[2]], ids[2])
    spin(app, 0.3)
    start = w.timeline.start_frame(ids[2]) or 0
    w.player.seek(start + 44)
    w.player.guides.setCurrentIndex(1)
    spin(
        app,
        60,
        lambda: any(
            r.job.status == "running"
            and r.preview_shown
            and r.progress_info is not None
            and r.progress_info.step > 60
            for r in w.jobs.rows.values()
        ),
    )
    spin(app, 0.3)
    out = ROOT / "assets" / "screenshot.png"
    img = w.grab().toImage()
    # keep the file small: the window at 1600 px wide compresses well as PNG
    img.save(str(out), "PNG", 9)
    size_kb = out.stat().st_size / 1024
    if size_kb > 300:
        img.scaledToWidth(1280, Qt.TransformationMode.SmoothTransformation).save(str(out), "PNG", 9)
        size_kb = out.stat().st_size / 1024
    sys.stdout.write(f"wrote {out} ({size_kb:.0f} KB)\n")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
