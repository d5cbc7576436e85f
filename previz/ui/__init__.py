"""The desktop app (PySide6). Nothing outside this package imports Qt."""

from __future__ import annotations

from previz.ui.pyside_guard import protect_singletons

protect_singletons()
