"""``previz import-script`` and ``previz shotlist export|import``: screenplays and CSV shot lists.

Each import is one undoable command (``previz undo DIR`` takes all of it back); ``--dry-run``
reports what would change and changes nothing. Reports go to stdout (one JSON document with
``--json``), notes and warnings to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from previz.cli.output import emit_json, info

_IMPORT_EPILOG = """\
First import: each scene becomes a sequence in script order ("4A I/E. TEO'S TRUCK - NIGHT"),
each beat (an action paragraph and its dialogue) a shot with codes 0010, 0020... per scene,
and every speaking character and location an element (@Name).

Re-import of a revised draft: unchanged shots keep everything; a changed beat gets the new
prompt (its takes stay); a prompt you edited by hand is kept and reported as a CONFLICT; new
beats and scenes are inserted in place (a scene between 4 and 5 becomes 4A); beats and scenes
that left the script are flagged, never deleted. The report lists every change.
"""

_SHOTLIST_EPILOG = """\
Columns: Scene, Shot, INT/EXT, Day/Night, Location, Cast, Description, Duration, Camera,
Notes, Dialogue, Transition, Frames, FPS, Sequence (UTF-8; comma, semicolon or tab
separated; only Scene and Shot are required). Duration is seconds (or timecode) for people;
Frames is the exact duration in frames at FPS; Transition is cut, dissolve:12f, fade_black:1s
or dip_color:6f; Sequence names the sequence a new scene gets.
Import matches rows to shots by Scene and Shot and updates the prompt (Description),
dialogue, planned duration, transition, camera notes and notes; an empty cell leaves a field
as it is; a cell holding exactly [clear] empties it (a transition becomes a cut); a row with
a new shot code adds a shot; nothing is deleted. Imported into a new project, the rows
rebuild the same sequences (the empty "Sequence 1" is used for the first scene).
"""


def _raw(parser: argparse.ArgumentParser, epilog: str) -> None:
    parser.epilog = epilog
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def cmd_import_script(a: argparse.Namespace) -> int:
    from previz.services.project import ProjectService
    from previz.services.screenplay_import import import_script

    with ProjectService.open(a.dir) as svc:
        report = import_script(svc, a.script, dry_run=a.dry_run)
    _print_report(a, report.lines, report.warnings, report)
    if not a.json and not a.dry_run and report.has_changes:
        info(f"undo the whole import with `previz undo {a.dir}`")
    return 0


def _print_report(a: argparse.Namespace, lines: Any, warnings: Any, report: Any) -> None:
    if a.json:
        emit_json(report)
        return
    for line in lines:
        sys.stdout.write(line + "\n")
    for line in warnings:
        info(f"warning: {line}")
    if a.dry_run:
        info("dry run: nothing was changed")


def cmd_shotlist(a: argparse.Namespace) -> int:
    from previz.services.project import ProjectService
    from previz.services.shotlist import export_shotlist, import_shotlist

    with ProjectService.open(a.dir) as svc:
        if a.shotlist_cmd == "export":
            style = "timecode" if a.timecode else "seconds"
            result = export_shotlist(svc, a.file, a.seq or None, duration_format=style)
            if a.json:
                emit_json(result)
            else:
                for line in result.warnings:
                    info(f"warning: {line}")
                n = len(result.sequences)
                info(
                    f"wrote {result.rows} shots from {n} sequence{'' if n == 1 else 's'} "
                    f"to {result.path}"
                )
            return 0
        report = import_shotlist(svc, a.file, dry_run=a.dry_run)
    _print_report(a, report.lines, (), report)
    if not a.json and not a.dry_run and (report.updated or report.added):
        info(f"undo the whole import with `previz undo {a.dir}`")
    return 0


def register(add: Any, common: argparse.ArgumentParser) -> None:
    sp = add(
        "import-script",
        cmd_import_script,
        "import a Fountain screenplay (or re-import a revised draft) as sequences and shots",
    )
    _raw(sp, _IMPORT_EPILOG)
    sp.add_argument("dir", help="the project folder")
    sp.add_argument("script", metavar="SCRIPT.fountain", help="the screenplay (Fountain, UTF-8)")
    sp.add_argument(
        "--dry-run", action="store_true", help="report what would change and change nothing"
    )

    sp = add("shotlist", cmd_shotlist, "export or import a CSV shot list")
    _raw(sp, _SHOTLIST_EPILOG)
    ss = sp.add_subparsers(
        dest="shotlist_cmd", required=True, metavar="ACTION", parser_class=type(sp)
    )
    x = ss.add_parser(
        "export",
        help="write the shot list as CSV (for spreadsheets)",
        description="write the shot list as CSV (written to a temporary file, then renamed)",
        parents=[common],
    )
    _raw(x, _SHOTLIST_EPILOG)
    x.add_argument("dir", help="the project folder")
    x.add_argument("file", metavar="FILE.csv")
    x.add_argument(
        "--seq",
        action="append",
        metavar="NAME",
        help="only this sequence (name or scene number); repeatable (default: all)",
    )
    x.add_argument(
        "--timecode",
        action="store_true",
        help="write durations as timecode 00:00:04:12 (exact) instead of seconds 4.5",
    )
    x = ss.add_parser(
        "import",
        help="update shots from a CSV shot list (one undoable step)",
        description="update shots from a CSV shot list (one undoable step; never deletes)",
        parents=[common],
    )
    _raw(x, _SHOTLIST_EPILOG)
    x.add_argument("dir", help="the project folder")
    x.add_argument("file", metavar="FILE.csv")
    x.add_argument(
        "--dry-run", action="store_true", help="report what would change and change nothing"
    )
