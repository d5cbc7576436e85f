"""Previz generation engine: one API for every operation, usable as a library on its own.

Never imports previz, PySide6 or SQLAlchemy.
"""

from __future__ import annotations
