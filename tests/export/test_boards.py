"""PDF storyboards and contact sheets."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from previz.export.boards import (
    BoardOptions,
    expected_pages,
    export_boards_pdf,
    export_contact_sheet,
)
from previz.export.plan import ExportError, SequencePlan
from previz.export.text import fold_text

from .conftest import reel, shot


def _page_count(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def _plan(clips):
    seq1 = tuple(
        shot(
            f"1/00{k}0",
            clips(color=k % 4, frames=6) if k % 3 else None,
            6,
            planned=24,
            dialogue="Où vas-tu? \u201cHome\u201d \u2014 \u65e5\u672c",
            camera="35mm, slow push in",
            prompt="The ferry at night " * 6,
        )
        for k in range(1, 8)
    )
    seq2 = tuple(shot(f"2/00{k}0", clips(color=1, frames=6), 6) for k in range(1, 4))
    plan = reel([])
    return type(plan)(
        "Night Ferry \u2014 \u00c9mile",
        plan.fps,
        plan.width,
        plan.height,
        (SequencePlan("Arrival", "1", seq1), SequencePlan("Departure", "2", seq2)),
    )


@pytest.mark.parametrize("per_page", [2, 4, 6, 9])
def test_pdf_pages_follow_panels_per_page(per_page: int, clips, tmp_path: Path) -> None:
    plan = _plan(clips)
    out = tmp_path / "boards.pdf"
    res = export_boards_pdf(plan, out, BoardOptions(panels_per_page=per_page))
    pages = math.ceil(7 / per_page) + math.ceil(3 / per_page)  # each sequence on new pages
    assert res.pages == pages == expected_pages(plan, per_page) == _page_count(out)
    assert res.panels == 10
    assert out.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["boards.pdf"]  # no temp left


def test_pdf_unicode_with_a_font_file(clips, tmp_path: Path) -> None:
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.is_file():
        pytest.skip("no TrueType font on this machine to exercise font_path")
    out = tmp_path / "u.pdf"
    res = export_boards_pdf(_plan(clips), out, BoardOptions(panels_per_page=4, font_path=font))
    assert res.pages == 3 and _page_count(out) == 3
    with pytest.raises(ExportError, match="does not exist"):
        export_boards_pdf(_plan(clips), out, BoardOptions(font_path=tmp_path / "none.ttf"))


def test_fold_text_keeps_latin1_and_never_fails() -> None:
    assert fold_text("Où vas-tu? Émile", "cp1252") == "Où vas-tu? Émile"
    assert fold_text("\u201cHi\u201d \u2014 ok", "cp1252") == "\u201cHi\u201d \u2014 ok"
    assert fold_text("Łódź \u0103", "cp1252") == "Lódz a"
    assert fold_text("\u65e5\u672c", "cp1252") == "??"
    assert fold_text("\u201cHi\u201d \u2014 Ünï", "ascii") == '"Hi" - Uni'


def test_contact_sheet(clips, tmp_path: Path) -> None:
    plan = _plan(clips)
    out = tmp_path / "sheet.png"
    w, h = export_contact_sheet(plan, out, columns=4, thumb_width=120)
    with Image.open(out) as im:
        assert im.size == (w, h)
        img = np.asarray(im.convert("RGB"))
    pad = 120 // 20
    assert w == 4 * (120 + pad) + pad
    # 10 shots in rows of 4 -> 3 rows; the first panel shows the first shot's colour (green)
    th = 68  # 120 * 90 / 160 rounded to even
    assert h > 3 * th
    assert np.abs(img[pad + th // 3, pad + 60].astype(int) - (40, 200, 60)).max() < 40


def test_panels_per_page_must_be_positive(clips, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="at least 1"):
        export_boards_pdf(_plan(clips), tmp_path / "b.pdf", BoardOptions(panels_per_page=0))


def test_pillow_text_fallback_draws_folded_text() -> None:
    # used where OpenCV < 5 has no built-in fonts: must draw, never show boxes or fail
    from previz.export.text import _PilFont

    font = _PilFont()
    box = font.measure("Café \u65e5", 20)
    mask = np.zeros((box.height + 4, box.width + 4), np.uint8)
    font.draw(mask, "Café \u65e5", 2, box.ascent + 2, 20, False)
    assert mask.max() > 200 and (mask > 0).mean() > 0.05
