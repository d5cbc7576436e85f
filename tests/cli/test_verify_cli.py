"""`previz export` signs the reel and every take media file (C2PA); `previz verify` reads them
back: intact and signed by whom, tampered, no manifest, or unavailable on this platform."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import struct
import sys
from pathlib import Path

import pytest

from previz.cli.main import run

pytest.importorskip("c2pa")

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def call(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("proj") / "Ferry.previz"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREVIZ_CONFIG_DIR", str(tmp_path_factory.mktemp("cfg")))
        for argv in (
            ("new", d, "--size", "160x96"),
            ("shot", "add", d, "--prompt", "WIDE, dusk, a pier", "--duration", "12f"),
            ("shot", "add", d, "--prompt", "CU, a captain, static", "--duration", "12f"),
            ("generate", d, "--all", "--engine", "animatic", "--seed", "5"),
        ):
            code, _, err = call(*argv)
            assert code == 0, err
    return d


def export(project: Path, out: Path) -> dict:
    code, stdout, err = call(
        "export", project, "--out", out / "reel.mp4", "--otio", out / "cut.otio", "--json"
    )
    assert code == 0, err
    return json.loads(stdout)


def verify_json(path: Path, *extra: object) -> tuple[int, dict]:
    code, out, _ = call("verify", path, "--json", *extra)
    return code, json.loads(out)


def test_export_signs_reel_and_clips_and_verify_says_intact(project: Path, tmp_path: Path) -> None:
    done = export(project, tmp_path)
    reel = tmp_path / "reel.mp4"
    media = [Path(m) for m in done["otio"]["media"]]
    cred = done["credentials"]
    assert cred["signed"] == [str(reel), *map(str, media)]
    assert cred["signer"] == "Previz local signer" and cred["local_chain"] is True

    code, out, err = call("verify", reel)
    assert code == 0, err
    assert out.startswith("reel.mp4: intact, signed by Previz local signer (not in a trust list")
    assert "trainedAlgorithmicMedia" in out and "models: animatic" in out

    code, v = verify_json(reel)
    assert code == 0 and v["status"] == "intact" and v["signed_by"] == "Previz local signer"
    assert v["trust"] == "not in a trust list" and v["local_chain"] is True
    assert v["digital_source_types"] == [AI] and v["models"] == ["animatic"]
    assert [(s["code"], s["take"], s["engine"]) for s in v["recipes"]["shots"]] == [
        ("0010", 1, "animatic"),
        ("0020", 1, "animatic"),
    ]
    assert v["recipes"]["shots"][1]["seed"] is not None

    # each take media file carries its own shot's recipe
    code, clip = verify_json(media[1])
    assert code == 0 and clip["status"] == "intact" and clip["recipes"]["kind"] == "clip"
    assert [s["code"] for s in clip["recipes"]["shots"]] == ["0020"]
    assert clip["digital_source_types"] == [AI]

    # the per-install chain: made once in the config folder, keys private
    local = Path(os.environ["PREVIZ_CONFIG_DIR"]) / "content-credentials"
    for key in ("ca.key", "signer.key"):
        assert stat.S_IMODE((local / key).stat().st_mode) == 0o600


def _flip_media_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    pos = 0
    while pos + 8 <= len(data):  # walk the top-level boxes to the media data
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        if kind == b"mdat":
            mid = pos + size // 2
            data[mid : mid + 8] = bytes(b ^ 0xFF for b in data[mid : mid + 8])
            path.write_bytes(bytes(data))
            return
        pos += size or len(data)
    raise AssertionError("no mdat box")


def test_flipped_bytes_read_as_tampered(project: Path, tmp_path: Path) -> None:
    export(project, tmp_path)
    reel = tmp_path / "reel.mp4"
    _flip_media_bytes(reel)
    code, out, _ = call("verify", reel)
    assert code == 1
    assert out.startswith("reel.mp4: TAMPERED")
    assert "hash mismatch" in out
    code, v = verify_json(reel)
    assert code == 1 and v["status"] == "tampered" and v["failures"]


def test_unsigned_mp4_has_no_manifest(tmp_path: Path) -> None:
    from tests.export.conftest import make_clip

    clip = make_clip(tmp_path / "camera.mp4", 6)
    code, out, _ = call("verify", clip)
    assert code == 1 and out.startswith("camera.mp4: no manifest")
    code, v = verify_json(clip)
    assert code == 1 and v["status"] == "no_manifest" and v["signed_by"] is None


def test_configured_certificate_signs_and_trust_anchor_makes_it_trusted(
    project: Path, tmp_path: Path
) -> None:
    from previz.export.credentials import create_chain
    from previz.services.settings import AppSettings

    cert, key = create_chain(
        tmp_path / "studio", signer_name="Harbor Lights Previz", ca_name="Harbor Lights CA"
    )
    s = AppSettings.load()
    s.content_credentials_cert, s.content_credentials_key = str(cert), str(key)
    s.save()
    out = tmp_path / "out"
    out.mkdir()
    assert export(project, out)["credentials"]["signer"] == "Harbor Lights Previz"
    assert not (Path(os.environ["PREVIZ_CONFIG_DIR"]) / "content-credentials").exists()

    code, text, _ = call("verify", out / "reel.mp4")
    assert code == 0 and "intact, signed by Harbor Lights Previz (not in a trust list)" in text
    code, text, _ = call(
        "verify", out / "cut_media" / "0010_T1.mp4", "--trust", tmp_path / "studio" / "ca.pem"
    )
    assert code == 0 and "intact, signed by Harbor Lights Previz (trusted)" in text


def test_a_key_that_does_not_fit_the_certificate_fails_the_export_in_one_line(
    project: Path, tmp_path: Path
) -> None:
    from previz.export.credentials import create_chain
    from previz.services.settings import AppSettings

    cert, _ = create_chain(tmp_path / "a")
    _, key = create_chain(tmp_path / "b")
    s = AppSettings.load()
    s.content_credentials_cert, s.content_credentials_key = str(cert), str(key)
    s.save()
    code, _, err = call("export", project, "--out", tmp_path / "reel.mp4")
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("previz: the private key ") and "does not belong to the cert" in err
    assert not (tmp_path / "reel.mp4").exists()  # said before rendering, not after


def test_without_c2pa_export_works_and_verify_says_unavailable(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from previz.export import credentials

    monkeypatch.setitem(sys.modules, "c2pa", None)  # as if no wheel exists for this platform
    monkeypatch.setattr(credentials, "_warned_unavailable", False)
    done = export(project, tmp_path)
    assert (tmp_path / "reel.mp4").stat().st_size > 0
    assert done["credentials"]["signed"] == []
    assert "content credentials are unavailable on this platform" in done["credentials"]["warning"]
    code, out, err = call("verify", tmp_path / "reel.mp4")
    assert code == 1 and out == ""
    assert err == (
        "previz: content credentials are unavailable on this platform; install a c2pa-python "
        "wheel built for it to verify files\n"
    )


def test_verify_a_missing_file_is_one_line(tmp_path: Path) -> None:
    code, out, err = call("verify", tmp_path / "nope.mp4")
    assert code == 1 and out == ""
    assert err.startswith("previz: ") and "does not exist" in err and len(err.splitlines()) == 1


def test_export_says_who_signed_and_a_broken_certificate_stops_it_before_rendering(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    monkeypatch.setenv("PREVIZ_CONFIG_DIR", str(cfg))
    code, _, err = call("export", project, "--out", tmp_path / "reel.mp4")
    assert code == 0, err
    assert "content credentials: 1 file signed by Previz local signer" in err

    # a certificate set in Settings that has since gone: one line, and no reel rendered
    (cfg / "settings.json").write_text(
        json.dumps(
            {
                "content_credentials_cert": str(tmp_path / "gone.pem"),
                "content_credentials_key": str(tmp_path / "gone.key"),
            }
        )
    )
    code, _, err = call("export", project, "--out", tmp_path / "second.mp4")
    assert code == 1 and err.count("\n") == 1 and "does not exist" in err, err
    assert not (tmp_path / "second.mp4").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".second")]
