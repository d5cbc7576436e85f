"""A reel with region edits says so: the ``.previz.json`` sidecar and the C2PA manifest name the
operation (inpaint / cinemagraph), each mask file by its project path with its SHA-256 and
keyframe, the feather, and for a cinemagraph its still and loop; C2PA also records a
``c2pa.edited`` action. Read back with plain ``json`` and the c2pa library's own Reader."""

from __future__ import annotations

import hashlib
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest

from previz.services.export import ExportRequest, export
from previz.services.project import ProjectService

from .conftest import H, W, make_clip

COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_mask(folder: Path, name: str, x: int) -> str:
    from engine.masks import box_mask, write_mask

    rel = f"media/masks/{name}.png"
    (folder / "media" / "masks").mkdir(parents=True, exist_ok=True)
    write_mask(folder / rel, box_mask(W, H, x, 8, 30, 30))
    return rel


def add_take(svc: ProjectService, shot_id: int, operation: str, recipe_extra: dict, color: int):
    """A take with a real clip, recorded through the real install path."""
    from previz.core.values import SegmentInfo
    from previz.services.takes import NEW, NewTake, install_take

    from .conftest import COLORS

    scratch = svc.folder / "media" / ".jobs" / f"t-{os.urandom(4).hex()}"
    scratch.mkdir(parents=True)
    make_clip(scratch / "clip.mp4", 12, 24, COLORS[color])
    recipe = {"engine": "animatic", "operation": operation, "seed": 5, **recipe_extra}
    new = NewTake(
        operation=operation,
        engine="animatic",
        prompt=recipe.get("prompt", "p"),
        expanded_prompt=recipe.get("prompt", "p"),
        seed=5,
        width=W,
        height=H,
        fps=Fraction(24),
        recipe=recipe,
        segments=(SegmentInfo(NEW + "clip.mp4", 0, 12, ""),),
    )
    return install_take(svc, shot_id, scratch, new)


@pytest.fixture
def edited(tmp_path: Path) -> ProjectService:
    """Three shots: a plain take, an inpaint with two keyframed masks (its source is the
    plain take's sibling), and a looping cinemagraph made from a frame of a take."""
    svc = ProjectService.create(tmp_path / "Ferry.previz", fps="24", size=f"{W}x{H}")
    a = svc.add_shot(prompt="WIDE a harbour")
    b = svc.add_shot(prompt="MS a car on the quay")
    c = svc.add_shot(prompt="WIDE the sea at dusk")
    add_take(svc, a.id, "generate", {"prompt": "WIDE a harbour"}, 0)
    src = add_take(svc, b.id, "generate", {"prompt": "MS a car on the quay"}, 1)
    k0, k6 = write_mask(svc.folder, "k0", 10), write_mask(svc.folder, "k6", 100)
    inpaint_region = {
        "masks": [{"path": k0, "frame_index": 0}, {"path": k6, "frame_index": 6}],
        "feather": 6,
    }
    add_take(
        svc,
        b.id,
        "inpaint",
        {"prompt": "MS a red car on the quay", "region": inpaint_region},
        2,
    )
    plate = add_take(svc, c.id, "generate", {"prompt": "WIDE the sea at dusk"}, 3)
    still, water = write_mask(svc.folder, "still", 40), write_mask(svc.folder, "water", 60)
    cine_region = {
        "masks": [{"path": water, "frame_index": None}],
        "feather": 8,
        "image": still,
        "from_take": plate.id,
        "from_frame": 3,
        "loop": True,
    }
    add_take(svc, c.id, "cinemagraph", {"prompt": "the water ripples", "region": cine_region}, 4)
    assert src.number == 1
    yield svc
    svc.close()


def test_the_sidecar_names_each_region_edit_its_masks_and_their_hashes(
    edited: ProjectService, tmp_path: Path
) -> None:
    out = tmp_path / "reel.mp4"
    export(edited, ExportRequest(reel=out))
    data = json.loads(out.with_name(out.name + ".previz.json").read_text(encoding="utf-8"))
    plain, inpaint, cine = data["shots"]
    folder = edited.folder

    assert plain["region"] is None
    r = inpaint["region"]
    assert inpaint["take"] == 2 and r["operation"] == "inpaint" and r["feather"] == 6
    assert [(m["path"], m["frame_index"]) for m in r["masks"]] == [
        ("media/masks/k0.png", 0),
        ("media/masks/k6.png", 6),
    ]
    for m in r["masks"]:  # the hash is the file's in the project, checked independently
        assert m["sha256"] == sha(folder / m["path"])
    assert r["masks"][0]["sha256"] != r["masks"][1]["sha256"]

    r = cine["region"]
    assert r["operation"] == "cinemagraph" and r["loop"] is True and r["feather"] == 8
    assert r["image"] == {
        "path": "media/masks/still.png",
        "sha256": sha(folder / "media/masks/still.png"),
    }
    [m] = r["masks"]
    assert m == {
        "path": "media/masks/water.png",
        "frame_index": None,
        "sha256": sha(folder / "media/masks/water.png"),
    }
    assert r["from_frame"] == 3 and r["from_take"] is not None
    # the full recipe is still there for re-making the take
    assert cine["recipe"]["region"]["image"] == "media/masks/still.png"


def test_the_c2pa_manifest_records_the_edit_and_names_the_masks(
    edited: ProjectService, tmp_path: Path
) -> None:
    c2pa = pytest.importorskip("c2pa")
    out = tmp_path / "reel.mp4"
    done = export(edited, ExportRequest(reel=out))
    assert str(out) in done["credentials"]["signed"]

    with c2pa.Reader(str(out)) as reader:  # the library's reader, not Previz's verify
        store = json.loads(reader.json())
        assert reader.get_validation_state() != "Invalid"  # the edits keep the manifest valid
    manifest = store["manifests"][store["active_manifest"]]
    by_label = {a["label"].split(".v")[0]: a["data"] for a in manifest["assertions"]}

    actions = by_label["c2pa.actions"]["actions"]
    assert actions[0]["action"] == "c2pa.created"
    edits = [a for a in actions if a["action"] == "c2pa.edited"]
    assert len(edits) == 2
    assert all(a["digitalSourceType"] == COMPOSITE for a in edits)
    inpaint_said, cine_said = (a["parameters"]["description"] for a in edits)
    assert inpaint_said.startswith("shot 0020 take 2: inpaint")
    assert "media/masks/k0.png at frame 0" in inpaint_said
    assert "media/masks/k6.png at frame 6" in inpaint_said
    assert "cinemagraph" in cine_said and "media/masks/water.png" in cine_said
    assert "media/masks/still.png" in cine_said and "looping" in cine_said

    shots = by_label["org.previz.recipes"]["shots"]
    assert [s["operation"] for s in shots] == ["generate", "inpaint", "cinemagraph"]
    assert "region" not in shots[0]
    folder = edited.folder
    masks = shots[1]["region"]["masks"]
    assert [(m["path"], m["frame_index"], m["sha256"]) for m in masks] == [
        ("media/masks/k0.png", 0, sha(folder / "media/masks/k0.png")),
        ("media/masks/k6.png", 6, sha(folder / "media/masks/k6.png")),
    ]
    cine = shots[2]["region"]
    assert cine["image"]["sha256"] == sha(folder / "media/masks/still.png")
    assert cine["loop"] is True and cine["masks"][0]["path"] == "media/masks/water.png"


def test_a_mask_path_that_leaves_the_project_is_named_but_not_read(tmp_path: Path) -> None:
    from previz.export.provenance import region_record

    folder = tmp_path / "P.previz"
    folder.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not the project's")
    recipe = {
        "operation": "inpaint",
        "region": {"masks": [{"path": "../secret.png", "frame_index": None}], "feather": 8},
    }
    rec = region_record(recipe, folder)
    assert rec is not None and rec["masks"] == [
        {"path": "../secret.png", "frame_index": None, "sha256": None}
    ]
    assert region_record({"operation": "generate", "prompt": "x"}, folder) is None


def test_previz_inpaint_then_export_and_verify_name_the_mask(tmp_path: Path) -> None:
    """End to end through the CLI: inpaint a box keyed at two frames on the animatic, export,
    and the sidecar, `previz verify` and `previz verify --json` name the edit and its masks."""
    import contextlib
    import io

    from previz.cli.main import run

    def call(*argv: object) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run([str(a) for a in argv])
        return code, out.getvalue(), err.getvalue()

    d = tmp_path / "Ferry.previz"
    for argv in (
        ("new", d, "--size", "160x96"),
        ("shot", "add", d, "--prompt", "WIDE, dusk, a red car on a pier", "--duration", "12f"),
        ("generate", d, "--all", "--engine", "animatic", "--seed", "5"),
        ("inpaint", d, "0010", "--box", "10,20,40,30@0", "--box", "100,40,40,30@11")
        + ("--prompt", "WIDE, dusk, a blue car on a pier", "--feather", "4"),
    ):
        code, _, err = call(*argv)
        assert code == 0, err
    out = tmp_path / "reel.mp4"
    code, _, err = call("export", d, "--out", out, "--json")
    assert code == 0, err

    data = json.loads(out.with_name(out.name + ".previz.json").read_text(encoding="utf-8"))
    [shot] = data["shots"]
    r = shot["region"]
    assert shot["take"] == 2 and r["operation"] == "inpaint" and r["feather"] == 4
    assert [m["frame_index"] for m in r["masks"]] == [0, 11]
    for m in r["masks"]:
        assert m["path"].startswith("media/masks/") and m["path"].endswith(".png")
        assert m["sha256"] == sha(d / m["path"])
    assert [b["box"] for b in r["boxes"]] == [[10, 20, 40, 30], [100, 40, 40, 30]]

    if importlib_util_find("c2pa"):
        code, text, _ = call("verify", out)
        assert code == 0 and "compositeWithTrainedAlgorithmicMedia" in text
        assert "edited: shot 0010 take 2: inpaint" in text and r["masks"][1]["path"] in text
        code, text, _ = call("verify", out, "--json")
        [brief] = json.loads(text)["recipes"]["shots"]
        assert brief["operation"] == "inpaint"
        assert [(m["path"], m["sha256"]) for m in brief["region"]["masks"]] == [
            (m["path"], m["sha256"]) for m in r["masks"]
        ]
        assert [b["box"] for b in brief["region"]["boxes"]] == ["10,20,40,30", "100,40,40,30"]


def importlib_util_find(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
