"""DESIGN.md section 2: the import rules, enforced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )


def test_core_imports_no_qt_sqlalchemy_torch_or_av() -> None:
    code = (
        "import sys, pkgutil, importlib, previz.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'previz.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in ('PySide6', 'sqlalchemy', 'torch', 'av', 'cv2', 'numpy') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


def test_engine_never_imports_previz_qt_or_sqlalchemy() -> None:
    code = (
        "import sys, pkgutil, importlib, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    if 'diffusers' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('previz', 'PySide6', 'sqlalchemy')]\n"
        "print(','.join(bad))\n"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


def test_help_does_not_import_torch(tmp_path: Path) -> None:
    # A torch that explodes on import: `previz --help` and `previz shot --help` must not touch it.
    trap = tmp_path / "trap" / "torch"
    trap.mkdir(parents=True)
    (trap / "__init__.py").write_text("raise ImportError('previz imported torch at start-up')\n")
    for argv in (["--help"], ["shot", "--help"], ["new", "--help"]):
        res = _run(
            f"import sys; from previz.__main__ import main; sys.exit(main({argv!r}))",
            {"PYTHONPATH": str(tmp_path / "trap")},
        )
        assert res.returncode == 0, res.stderr
        assert "usage: previz" in res.stdout
        chk = _run(
            "import sys, io, contextlib\n"
            "from previz.__main__ import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})\n"
            "print([m for m in ('torch', 'PySide6', 'av', 'cv2', 'diffusers') if m in sys.modules])\n"
        )
        assert chk.stdout.strip().endswith("[]"), chk.stdout


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed")
    res = subprocess.run(
        [str(lint), "--no-cache"], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert res.returncode == 0, res.stdout + res.stderr
