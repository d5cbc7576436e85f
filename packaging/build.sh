#!/usr/bin/env bash
# Build the Previz bundle with PyInstaller and check that it starts and opens the demo project.
#
#   packaging/build.sh            (uses .venv/bin/python, or $PYTHON)
#
# Output: dist/previz/ (and dist/Previz.app on macOS). Not part of CI: it takes minutes.
# Works in Git Bash on Windows (the executable is dist/previz/previz.exe there).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ -n "${PYTHON:-}" ]]; then
    PY="$PYTHON"
elif [[ -x .venv/bin/python ]]; then
    PY=.venv/bin/python
else
    PY=.venv/Scripts/python.exe
fi

echo "== installing PyInstaller into $($PY -c 'import sys; print(sys.prefix)')"
"$PY" -m pip install --quiet "pyinstaller>=6.10"

echo "== icons"
"$PY" packaging/render_icon.py

echo "== building"
"$PY" -m PyInstaller --noconfirm --clean \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/previz.spec

EXE="$ROOT/dist/previz/previz"
[[ -x "$EXE" ]] || EXE="$ROOT/dist/previz/previz.exe"
echo "== smoke test: $EXE"
SMOKE="$(mktemp -d)"
trap 'rm -rf "$SMOKE"' EXIT
# headless, with its own settings and demo folder, so the user's are untouched
export QT_QPA_PLATFORM=offscreen PREVIZ_SMOKE_TEST=1
export PREVIZ_CONFIG_DIR="$SMOKE/config" PREVIZ_DEMO_DIR="$SMOKE/Night Ferry (demo).previz"
"$EXE" --help > "$SMOKE/help.txt"
grep -q "usage: previz" "$SMOKE/help.txt" || { echo "the CLI did not start"; exit 1; }
if command -v timeout >/dev/null; then RUN=(timeout 600 "$EXE"); else RUN=("$EXE"); fi
"${RUN[@]}" | tee "$SMOKE/smoke.txt"
grep -q '^OK ' "$SMOKE/smoke.txt" || { echo "smoke test failed"; exit 1; }
echo "== the bundle starts, builds and opens the demo project: dist/previz"
