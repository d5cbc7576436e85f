"""Content credentials (C2PA): sign every exported reel and clip, read them back, and the local
certificate chain used when the user configures none.

Each signed file carries one manifest with
- a ``c2pa.actions`` assertion: action ``c2pa.created`` with the IPTC digital source type
  ``trainedAlgorithmicMedia`` (the file is AI-generated previz) and Previz as software agent;
- an ``org.previz.recipes`` assertion: the models used and, per shot, its take's recipe in brief
  (sequence, shot, take, engine, model, operation, seed, prompt); the full recipes stay in the
  ``.previz.json`` sidecar (see :mod:`previz.export.provenance`, whose helpers are reused).
  A shot whose take is a region edit (inpaint, cinemagraph) also has ``region``: the operation,
  its mask files (project-relative path, keyframe, SHA-256), feather, and a cinemagraph's still
  and loop; and ``c2pa.actions`` gains a ``c2pa.edited`` action for it (digital source type
  ``compositeWithTrainedAlgorithmicMedia``) whose ``parameters.description`` says the same in
  one line.

Signing identity: the certificate (PEM, the signing certificate first, then any intermediates)
and private key the user configures, or else a per-install chain made on first use in
``<config dir>/content-credentials/``: a local CA and a signing certificate it issued (C2PA
refuses a bare self-signed certificate). Key files are mode 0600. Nothing is fetched: no
timestamp authority, no OCSP, no remote manifests.

Signing is atomic like every export write: the signed copy is written beside the target under a
temporary name and renamed over it, so a crash leaves the unsigned file or the signed one.

``c2pa`` (the ``c2pa-python`` wheel, with its native library) may be missing on a platform:
then :func:`sign_outputs` signs nothing, logs one warning per process and says so in its result,
and :func:`verify` raises :class:`CredentialsUnavailable`.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from previz.core.errors import PrevizError

from .plan import ReelPlan, ShotItem
from .provenance import models_used, previz_version, region_record, region_summary

log = logging.getLogger(__name__)

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
RECIPES_LABEL = "org.previz.recipes"
UNAVAILABLE = "content credentials are unavailable on this platform"
LOCAL_DIR_NAME = "content-credentials"
LOCAL_SIGNER_NAME = "Previz local signer"
LOCAL_CA_NAME = "Previz local CA"

# Failures that say nothing about the file itself: the signer is simply not in a trust list.
_TRUST_CODES = {"signingCredential.untrusted"}
# No network at run time: no remote manifests, no OCSP, no hosts at all; no thumbnails.
_NO_NETWORK: dict[str, Any] = {
    "core": {"allowed_network_hosts": []},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "builder": {"thumbnail": {"enabled": False}},
}

_warned_unavailable = False


class CredentialsError(PrevizError):
    """Signing or reading content credentials failed (the message says what to do)."""


class CredentialsUnavailable(CredentialsError):
    """The c2pa wheel (or its native library) is missing on this platform."""

    def __init__(self, message: str = UNAVAILABLE) -> None:
        super().__init__(message)


def _c2pa() -> Any:
    try:
        import c2pa
    except (ImportError, OSError) as exc:  # no wheel, or its native library fails to load
        raise CredentialsUnavailable(
            f"{UNAVAILABLE} (the c2pa-python package cannot be loaded: {exc})"
        ) from None
    return c2pa


def available() -> bool:
    try:
        _c2pa()
    except CredentialsUnavailable:
        return False
    return True


# --- what a manifest says -----------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialInfo:
    """What one exported file's manifest says about it."""

    title: str  # the file name
    kind: Literal["reel", "clip"]
    project: str
    version: str
    models: tuple[str, ...]
    shots: tuple[dict[str, Any], ...] = ()  # brief recipes, one per shot with a take


def brief_recipe(item: ShotItem, sequence: str, folder: Path | None = None) -> dict[str, Any]:
    r = item.recipe or {}
    brief = {
        "sequence": sequence,
        "shot": item.label,
        "code": item.code,
        "take": item.take_number,
        "engine": r.get("engine"),
        "model": r.get("model") or r.get("model_id") or None,
        "operation": r.get("operation"),
        "seed": r.get("seed"),
        "prompt": r.get("expanded_prompt") or r.get("prompt") or item.prompt,
    }
    region = region_record(r, folder)
    if region is not None:
        if region.get("boxes"):  # as text: the manifest's CBOR turns a list of bytes into bytes
            region["boxes"] = [
                {**b, "box": ",".join(str(v) for v in b.get("box") or ())}
                for b in region["boxes"]
                if isinstance(b, dict)
            ]
        brief["operation"] = region["operation"]
        brief["region"] = region
    return brief


def reel_info(plan: ReelPlan, path: Path) -> CredentialInfo:
    shots = tuple(
        brief_recipe(item, seq.name, plan.folder)
        for seq in plan.sequences
        for item in seq.items
        if item.has_take
    )
    return CredentialInfo(
        title=Path(path).name,
        kind="reel",
        project=plan.project_name,
        version=plan.version,
        models=tuple(models_used(plan.items())),
        shots=shots,
    )


def clip_info(plan: ReelPlan, item: ShotItem, sequence: str, path: Path) -> CredentialInfo:
    return CredentialInfo(
        title=Path(path).name,
        kind="clip",
        project=plan.project_name,
        version=plan.version,
        models=tuple(models_used([item])),
        shots=(brief_recipe(item, sequence, plan.folder),),
    )


def manifest_definition(info: CredentialInfo) -> dict[str, Any]:
    agent = {"name": "Previz", "version": previz_version()}
    actions: list[dict[str, Any]] = [
        {
            "action": "c2pa.created",
            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
            "softwareAgent": agent,
            "description": "AI-generated previz",
        }
    ]
    for shot in info.shots:  # a region edit is an AI edit of an earlier take or a still
        region = shot.get("region")
        if region:
            what = f"shot {shot.get('shot')} take {shot.get('take')}: {region_summary(region)}"
            actions.append(
                {
                    "action": "c2pa.edited",
                    "digitalSourceType": COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
                    "softwareAgent": agent,
                    "parameters": {"description": what},
                }
            )
    return {
        "claim_generator_info": [agent],
        "title": info.title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {
                "label": RECIPES_LABEL,
                "data": {
                    "ai_generated": True,
                    "kind": info.kind,
                    "project": info.project,
                    "version": info.version,
                    "models": list(info.models),
                    "shots": [dict(s) for s in info.shots],
                },
            },
        ],
    }


# --- signing identity ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningConfig:
    """Where the signing identity comes from: the user's certificate and key, or (both empty)
    the per-install chain under ``local_dir``, made on first use."""

    cert: Path | None = None
    key: Path | None = None
    local_dir: Path | None = None

    @property
    def user_configured(self) -> bool:
        return self.cert is not None or self.key is not None


@dataclass(frozen=True)
class Identity:
    chain_pem: bytes  # signing certificate first, then intermediates / CA
    key_pem: bytes
    alg: str  # es256 | es384 | es512 | ps256 | ed25519
    name: str  # the signing certificate's common name
    local: bool


def check_identity(cert: Path, key: Path, *, local: bool = False) -> Identity:
    """Load and check a certificate chain and its key; a clear error when they do not fit."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    cert, key = Path(cert), Path(key)
    for p, what in ((cert, "certificate"), (key, "private key")):
        if not p.is_file():
            raise CredentialsError(
                f"content credentials {what} file {p} does not exist; fix it in Settings > "
                "Content credentials (or clear both fields to use the local certificate)"
            )
    try:
        chain_pem = cert.read_bytes()
        certs = x509.load_pem_x509_certificates(chain_pem)
    except (OSError, ValueError) as exc:
        raise CredentialsError(
            f"{cert} is not a PEM certificate file ({exc}); give the signing certificate in PEM"
        ) from None
    try:
        key_pem = key.read_bytes()
        private = serialization.load_pem_private_key(key_pem, password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CredentialsError(
            f"{key} is not an unencrypted PEM private key ({exc}); give the key of the "
            "signing certificate, without a passphrase"
        ) from None
    leaf = certs[0]
    if leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise CredentialsError(
            f"the private key {key} does not belong to the certificate {cert}; give the "
            "matching pair"
        )
    if isinstance(private, ec.EllipticCurvePrivateKey):
        alg = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(
            private.curve.name, ""
        )
    elif isinstance(private, rsa.RSAPrivateKey):
        alg = "ps256"
    elif isinstance(private, ed25519.Ed25519PrivateKey):
        alg = "ed25519"
    else:
        alg = ""
    if not alg:
        raise CredentialsError(
            f"the key in {key} is not one C2PA signs with; use EC P-256/P-384/P-521, RSA or Ed25519"
        )
    cn = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    name = str(cn[0].value) if cn else leaf.subject.rfc4514_string()
    return Identity(chain_pem, key_pem, alg, name, local)


def _write_private(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, mode)  # the umask may have narrowed it; never widen beyond ``mode``


def create_chain(
    folder: Path,
    *,
    signer_name: str = LOCAL_SIGNER_NAME,
    ca_name: str = LOCAL_CA_NAME,
    organization: str = "Previz",
) -> tuple[Path, Path]:
    """Write a CA and a signing certificate it issued (ES256 / P-256) into ``folder``:
    ``ca.pem``, ``ca.key``, ``signer.pem`` (signer then CA) and ``signer.key``. Returns the
    signer's (certificate chain, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    now = _dt.datetime.now(_dt.UTC) - _dt.timedelta(hours=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name(ca_name))
        .issuer_name(name(ca_name))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _dt.timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=True, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name(signer_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _dt.timedelta(days=365 * 10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]
            ),  # emailProtection, documentSigning
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    def pem(c: x509.Certificate) -> bytes:
        return c.public_bytes(serialization.Encoding.PEM)

    def pkcs8(k: ec.EllipticCurvePrivateKey) -> bytes:
        return k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_private(folder / "ca.key", pkcs8(ca_key), 0o600)
    _write_private(folder / "ca.pem", pem(ca), 0o644)
    _write_private(folder / "signer.key", pkcs8(key), 0o600)
    _write_private(folder / "signer.pem", pem(leaf) + pem(ca), 0o644)
    return folder / "signer.pem", folder / "signer.key"


def local_identity(local_dir: Path) -> Identity:
    """The per-install chain in ``local_dir``, made on first use.

    The chain is written into a fresh folder beside it that is renamed into place whole, so two
    processes making it at once end with one consistent chain (the loser drops its copy)."""
    local_dir = Path(local_dir)
    cert, key = local_dir / "signer.pem", local_dir / "signer.key"
    if not (cert.is_file() and key.is_file()):
        local_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = local_dir.with_name(f".{local_dir.name}.part-{secrets.token_hex(4)}")
        tmp.mkdir(mode=0o700)
        try:
            create_chain(tmp)
            try:
                os.rename(tmp, local_dir)
                log.info("made the local content-credentials certificate chain in %s", local_dir)
            except OSError:
                if not (cert.is_file() and key.is_file()):
                    raise CredentialsError(
                        f"cannot create the local signing certificate in {local_dir}; remove "
                        "that folder (Previz makes a new one) or configure a certificate in "
                        "Settings > Content credentials"
                    ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return check_identity(cert, key, local=True)


def resolve_identity(config: SigningConfig) -> Identity:
    if config.user_configured:
        if config.cert is None or config.key is None:
            missing = "key" if config.key is None else "certificate"
            raise CredentialsError(
                f"content credentials: a certificate and a key go together but the {missing} "
                "is not set; set both in Settings > Content credentials, or neither"
            )
        return check_identity(config.cert, config.key)
    if config.local_dir is None:
        raise CredentialsError("content credentials: no certificate and no local folder given")
    return local_identity(config.local_dir)


# --- signing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignResult:
    path: Path
    signer: str
    local: bool
    seconds: float


def _mime(path: Path) -> str:
    # Previz writes MOV (ProRes) or MP4 (everything else, whatever the name ends with); c2pa
    # also checks the bytes themselves.
    return "video/quicktime" if Path(path).suffix.lower() == ".mov" else "video/mp4"


def _context(c2pa: Any, extra: dict[str, Any] | None = None) -> Any:
    settings = c2pa.Settings.from_dict(_NO_NETWORK)
    if extra:
        settings.update(json.dumps(extra))
    return c2pa.Context(settings=settings)


def sign_export(path: Path | str, info: CredentialInfo, identity: Identity) -> SignResult:
    """Embed a signed manifest in ``path`` (an MP4 or MOV), atomically."""
    from .files import TempTarget

    c2pa = _c2pa()
    path = Path(path)
    mime = _mime(path)
    t0 = time.perf_counter()
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(identity.alg, identity.chain_pem, identity.key_pem, None)
        )
        with (
            signer,
            c2pa.Builder(manifest_definition(info), context=_context(c2pa)) as builder,
            TempTarget(path) as tmp,
        ):
            with open(path, "rb") as src, open(tmp.path, "w+b") as dst:
                builder.sign(signer, mime, src, dst)
                dst.flush()
                os.fsync(dst.fileno())
            tmp.commit()
    except c2pa.C2paError as exc:
        raise CredentialsError(
            f"could not sign {path.name} with {identity.name!r}: {_first_line(exc)}; check the "
            "certificate in Settings > Content credentials (it must not be a CA, and needs "
            "digitalSignature and emailProtection or documentSigning)"
        ) from None
    except OSError as exc:
        raise CredentialsError(f"could not sign {path}: {exc.strerror or exc}") from None
    return SignResult(path, identity.name, identity.local, time.perf_counter() - t0)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class CredentialsReport:
    """What :func:`sign_outputs` did, as it goes into the export result."""

    signed: list[str] = field(default_factory=list)
    signer: str | None = None
    local_chain: bool = False
    seconds: float = 0.0
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "signed": list(self.signed),
            "signer": self.signer,
            "local_chain": self.local_chain,
            "seconds": round(self.seconds, 3),
            "warning": self.warning,
        }


def preflight(config: SigningConfig) -> Identity | None:
    """The identity exports will be signed with, checked before anything is rendered (a broken
    certificate is then said before a long render, not after it); None without c2pa here."""
    if not available():
        return None
    return resolve_identity(config)


def sign_outputs(
    plan: ReelPlan,
    config: SigningConfig,
    reel: Path | str | None = None,
    media: Iterable[Path | str] = (),
    *,
    identity: Identity | None = None,
) -> CredentialsReport:
    """Sign the reel (with every shot's recipe) and each take media file (with its own shot's
    recipe) with ``identity`` (default: the one ``config`` names). Without c2pa on this platform
    nothing is signed and the report says so."""
    global _warned_unavailable
    report = CredentialsReport()
    targets: list[tuple[Path, CredentialInfo]] = []
    if reel is not None:
        targets.append((Path(reel), reel_info(plan, Path(reel))))
    by_name = _clips_by_name(plan)
    seen: set[Path] = {p for p, _ in targets}
    for m in media:
        p = Path(m)
        if p in seen:
            continue
        seen.add(p)
        hit = by_name.get(p.stem)
        info = (
            clip_info(plan, hit[1], hit[0], p)
            if hit
            else CredentialInfo(p.name, "clip", plan.project_name, plan.version, ())
        )
        targets.append((p, info))
    if not targets:
        return report
    try:
        _c2pa()
    except CredentialsUnavailable as exc:
        report.warning = f"{UNAVAILABLE}: exported files carry no content credentials"
        if not _warned_unavailable:
            _warned_unavailable = True
            log.warning("%s; exports are not signed", exc)
        return report
    try:
        identity = identity or resolve_identity(config)
    except CredentialsError as exc:
        written = ", ".join(p.name for p, _ in targets[:3]) + (", …" if len(targets) > 3 else "")
        raise CredentialsError(f"{exc} ({written} written without content credentials)") from None
    report.signer, report.local_chain = identity.name, identity.local
    for path, info in targets:
        res = sign_export(path, info, identity)
        report.signed.append(str(path))
        report.seconds += res.seconds
    return report


def _clips_by_name(plan: ReelPlan) -> dict[str, tuple[str, ShotItem]]:
    try:
        from .interchange import clip_name
    except ImportError:  # pragma: no cover - the timeline writer renamed it
        return {}
    out: dict[str, tuple[str, ShotItem]] = {}
    for seq in plan.sequences:
        for item in seq.items:
            if item.has_take:
                out.setdefault(clip_name(item), (seq.name, item))
    return out


# --- reading back -------------------------------------------------------------------------------


Status = Literal["intact", "no_manifest", "tampered"]


@dataclass(frozen=True)
class Verification:
    path: Path
    status: Status
    signer: str | None = None
    issuer: str | None = None
    trusted: bool = False
    local_chain: bool = False  # signed by this install's local certificate
    failures: tuple[tuple[str, str], ...] = ()  # (code, explanation)
    manifest: dict[str, Any] | None = None  # the active manifest as c2pa reports it

    @property
    def ok(self) -> bool:
        return self.status == "intact"

    @property
    def trust(self) -> str:
        return "trusted" if self.trusted else "not in a trust list"

    def assertion(self, label: str) -> Any:
        for a in (self.manifest or {}).get("assertions", []):
            if a.get("label") == label or str(a.get("label", "")).startswith(label + ".v"):
                return a.get("data")
        return None

    @property
    def digital_source_types(self) -> list[str]:
        actions = self.assertion("c2pa.actions") or {}
        return [
            a["digitalSourceType"] for a in actions.get("actions", []) if "digitalSourceType" in a
        ]

    @property
    def models(self) -> list[str]:
        return list((self.assertion(RECIPES_LABEL) or {}).get("models", []))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "status": self.status,
            "signed_by": self.signer,
            "issuer": self.issuer,
            "trusted": self.trusted,
            "trust": self.trust if self.signer else None,
            "local_chain": self.local_chain,
            "failures": [{"code": c, "explanation": e} for c, e in self.failures],
            "digital_source_types": self.digital_source_types,
            "models": self.models,
            "recipes": self.assertion(RECIPES_LABEL),
            "assertions": [a.get("label") for a in (self.manifest or {}).get("assertions", [])],
        }


def verify(
    path: Path | str,
    *,
    trust_anchors: Path | None = None,
    local_dir: Path | None = None,
) -> Verification:
    """Read back and check the content credentials of ``path``.

    ``trust_anchors`` is a PEM file of CA certificates to trust; ``local_dir`` is where this
    install's local chain lives (only read, never made here) so a file it signed is named so."""
    c2pa = _c2pa()
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise CredentialsError(f"{path} {what}; give the path of an exported reel or clip")
    extra = None
    if trust_anchors is not None:
        try:
            anchors = Path(trust_anchors).read_text(encoding="ascii")
        except (OSError, ValueError) as exc:
            raise CredentialsError(f"cannot read trust anchors {trust_anchors}: {exc}") from None
        extra = {"trust": {"user_anchors": anchors}}
    try:
        reader = c2pa.Reader.try_create(str(path), context=_context(c2pa, extra))
    except c2pa.C2paError as exc:
        name = type(exc).__name__.lstrip("_").removeprefix("C2pa") or "C2paError"
        if "NotSupported" in name or "not supported" in str(exc).lower():
            raise CredentialsError(
                f"{path.name} is not a file content credentials can be read from (MP4 or MOV)"
            ) from None
        # An asset whose manifest is there but broken (JUMBF damaged) reads as tampered.
        return Verification(path, "tampered", failures=((name, _first_line(exc)),))
    if reader is None:
        return Verification(path, "no_manifest")
    with reader:
        manifest = reader.get_active_manifest() or {}
        state = reader.get_validation_state() or ""
        results = reader.get_validation_results() or {}
    sig = manifest.get("signature_info") or {}
    failures = tuple(
        (f.get("code", ""), f.get("explanation", ""))
        for f in (results.get("activeManifest") or {}).get("failure", [])
        if f.get("code") not in _TRUST_CODES
    )
    status: Status = "tampered" if failures or state.lower() == "invalid" else "intact"
    if status == "tampered" and not failures:
        failures = (("validation", f"validation state {state}"),)
    return Verification(
        path,
        status,
        signer=sig.get("common_name") or sig.get("issuer"),
        issuer=sig.get("issuer"),
        trusted=state.lower() == "trusted",
        local_chain=_is_local(sig, local_dir),
        failures=failures,
        manifest=manifest,
    )


def _is_local(sig: dict[str, Any], local_dir: Path | None) -> bool:
    serial = sig.get("cert_serial_number")
    cert = Path(local_dir) / "signer.pem" if local_dir is not None else None
    if not serial or cert is None or not cert.is_file():
        return False
    try:
        from cryptography import x509

        leaf = x509.load_pem_x509_certificates(cert.read_bytes())[0]
    except (OSError, ValueError):
        return False
    return str(leaf.serial_number) == str(serial)
