"""Printed boards: a PDF storyboard (fpdf2) and a contact-sheet PNG.

Panel pictures, best first: the shot's ``thumbnail`` file, else the middle frame of the trimmed
take decoded with PyAV, else a drawn slate ("NO TAKE") for a shot without a take.

Text and fonts: fpdf2's built-in PDF fonts (Helvetica) only hold Windows-1252, so by default
every string is folded into it (accents kept, other letters lose their accents, typographic
punctuation mapped, anything else such as CJK becomes "?") - the PDF never fails on a character.
Pass ``BoardOptions.font_path`` (any TrueType font with the scripts you need) for full Unicode;
no font is bundled and no system font is looked up, so output is the same on every machine.
Text drawn INTO pictures (contact sheet labels, slates) uses ``text.py`` and keeps full Unicode
with OpenCV 5's built-in fonts.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from . import frames as fr
from . import text as textmod
from .files import TempTarget, check_target_dir
from .media import iter_take_frames
from .plan import ExportError, ReelPlan, SequencePlan, ShotItem, disk_full_error
from .provenance import provenance_comment
from .timing import conformed_length

log = logging.getLogger(__name__)

# panels per page -> (columns, rows) on a landscape page (portrait swaps them)
GRIDS: dict[int, tuple[int, int]] = {
    1: (1, 1),
    2: (2, 1),
    3: (3, 1),
    4: (2, 2),
    6: (3, 2),
    8: (4, 2),
    9: (3, 3),
    12: (4, 3),
}


@dataclass(frozen=True)
class BoardOptions:
    panels_per_page: int = 6
    orientation: Literal["landscape", "portrait"] = "landscape"
    page_size: Literal["A4", "Letter"] = "A4"
    font_path: Path | None = None  # TrueType font for full Unicode text; None = Helvetica
    show_prompt: bool = True
    show_dialogue: bool = True
    show_camera: bool = True
    image_width: int = 640  # pixels of each panel picture embedded in the PDF


@dataclass(frozen=True)
class BoardsResult:
    path: Path
    pages: int
    panels: int


def grid_for(panels_per_page: int, orientation: str = "landscape") -> tuple[int, int]:
    if panels_per_page < 1:
        raise ExportError(f"panels per page must be at least 1, not {panels_per_page}")
    cols, rows = GRIDS.get(panels_per_page) or (
        math.ceil(math.sqrt(panels_per_page)),
        math.ceil(panels_per_page / math.ceil(math.sqrt(panels_per_page))),
    )
    return (rows, cols) if orientation == "portrait" and cols != rows else (cols, rows)


def expected_pages(plan: ReelPlan, panels_per_page: int) -> int:
    """Each sequence starts on a new page."""
    return sum(math.ceil(len(s.items) / panels_per_page) for s in plan.sequences if s.items)


def shot_frames(plan: ReelPlan, item: ShotItem) -> int:
    """The shot's length on the reel (reel-rate frames)."""
    if not item.has_take:
        return item.planned_frames
    t_in, t_out = item.trim_range
    return conformed_length(t_out - t_in, Fraction(item.source_fps), Fraction(plan.fps))


def duration_label(plan: ReelPlan, item: ShotItem) -> str:
    frames = shot_frames(plan, item)
    secs = Fraction(frames) / Fraction(plan.fps)
    return f"{float(secs):.1f} s  ({frames} fr)"


def panel_image(plan: ReelPlan, item: ShotItem, width: int) -> np.ndarray:
    """RGB picture for a panel at the reel aspect, ``width`` pixels wide."""
    height = max(2, int(round(width * plan.height / plan.width / 2)) * 2)
    width = max(2, width // 2 * 2)
    img: np.ndarray | None = None
    if item.thumbnail is not None and Path(item.thumbnail).is_file():
        try:
            with Image.open(item.thumbnail) as im:
                img = np.asarray(im.convert("RGB"))
        except OSError as exc:
            log.warning("thumbnail %s of %s unreadable (%s)", item.thumbnail, item.label, exc)
    if img is None and item.has_take:
        t_in, t_out = item.trim_range
        mid = t_in + (t_out - t_in) // 2
        try:
            for frame in iter_take_frames(item, mid, mid + 1):
                img = frame.to_ndarray(format="rgb24")
                break
        except ExportError as exc:
            log.warning("no frame for %s: %s", item.label, exc)
    if img is None:
        return _slate_rgb(item, width, height)
    fitter = fr.Fitter(img.shape[1] // 2 * 2, img.shape[0] // 2 * 2, width, height, "fit")
    arr = fitter(_rgb_frame(img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2]))
    return fr.yuv420_to_rgb(arr, width, height)


def _rgb_frame(img: np.ndarray):
    import av

    return av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")


def _slate_rgb(item: ShotItem, width: int, height: int) -> np.ndarray:
    canvas = np.full((height, width, 3), (44, 48, 58), np.uint8)
    size = max(10, height // 7)
    rgba = fr.text_rgba([item.label, "NO TAKE"], size, box_alpha=0.0, align="center", bold=True)
    y = (height - rgba.shape[0]) // 2
    x = (width - rgba.shape[1]) // 2
    _blend_rgba(canvas, rgba, x, y)
    return canvas


def _blend_rgba(canvas: np.ndarray, rgba: np.ndarray, x: int, y: int) -> None:
    H, W = canvas.shape[:2]
    h, w = rgba.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    p = rgba[y0 - y : y1 - y, x0 - x : x1 - x]
    a = p[..., 3:4].astype(np.float32) / 255
    c = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = (c * (1 - a) + p[..., :3] * a + 0.5).astype(np.uint8)


class _Pdf:
    """fpdf2 with Unicode-or-folded text."""

    def __init__(self, options: BoardOptions) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(
            orientation="L" if options.orientation == "landscape" else "P",
            unit="mm",
            format=options.page_size,
        )
        self.pdf.set_auto_page_break(False)
        self.pdf.set_image_filter("DCTDecode")
        self.unicode = False
        if options.font_path is not None:
            fp = Path(options.font_path)
            if not fp.is_file():
                raise ExportError(f"font {fp} does not exist; pick a .ttf file or leave it off")
            try:
                self.pdf.add_font("Board", "", str(fp))
                self.pdf.add_font("Board", "B", str(fp))
            except Exception as exc:
                raise ExportError(f"cannot use font {fp} ({exc}); pick another .ttf") from exc
            self.family, self.unicode = "Board", True
        else:
            self.pdf.core_fonts_encoding = "windows-1252"
            self.family = "Helvetica"

    def t(self, s: str) -> str:
        return s if self.unicode else textmod.fold_text(s, "cp1252")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def clipped_lines(self, text: str, width: float, max_lines: int) -> list[str]:
        """Word-wrap ``text`` to ``width`` mm with the current font, at most ``max_lines``."""
        words = self.t(text).split()
        lines: list[str] = []
        cur = ""
        for w in words:
            trial = f"{cur} {w}" if cur else w
            if cur and self.pdf.get_string_width(trial) > width:
                lines.append(cur)
                cur = w
            else:
                cur = trial
            while self.pdf.get_string_width(cur) > width and len(cur) > 1:
                cut = len(cur) - 1
                while cut > 1 and self.pdf.get_string_width(cur[:cut]) > width:
                    cut -= 1
                lines.append(cur[:cut])
                cur = cur[cut:]
        if cur:
            lines.append(cur)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            last = lines[-1]
            while last and self.pdf.get_string_width(last + "...") > width:
                last = last[:-1]
            lines[-1] = last + "..."
        return lines


def export_boards_pdf(
    plan: ReelPlan, out_path: Path | str, options: BoardOptions | None = None
) -> BoardsResult:
    """A storyboard PDF: a header (project, sequence, page x/y) and a grid of panels, each
    with its picture, shot code + take, duration, camera, prompt and dialogue. Each sequence
    starts on a new page."""
    options = options or BoardOptions()
    out_path = Path(out_path)
    check_target_dir(out_path)
    if not any(s.items for s in plan.sequences):
        raise ExportError("there are no shots to put on boards; add shots first")
    cols, rows = grid_for(options.panels_per_page, options.orientation)
    per_page = options.panels_per_page
    doc = _Pdf(options)
    pdf = doc.pdf
    pdf.set_title(doc.t(f"{plan.project_name} storyboards"))
    pdf.set_creator(doc.t(provenance_comment(plan)))
    total_pages = expected_pages(plan, per_page)
    page_no = 0
    panels = 0
    margin, header_h, gap = 10.0, 12.0, 5.0
    for seq in plan.sequences:
        for start in range(0, len(seq.items), per_page):
            page_no += 1
            pdf.add_page()
            _header(doc, plan, seq, page_no, total_pages, margin)
            cell_w = (pdf.w - 2 * margin - (cols - 1) * gap) / cols
            cell_h = (pdf.h - 2 * margin - header_h - (rows - 1) * gap) / rows
            for k, item in enumerate(seq.items[start : start + per_page]):
                r, c = divmod(k, cols)
                x = margin + c * (cell_w + gap)
                y = margin + header_h + r * (cell_h + gap)
                _panel(doc, plan, item, x, y, cell_w, cell_h, options)
                panels += 1
    with TempTarget(out_path) as tmp:
        try:
            pdf.output(str(tmp.path))
        except OSError as exc:
            raise (
                disk_full_error(out_path, exc)
                or ExportError(f"cannot write {out_path}: {exc.strerror or exc}")
            ) from exc
        tmp.commit()
    return BoardsResult(out_path, page_no, panels)


def _header(
    doc: _Pdf, plan: ReelPlan, seq: SequencePlan, page: int, pages: int, margin: float
) -> None:
    pdf = doc.pdf
    pdf.set_xy(margin, margin)
    doc.font(13, bold=True)
    scene = f"  -  Scene {seq.scene}" if seq.scene and seq.scene not in seq.name else ""
    pdf.cell(pdf.w - 2 * margin - 40, 7, doc.t(f"{plan.project_name}{scene}  -  {seq.name}"))
    doc.font(9)
    pdf.set_xy(pdf.w - margin - 40, margin)
    pdf.cell(40, 7, doc.t(f"page {page} / {pages}"), align="R")
    pdf.set_xy(margin, margin + 6)
    doc.font(7)
    pdf.set_text_color(120, 120, 120)
    pdf.cell(
        pdf.w - 2 * margin,
        4,
        doc.t(f"{plan.version}  -  AI-generated previz  -  {provenance_comment(plan)}"),
    )
    pdf.set_text_color(0, 0, 0)


def _panel(
    doc: _Pdf,
    plan: ReelPlan,
    item: ShotItem,
    x: float,
    y: float,
    w: float,
    h: float,
    options: BoardOptions,
) -> None:
    pdf = doc.pdf
    aspect = plan.height / plan.width
    text_min = 16.0  # mm kept for text under the picture
    img_w = min(w, (h - text_min) / aspect)
    img_h = img_w * aspect
    img = panel_image(plan, item, options.image_width)
    pdf.image(Image.fromarray(img), x=x + (w - img_w) / 2, y=y, w=img_w, h=img_h)
    pdf.set_draw_color(60, 60, 60)
    pdf.rect(x + (w - img_w) / 2, y, img_w, img_h)
    ty = y + img_h + 1.5
    line_h = 3.6
    doc.font(9, bold=True)
    pdf.set_xy(x, ty)
    pdf.cell(w * 0.6, line_h + 0.6, doc.t(f"{item.label}   {item.take_label}"))
    doc.font(8)
    pdf.set_xy(x + w * 0.6, ty)
    pdf.cell(w * 0.4, line_h + 0.6, doc.t(duration_label(plan, item)), align="R")
    ty += line_h + 1
    budget = int((y + h - ty) // line_h)
    blocks: list[tuple[str, bool]] = []
    if options.show_camera and item.camera:
        blocks.append((f"Camera: {item.camera}", False))
    if options.show_prompt and item.prompt:
        blocks.append((item.prompt, False))
    if options.show_dialogue and item.dialogue:
        blocks.append((f'"{item.dialogue}"', True))
    for text_, italic in blocks:
        if budget <= 0:
            break
        doc.font(7.5)
        if italic:
            pdf.set_text_color(40, 40, 140)
        lines = doc.clipped_lines(text_, w, max(1, min(budget, 4)))
        for line in lines:
            pdf.set_xy(x, ty)
            pdf.cell(w, line_h, line)
            ty += line_h
            budget -= 1
        pdf.set_text_color(0, 0, 0)


def export_contact_sheet(
    plan: ReelPlan,
    out_path: Path | str,
    *,
    columns: int = 6,
    thumb_width: int = 320,
) -> tuple[int, int]:
    """A PNG grid of every shot's frame with its label (shot, take, duration). Returns the
    image size ``(width, height)``, which is ``columns * (thumb_width + pad) + pad`` wide."""
    out_path = Path(out_path)
    check_target_dir(out_path)
    items = plan.items()
    if not items:
        raise ExportError("there are no shots for a contact sheet; add shots first")
    if columns < 1 or thumb_width < 16:
        raise ExportError("a contact sheet needs at least 1 column of at least 16 px")
    tw = thumb_width // 2 * 2
    th = max(2, int(round(tw * plan.height / plan.width / 2)) * 2)
    pad = max(4, tw // 20)
    size = max(9, tw // 16)
    label_h = int(size * 2.6) + pad
    rows = math.ceil(len(items) / columns)
    W = columns * (tw + pad) + pad
    H = rows * (th + label_h + pad) + pad
    sheet = np.full((H, W, 3), 24, np.uint8)
    for k, item in enumerate(items):
        r, c = divmod(k, columns)
        x = pad + c * (tw + pad)
        y = pad + r * (th + label_h + pad)
        sheet[y : y + th, x : x + tw] = panel_image(plan, item, tw)
        lines = [
            textmod.wrap(f"{item.label}  {item.take_label}", size, tw, bold=True, max_lines=1)[0],
            duration_label(plan, item),
        ]
        rgba = fr.text_rgba(lines, size, box_alpha=0.0, pad=2, bold=False)
        _blend_rgba(sheet, rgba[:, :tw], x, y + th + 2)
    with TempTarget(out_path) as tmp:
        try:
            Image.fromarray(sheet).save(tmp.path, format="PNG")
        except OSError as exc:
            raise (
                disk_full_error(out_path, exc)
                or ExportError(f"cannot write {out_path}: {exc.strerror or exc}")
            ) from exc
        tmp.commit()
    return W, H
