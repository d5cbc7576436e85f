"""Helpers shared by the tests (import as ``from tests.helpers import …``)."""

from __future__ import annotations

import os


def fake_take(svc, shot_id: int, *, frames: int = 24, operation: str = "generate", parents=()):
    """Record a take whose 'clip' is a small file, through the real install path."""
    from fractions import Fraction

    from previz.core.values import SegmentInfo
    from previz.services.takes import NEW, NewTake, install_take

    scratch = svc.folder / "media" / ".jobs" / f"fake-{os.urandom(4).hex()}"
    scratch.mkdir(parents=True)
    (scratch / "clip.mp4").write_bytes(os.urandom(256))
    (scratch / "thumb.jpg").write_bytes(b"\xff\xd8" + os.urandom(16))
    new = NewTake(
        operation=operation,
        engine="test",
        prompt="p",
        expanded_prompt="p",
        seed=1,
        width=320,
        height=180,
        fps=Fraction(24),
        recipe={"engine": "test"},
        segments=(SegmentInfo(NEW + "clip.mp4", 0, frames, ""),),
        thumbnail=NEW + "thumb.jpg",
        parents=parents,
    )
    return install_take(svc, shot_id, scratch, new)
