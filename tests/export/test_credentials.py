"""Content credentials (C2PA): every exported reel carries a signed manifest that says it is
AI-generated previz, names the models and recipes, and reads back as intact, tampered or absent."""

from __future__ import annotations

import logging
import stat
import struct
import sys
from pathlib import Path

import pytest
from cryptography import x509

from previz.export import credentials as cr
from previz.export.reel import export_reel

from .conftest import bare_options, read_frames, reel, shot

pytest.importorskip("c2pa")

MODELS = ("Lightricks/LTX-Video-0.9.7-distilled", "animatic")


def _plan(clips):
    return reel(
        [
            shot(
                "1/0010",
                clips(color=0, frames=12),
                12,
                recipe={"engine": "diffusers", "model": MODELS[0], "seed": 41, "prompt": "WIDE"},
            ),
            shot(
                "1/0020",
                clips(color=1, frames=12),
                12,
                recipe={"engine": "animatic", "seed": 7, "prompt": "CU, a captain, static"},
            ),
        ]
    )


@pytest.fixture(scope="module")
def unsigned(clips, tmp_path_factory) -> tuple[object, Path]:
    plan = _plan(clips)
    out = tmp_path_factory.mktemp("reel") / "reel.mp4"
    export_reel(plan, bare_options(), out)
    return plan, out


@pytest.fixture
def signed(unsigned, tmp_path: Path) -> tuple[Path, Path]:
    plan, src = unsigned
    out = tmp_path / "reel.mp4"
    out.write_bytes(src.read_bytes())
    local = tmp_path / "config" / "content-credentials"
    report = cr.sign_outputs(plan, cr.SigningConfig(local_dir=local), out)
    assert report.signed == [str(out)] and report.warning is None
    return out, local


def _top_boxes(data: bytes) -> dict[str, tuple[int, int]]:
    """Top-level MP4 boxes: type -> (offset, size)."""
    boxes, pos = {}, 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        boxes.setdefault(kind.decode("latin-1"), (pos, size))
        pos += size
    return boxes


def test_signed_reel_reads_back_intact_from_the_local_chain(signed, unsigned) -> None:
    out, local = signed
    v = cr.verify(out, local_dir=local)
    assert v.status == "intact" and v.ok
    assert v.signer == cr.LOCAL_SIGNER_NAME and v.local_chain
    assert not v.trusted and v.trust == "not in a trust list"
    assert v.digital_source_types == [cr.TRAINED_ALGORITHMIC_MEDIA]
    assert v.models == list(MODELS)
    recipes = v.assertion(cr.RECIPES_LABEL)
    assert recipes["ai_generated"] is True and recipes["kind"] == "reel"
    assert [(s["shot"], s["take"], s["seed"]) for s in recipes["shots"]] == [
        ("1/0010", 1, 41),
        ("1/0020", 1, 7),
    ]
    assert recipes["shots"][1]["prompt"] == "CU, a captain, static"
    # the signed file still plays: same frames as before signing
    assert len(read_frames(out)) == len(read_frames(unsigned[1])) == 24


def test_local_chain_is_a_ca_and_a_signing_certificate_with_private_keys(signed) -> None:
    _, local = signed
    for key in ("ca.key", "signer.key"):
        assert stat.S_IMODE((local / key).stat().st_mode) == 0o600
    leaf, ca = x509.load_pem_x509_certificates((local / "signer.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert leaf.issuer == ca.subject
    # made once: the next export signs with the same certificate
    before = (local / "signer.pem").read_bytes()
    assert cr.local_identity(local).chain_pem == before


def test_flipped_media_bytes_read_as_tampered(signed) -> None:
    out, local = signed
    data = bytearray(out.read_bytes())
    boxes = _top_boxes(bytes(data))
    mdat_at, mdat_size = boxes["mdat"]
    uuid_at, uuid_size = boxes["uuid"]  # the embedded manifest
    manifest = bytes(data[uuid_at : uuid_at + uuid_size])
    mid = mdat_at + mdat_size // 2
    for i in range(mid, mid + 16):
        data[i] ^= 0xFF
    assert bytes(data[uuid_at : uuid_at + uuid_size]) == manifest
    out.write_bytes(bytes(data))
    v = cr.verify(out, local_dir=local)
    assert v.status == "tampered" and not v.ok
    assert any("hash" in code.lower() for code, _ in v.failures)


def test_unsigned_mp4_has_no_manifest(unsigned) -> None:
    v = cr.verify(unsigned[1])
    assert v.status == "no_manifest" and v.signer is None


def test_user_certificate_signs_and_its_ca_makes_it_trusted(unsigned, tmp_path: Path) -> None:
    plan, src = unsigned
    cert, key = cr.create_chain(
        tmp_path / "studio", signer_name="Northlight Studio Previz", ca_name="Northlight Root CA"
    )
    out = tmp_path / "reel.mp4"
    out.write_bytes(src.read_bytes())
    report = cr.sign_outputs(plan, cr.SigningConfig(cert, key, tmp_path / "local"), out)
    assert report.signer == "Northlight Studio Previz" and not report.local_chain
    assert not (tmp_path / "local").exists()  # no local chain made when the user gave one
    v = cr.verify(out)
    assert v.status == "intact" and v.signer == "Northlight Studio Previz" and not v.trusted
    trusted = cr.verify(out, trust_anchors=tmp_path / "studio" / "ca.pem")
    assert trusted.status == "intact" and trusted.trusted and trusted.trust == "trusted"


def test_mismatched_or_half_configured_identity_is_refused(tmp_path: Path) -> None:
    cert_a, _ = cr.create_chain(tmp_path / "a")
    _, key_b = cr.create_chain(tmp_path / "b")
    with pytest.raises(cr.CredentialsError, match="does not belong"):
        cr.resolve_identity(cr.SigningConfig(cert_a, key_b))
    with pytest.raises(cr.CredentialsError, match="key is not set"):
        cr.resolve_identity(cr.SigningConfig(cert_a, None))
    with pytest.raises(cr.CredentialsError, match="does not exist"):
        cr.resolve_identity(cr.SigningConfig(tmp_path / "nope.pem", key_b))


def test_failed_signing_leaves_the_export_untouched(unsigned, tmp_path: Path, monkeypatch) -> None:
    import c2pa

    plan, src = unsigned
    out = tmp_path / "reel.mp4"
    out.write_bytes(src.read_bytes())

    def half_sign(self, signer, fmt, source, dest):  # writes part of a file, then fails
        dest.write(source.read(1000))
        raise c2pa.C2paError("disk hiccup")

    monkeypatch.setattr(c2pa.Builder, "sign", half_sign)
    with pytest.raises(cr.CredentialsError, match="could not sign reel.mp4"):
        cr.sign_outputs(plan, cr.SigningConfig(local_dir=tmp_path / "local"), out)
    assert out.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local", "reel.mp4"]


def test_without_c2pa_export_still_works_and_says_so_once(
    unsigned, tmp_path: Path, monkeypatch, caplog
) -> None:
    plan, src = unsigned
    out = tmp_path / "reel.mp4"
    out.write_bytes(src.read_bytes())
    monkeypatch.setitem(sys.modules, "c2pa", None)  # import c2pa -> ImportError
    monkeypatch.setattr(cr, "_warned_unavailable", False)
    caplog.set_level(logging.WARNING, logger=cr.__name__)
    for _ in range(2):
        report = cr.sign_outputs(plan, cr.SigningConfig(local_dir=tmp_path / "local"), out)
        assert report.signed == [] and cr.UNAVAILABLE in (report.warning or "")
    assert sum(cr.UNAVAILABLE in r.getMessage() for r in caplog.records) == 1
    assert out.read_bytes() == src.read_bytes()
    with pytest.raises(cr.CredentialsUnavailable, match="unavailable on this platform"):
        cr.verify(out)


def test_prores_mov_reel_is_signed_too(clips, tmp_path: Path) -> None:
    plan = _plan(clips)
    out = tmp_path / "reel.mov"
    export_reel(plan, bare_options(codec="prores"), out)
    report = cr.sign_outputs(plan, cr.SigningConfig(local_dir=tmp_path / "local"), out)
    assert report.signed == [str(out)]
    v = cr.verify(out)
    assert v.status == "intact" and v.models == list(MODELS)
    assert len(read_frames(out)) == 24
