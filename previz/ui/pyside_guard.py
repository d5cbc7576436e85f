"""A guard against a reference-counting bug in PySide6 6.12.0 on CPython 3.10/3.11.

PySide6-Essentials 6.12.0 (abi3 wheel) returns ``None`` from every void C++ method without
taking a reference: on CPython < 3.12, where ``None``, ``True`` and ``False`` are not yet
immortal (PEP 683), each call lowers their reference count, and after some thousands of calls
(a few seconds of playback) the interpreter aborts with "Fatal Python error: none_dealloc"
(or bool_dealloc). 6.11.3 does not have the bug; CPython 3.12+ is immune.

:func:`protect_singletons` probes for the bug and, only when it is present, raises the reference
counts of those three singletons by 2**40, so they can never reach zero in a session's life.
They are statically allocated and never freed, so the extra count changes nothing else.
The real fix is a PySide6 without the bug (see the README's requirements).
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

_BUMP = 1 << 40
_done = False


def leaks_none() -> int:
    """References to ``None`` lost by 64 void PySide6 calls (0 when the bug is absent)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return max(0, before - sys.getrefcount(None))


def protect_singletons() -> bool:
    """Apply the guard when this PySide6/CPython pair needs it; True when applied."""
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _done
    lost = leaks_none()
    if lost < 32:
        return False
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _BUMP
    _done = True
    from PySide6 import __version__ as pyside

    log.warning(
        "PySide6 %s loses references to None on Python %d.%d (%d in 64 calls); guarded. "
        "Use PySide6 6.11.3 or Python 3.12+ to be rid of it.",
        pyside,
        sys.version_info.major,
        sys.version_info.minor,
        lost,
    )
    return True
