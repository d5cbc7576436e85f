"""Render assets/previz.svg to PNG icons (assets/previz.png, 256 px, and one per size for
platform icon sets). Uses QtSvg from PySide6, so no extra tools are needed.

    .venv/bin/python packaging/render_icon.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ASSETS = Path(__file__).resolve().parents[1] / "assets"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def render(size: int, out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ASSETS / "previz.svg"))
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(p)
    p.end()
    if not img.save(str(out)):
        raise SystemExit(f"could not write {out}")


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    render(256, ASSETS / "previz.png")
    icons = ASSETS / "icons"
    icons.mkdir(exist_ok=True)
    for s in SIZES:
        render(s, icons / f"previz-{s}.png")
    sys.stdout.write(f"wrote {ASSETS / 'previz.png'} and {len(SIZES)} sizes in {icons}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
