"""engine.masks: what a region edit's mask means on the frames: keyed masks move between keys,
the feather fades from the region to the untouched source, bad mask files are refused with a
message saying what to do."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.api import MaskKey, RequestError
from engine.masks import (
    MaskTrack,
    box_mask,
    composite,
    ellipse_mask,
    feather_alpha,
    protected,
    read_mask,
    resize_mask,
    write_mask,
)

W, H = 160, 96


def centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def test_keyed_masks_slide_from_key_to_key() -> None:
    a = box_mask(W, H, 10, 30, 20, 20)
    b = box_mask(W, H, 110, 30, 20, 20)
    track = MaskTrack([(20, b), (0, a)])  # keys in any order
    assert track.moving
    assert np.array_equal(track.at(0), a) and np.array_equal(track.at(20), b)
    # held before the first key and after the last
    assert np.array_equal(track.at(-3), a) and np.array_equal(track.at(40), b)
    xs = [centroid(track.at(f))[0] for f in range(0, 21, 5)]
    assert xs == sorted(xs) and xs[0] < xs[2] < xs[-1]
    assert abs(centroid(track.at(10))[0] - 70.0) < 2.0  # halfway at the middle frame
    # the box keeps its size while it slides (no smear between the keys)
    assert abs(int(track.at(10).sum()) - int(a.sum())) < 0.15 * a.sum()
    assert np.array_equal(track.union(), a | b)


def test_a_held_mask_is_the_same_at_every_frame() -> None:
    m = ellipse_mask(W, H, 40, 20, 60, 40)
    track = MaskTrack([(None, m)])
    assert not track.moving
    assert all(np.array_equal(track.at(f), m) for f in (0, 7, 99))


def test_feather_ramp_is_one_inside_and_zero_beyond_the_feather() -> None:
    m = box_mask(W, H, 60, 30, 40, 30)
    a = feather_alpha(m, 8)
    assert a.dtype == np.float32
    assert np.all(a[m] == 1.0)
    row = a[45, 100:115]  # going right from the box's edge (x = 99 is its last column)
    assert np.all(np.diff(row) <= 0) and row[0] > 0.8 and 0 < row[4] < 1
    assert np.all(a[45, 108:] == 0.0) and np.all(a[:, :51] == 0.0)
    assert np.array_equal(protected(m, 8), a <= 0)
    assert np.array_equal(feather_alpha(m, 0), m.astype(np.float32))


def test_composite_keeps_the_source_where_protected() -> None:
    rng = np.random.default_rng(0)
    src = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    new = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    m = box_mask(W, H, 60, 30, 40, 30)
    out = composite(src, new, feather_alpha(m, 6))
    assert np.array_equal(out[protected(m, 6)], src[protected(m, 6)])
    assert np.array_equal(out[m], new[m])


def test_write_then_read_a_mask_is_lossless(tmp_path: Path) -> None:
    m = ellipse_mask(W, H, 30, 10, 70, 50)
    path = write_mask(tmp_path / "m.png", m)
    assert np.array_equal(read_mask(path, W, H), m)
    assert np.array_equal(read_mask(path), m)
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img.ndim == 2 and set(np.unique(img)) == {0, 255}


def test_a_mask_of_the_wrong_size_names_both_sizes_and_the_fix(tmp_path: Path) -> None:
    path = write_mask(tmp_path / "m.png", box_mask(100, 50, 10, 10, 20, 20))
    with pytest.raises(RequestError) as err:
        read_mask(path, W, H)
    msg = str(err.value)
    assert "100x50" in msg and f"{W}x{H}" in msg and "--resize-mask" in msg and "\n" not in msg
    resized = resize_mask(read_mask(path), W, H)
    assert resized.shape == (H, W) and resized.any()


def test_an_empty_mask_is_refused(tmp_path: Path) -> None:
    path = write_mask(tmp_path / "empty.png", np.zeros((H, W), bool))
    with pytest.raises(RequestError, match="empty"):
        read_mask(path, W, H)


def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mask.png"
    path.write_text("not a picture")
    with pytest.raises(RequestError, match="not an image"):
        read_mask(path, W, H)
    with pytest.raises(RequestError, match="not found"):
        read_mask(tmp_path / "missing.png", W, H)


def test_an_rgba_mask_uses_its_alpha(tmp_path: Path) -> None:
    """A mask painted in an image editor on a transparent layer: opaque is the region,
    whatever its colour (black paint on transparent still counts)."""
    img = np.zeros((H, W, 4), np.uint8)
    img[20:40, 30:70, 3] = 255  # opaque black rectangle
    path = tmp_path / "layer.png"
    cv2.imwrite(str(path), img)
    m = read_mask(path, W, H)
    assert np.array_equal(m, box_mask(W, H, 30, 20, 40, 20))
    # a fully opaque RGBA image is read by its colour instead
    img[:, :, 3] = 255
    img[50:60, 10:20, :3] = 255
    cv2.imwrite(str(path), img)
    assert np.array_equal(read_mask(path, W, H), box_mask(W, H, 10, 50, 10, 10))


def test_load_reads_every_key(tmp_path: Path) -> None:
    a = write_mask(tmp_path / "a.png", box_mask(W, H, 0, 0, 10, 10))
    b = write_mask(tmp_path / "b.png", box_mask(W, H, 100, 50, 10, 10))
    track = MaskTrack.load((MaskKey(a, 0), MaskKey(b, 8)), W, H)
    assert track.moving and centroid(track.at(8))[0] > 100
    with pytest.raises(RequestError, match="at least one mask"):
        MaskTrack([])


def test_a_box_outside_the_frame_is_refused() -> None:
    with pytest.raises(RequestError, match="outside"):
        box_mask(W, H, W + 5, 0, 10, 10)
