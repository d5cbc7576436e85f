"""``previz``: with no arguments (or just a project folder) the app; otherwise the CLI.

This module sits above both front ends: the CLI (``previz.cli``) and the app (``previz.ui``)
never import each other.
"""

from __future__ import annotations

import sys


def open_app(argv: list[str]) -> int:
    try:
        from previz.ui.app import run_app
    except ImportError as exc:  # the GUI ships with the package; a broken Qt install is possible
        sys.stderr.write(f"previz: the desktop app cannot start ({exc}); use the subcommands\n")
        return 1
    return run_app(argv[0] if argv else None)


def main(argv: list[str] | None = None) -> int:
    from previz.cli.main import run, wants_app

    args = sys.argv[1:] if argv is None else argv
    if wants_app(args):
        return open_app(args)
    return run(args)


def main_gui() -> int:
    return open_app(sys.argv[1:2])


if __name__ == "__main__":
    sys.exit(main())
