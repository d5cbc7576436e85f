"""previz.screenplay uses the standard library only, so any front end can import it cheaply."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_screenplay_loads_only_the_standard_library() -> None:
    code = (
        "import json, sys; import previz.screenplay; "
        "print(json.dumps(sorted(m for m in sys.modules if not m.startswith('_'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    loaded = json.loads(out)
    outside = sorted(
        m
        for m in loaded
        if m.split(".")[0] not in sys.stdlib_module_names
        and m != "previz"
        and not m.startswith("previz.screenplay")
    )
    assert outside == []
    assert "previz.screenplay.fountain" in loaded
