"""``previz verify FILE``: read back the content credentials (C2PA) of an exported reel or clip.

Prints one verdict on stdout: intact and signed by NAME (trusted, or not in a trust list; exit
0), no manifest (exit 1) or tampered with what failed (exit 1). Where the c2pa wheel is missing
for the platform it says content credentials are unavailable there (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from previz.cli.output import emit_json


def cmd_verify(a: argparse.Namespace) -> int:
    from previz.export.credentials import UNAVAILABLE, CredentialsUnavailable, verify
    from previz.services.settings import credentials_dir

    try:
        v = verify(
            Path(a.file),
            trust_anchors=Path(a.trust) if a.trust else None,
            local_dir=credentials_dir(),
        )
    except CredentialsUnavailable:
        if a.json:
            emit_json({"file": str(a.file), "status": "unavailable"})
        sys.stderr.write(
            f"previz: {UNAVAILABLE}; install a c2pa-python wheel built for it to verify files\n"
        )
        return 1
    if a.json:
        emit_json(v.as_dict())
        return 0 if v.ok else 1
    w = sys.stdout.write
    name = Path(a.file).name
    if v.status == "no_manifest":
        w(f"{name}: no manifest (this file carries no content credentials)\n")
        return 1
    if v.status == "tampered":
        w(f"{name}: TAMPERED, the file does not match its content credentials\n")
        for code, why in v.failures:
            w(f"  failed: {why} ({code})\n")
        if v.signer:
            w(f"  manifest signed by {v.signer}\n")
        return 1
    trust = v.trust + (", this install's local certificate" if v.local_chain else "")
    w(f"{name}: intact, signed by {v.signer} ({trust})\n")
    if v.digital_source_types:
        kinds = ", ".join(t.rsplit("/", 1)[-1] for t in v.digital_source_types)
        w(f"  digital source type: {kinds}\n")
    if v.models:
        w(f"  models: {', '.join(v.models)}\n")
    for act in (v.assertion("c2pa.actions") or {}).get("actions", []):
        said = (act.get("parameters") or {}).get("description")
        if act.get("action") == "c2pa.edited" and said:
            w(f"  edited: {said}\n")
    return 0


def register(add: Any) -> None:
    sp = add(
        "verify",
        cmd_verify,
        "check the content credentials (C2PA) of an exported reel or clip",
    )
    sp.add_argument("file", help="an MP4 or MOV that Previz exported")
    sp.add_argument(
        "--trust",
        metavar="PEM",
        help="CA certificates (PEM) to trust, e.g. your studio's CA or the local ca.pem",
    )
