"""Region edits travel to the farm with their files: an Inpaint's keyframed masks and its
source take, a Cinemagraph's still, mask and source take all go as bytes under plain names, and
on the node the request reads its own masks back (no client path is left in it)."""

from __future__ import annotations

import pickle
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.farm.test_farm_pack import _paths

W, H = 96, 64


def _project(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    from engine.masks import box_mask, write_mask

    folder = tmp_path / "Proj.previz"
    take = folder / "media" / "takes" / "abc"
    masks = folder / "media" / "masks"
    take.mkdir(parents=True)
    masks.mkdir(parents=True)
    files = {
        "clip": take / "clip.mp4",
        "tail": take / "tail_0.png",
        "k0": masks / "k0.png",
        "k9": masks / "k9.png",
        "still": masks / "still.png",
    }
    files["clip"].write_bytes(b"video")
    files["tail"].write_bytes(b"tailpng")
    write_mask(files["k0"], box_mask(W, H, 2, 2, 10, 10))
    write_mask(files["k9"], box_mask(W, H, 70, 40, 12, 12))
    import cv2

    cv2.imwrite(str(files["still"]), np.full((H, W, 3), 90, np.uint8))
    return folder, files


def _source(files: dict[str, Path]):
    from engine.api import ClipSource, SegmentRef

    return ClipSource(
        segments=(SegmentRef(files["clip"], 0, 10),),
        head=(),
        tail=(files["tail"],),
        width=W,
        height=H,
        fps=Fraction(24),
        num_frames=10,
        recipe={"engine": "animatic", "prompt": "WIDE a harbour"},
    )


def _travel(req, tmp_path: Path, folder: Path):
    """Pack on the client, pickle across (Ray does), unpack on a node with no project."""
    from engine.farm.pack import pack_request, unpack_request

    packed, blobs = pack_request(req)
    paths = _paths(packed)
    assert paths and all(not p.is_absolute() and len(p.parts) == 1 for p in paths)
    assert not any(str(folder) in repr(p) for p in paths)
    packed, blobs = pickle.loads(pickle.dumps((packed, blobs)))
    node = tmp_path / "node" / "in"
    placed = unpack_request(packed, blobs, node)
    assert all(p.parent == node and p.is_file() for p in _paths(placed))
    return placed, blobs


def test_an_inpaint_with_keyframed_masks_travels_with_its_masks_and_source(
    tmp_path: Path,
) -> None:
    from engine.api import Inpaint, MaskKey, check_inputs
    from engine.masks import MaskTrack, read_mask

    folder, f = _project(tmp_path)
    req = Inpaint.for_source(
        _source(f),
        prompt="the car is red",
        masks=(MaskKey(f["k0"], 0), MaskKey(f["k9"], 9)),
        feather=6,
        seed=3,
    )
    check_inputs(req)
    placed, blobs = _travel(req, tmp_path, folder)
    assert len(blobs) == 4  # clip, tail, two masks
    assert [m.frame_index for m in placed.masks] == [0, 9]
    assert placed.feather == 6 and placed.prompt == "the car is red"
    # the masks on the node are the client's masks, pixel for pixel, and in their order
    for key, name in zip(placed.masks, ("k0", "k9"), strict=True):
        assert isinstance(key, MaskKey)
        assert np.array_equal(read_mask(key.path, W, H), read_mask(f[name], W, H))
    assert placed.source.segments[0].path.read_bytes() == b"video"
    assert placed.source.tail[0].read_bytes() == b"tailpng"
    assert placed.source.recipe == {"engine": "animatic", "prompt": "WIDE a harbour"}
    check_inputs(placed)  # the node's request is valid as it stands
    track = MaskTrack.load(placed.masks, W, H)
    assert track.moving and track.at(9)[45, 75] and not track.at(0)[45, 75]


@pytest.mark.parametrize("with_source", [False, True])
def test_a_cinemagraph_travels_with_its_still_mask_and_optional_source(
    tmp_path: Path, with_source: bool
) -> None:
    import cv2

    from engine.api import Cinemagraph, check_inputs

    folder, f = _project(tmp_path)
    extra = {"source": _source(f), "frame_index": 4} if with_source else {}
    req = Cinemagraph(
        image=f["still"],
        mask=f["k0"],
        prompt="the water ripples",
        width=W,
        height=H,
        fps=Fraction(24),
        num_frames=10,
        loop=True,
        feather=4,
        **extra,
    )
    check_inputs(req)
    placed, blobs = _travel(req, tmp_path, folder)
    assert len(blobs) == (4 if with_source else 2)
    assert placed.image != placed.mask  # two files, not one name for both
    assert np.array_equal(cv2.imread(str(placed.image)), cv2.imread(str(f["still"])))
    assert placed.mask.read_bytes() == f["k0"].read_bytes()
    assert placed.loop is True and placed.feather == 4
    if with_source:
        assert placed.frame_index == 4
        assert placed.source.segments[0].path.read_bytes() == b"video"
    else:
        assert placed.source is None
    check_inputs(placed)
