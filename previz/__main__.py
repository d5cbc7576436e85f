"""``previz``: with no arguments (or just a project folder) the app; otherwise the CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from previz.cli.main import run

    return run(sys.argv[1:] if argv is None else argv)


def main_gui() -> int:
    from previz.cli.main import open_app

    return open_app(sys.argv[1:2])


if __name__ == "__main__":
    sys.exit(main())
