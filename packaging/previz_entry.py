"""Entry point of the frozen app (PyInstaller): the same `previz` command as the package's.

``multiprocessing.freeze_support()`` must run first: the generation worker is a spawned process,
and in a frozen app the spawned child is this executable started with multiprocessing's own
arguments.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from previz.__main__ import main

    sys.exit(main())
