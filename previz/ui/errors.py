"""Showing errors: a user's mistake (PrevizError) as a plain message, never a traceback.

Dialogs are opened window-modal without a nested event loop (``QMessageBox.open``), so
generation keeps running behind them and tests never block on one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from previz.core.errors import PrevizError

log = logging.getLogger(__name__)

T = TypeVar("T")

# The last few messages shown (the status bar and tests read them).
shown: list[str] = []


def show_error(parent: QWidget | None, exc: BaseException, title: str = "") -> QMessageBox:
    if isinstance(exc, PrevizError):
        text = str(exc) or type(exc).__name__
        box = QMessageBox(QMessageBox.Icon.Warning, title or "Previz", text, parent=parent)
    else:
        log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        text = f"Something went wrong: {first}"
        box = QMessageBox(QMessageBox.Icon.Critical, title or "Previz", text, parent=parent)
        box.setInformativeText(
            "Nothing you made was lost: every edit is saved as you go. The details are in the log."
        )
    box.setObjectName("errorBox")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    shown.append(text)
    del shown[:-20]
    box.open()
    return box


def guarded(parent: QWidget | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run ``fn``; on an error show it and return None."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        show_error(parent, exc)
        return None
