"""About Previz: versions of everything that matters for a bug report (torch without importing
it: its version is read from the installed package metadata)."""

from __future__ import annotations

import platform
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

import previz


def _dist_version(*names: str) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def versions() -> dict[str, str]:
    try:
        import av

        pyav = av.__version__
        ffmpeg = ".".join(str(x) for x in av.library_versions.get("libavcodec", ()))
    except Exception:  # a broken PyAV must not break the About box
        pyav, ffmpeg = "not available", ""
    return {
        "Previz": previz.__version__,
        "Python": platform.python_version(),
        "Qt": qVersion(),
        "PySide6": pyside_version,
        "PyAV": pyav + (f" (libavcodec {ffmpeg})" if ffmpeg else ""),
        "NumPy": _dist_version("numpy"),
        "OpenCV": _dist_version("opencv-python-headless", "opencv-python"),
        "torch": _dist_version("torch"),
        "diffusers": _dist_version("diffusers"),
        "Platform": platform.platform(),
    }


class QtAboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Previz")
        title = QLabel("Previz")
        title.setStyleSheet("font-size: 20px; font-weight: 600;")
        blurb = QLabel(
            "Previsualization for filmmakers: boards, takes made on your own machine, "
            "reels and editorial timelines."
        )
        blurb.setWordWrap(True)
        rows = "".join(
            f"<tr><td style='color:#9a9a9a;padding-right:12px'>{k}</td><td>{v}</td></tr>"
            for k, v in versions().items()
        )
        table = QLabel(f"<table>{rows}</table>")
        table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lic = QLabel(
            "Licensed under the GPL 3.0 or later. Qt for Python (PySide6) is LGPL; "
            "the PyAV wheels bundle FFmpeg with x264 (GPL)."
        )
        lic.setWordWrap(True)
        lic.setStyleSheet("color: #8a8a8a;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for w in (title, blurb, table, lic, buttons):
            lay.addWidget(w)
        self.resize(460, 0)
