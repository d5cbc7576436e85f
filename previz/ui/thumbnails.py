"""Scaled thumbnails, loaded once and kept in a small LRU (the timeline paints from it)."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap


class ThumbnailCache:
    """Pixmaps keyed by (file, size). Thumbnails of takes never change (a new take gets a new
    file), so the path is a sufficient key; a missing or unreadable file caches as None."""

    def __init__(self, max_items: int = 1200) -> None:
        self.max_items = max_items
        self._data: OrderedDict[tuple[str, int, int], QPixmap | None] = OrderedDict()
        self._source: OrderedDict[str, QImage | None] = OrderedDict()
        self.loads = 0

    def _image(self, path: Path) -> QImage | None:
        key = str(path)
        if key in self._source:
            self._source.move_to_end(key)
            return self._source[key]
        img: QImage | None = None
        if path.is_file():
            reader = QImageReader(key)
            reader.setAutoTransform(True)
            loaded = reader.read()
            img = None if loaded.isNull() else loaded
        self.loads += 1
        self._source[key] = img
        while len(self._source) > 256:
            self._source.popitem(last=False)
        return img

    def get(self, path: Path | None, size: QSize, *, cover: bool = True) -> QPixmap | None:
        """The image at ``path`` scaled to ``size`` (cropped to fill it when ``cover``)."""
        if path is None or size.width() < 2 or size.height() < 2:
            return None
        key = (str(path), size.width(), size.height() * (1 if cover else -1))
        if key in self._data:
            self._data.move_to_end(key)
            return self._data[key]
        img = self._image(path)
        pm: QPixmap | None = None
        if img is not None:
            mode = (
                Qt.AspectRatioMode.KeepAspectRatioByExpanding
                if cover
                else Qt.AspectRatioMode.KeepAspectRatio
            )
            scaled = img.scaled(size, mode, Qt.TransformationMode.SmoothTransformation)
            if cover:
                x = max(0, (scaled.width() - size.width()) // 2)
                y = max(0, (scaled.height() - size.height()) // 2)
                scaled = scaled.copy(x, y, size.width(), size.height())
            pm = QPixmap.fromImage(scaled)
        self._data[key] = pm
        while len(self._data) > self.max_items:
            self._data.popitem(last=False)
        return pm

    def clear(self) -> None:
        self._data.clear()
        self._source.clear()
