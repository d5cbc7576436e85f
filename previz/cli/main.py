"""The scriptable interface (DESIGN.md section 6). Every subcommand drives the services.

Conventions: ``--json`` prints one JSON document on stdout; progress goes to stderr; an error is
one plain line on stderr; exit 0 ok, 1 error, 2 usage, 130 cancelled with Ctrl-C. Heavy modules
are imported inside the handlers so ``previz --help`` starts fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import previz

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"previz: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _project(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from previz.services.project import ProjectService

    return ProjectService.open(args.dir)


def _duration(text: str | None, fps) -> int | None:  # type: ignore[no-untyped-def]
    if text is None:
        return None
    from previz.core.time import parse_duration

    return parse_duration(text, fps)


# --- handlers -----------------------------------------------------------------------------------


def cmd_new(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json, info
    from previz.services.project import ProjectService

    with ProjectService.create(a.dir, name=a.name, fps=a.fps, size=a.size) as svc:
        data = svc.info()
        if a.json:
            emit_json(data)
        else:
            seq = svc.sequence()
            info(
                f"created {data['path']} ({seq.name}, {seq.width}x{seq.height} at "
                f"{_rate_text(seq.fps)} fps)"
            )
    return 0


def _rate_text(fps) -> str:  # type: ignore[no-untyped-def]
    from previz.core.time import describe_rate

    return describe_rate(fps)


def cmd_info(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json

    with _project(a) as svc:
        data = svc.info()
        data["sequences_detail"] = svc.sequences()
        if a.json:
            emit_json(data)
            return 0
        w = sys.stdout.write
        w(f"{data['name']}  ({data['path']})\n")
        w(f"schema {data['schema']}, created {data['created_at']}\n")
        w(f"{data['sequences']} sequences, {data['shots']} shots, {data['takes']} takes")
        w(
            f" ({data['deleted_takes']} deleted, not yet purged)\n"
            if data["deleted_takes"]
            else "\n"
        )
        for s in data["sequences_detail"]:
            w(
                f"  {s.name}{_removed(s)}: {s.shot_count} shots, {s.width}x{s.height} @ "
                f"{_rate_text(s.fps)} fps, {s.duration_frames / float(s.fps):.1f}s planned\n"
            )
        disk = data["disk"]
        w(
            "disk: "
            + ", ".join(f"{k} {_human(v)}" for k, v in disk.items() if k != "total")
            + f"; total {_human(disk['total'])}\n"
        )
        if data["missing_media"]:
            w(f"MISSING MEDIA ({len(data['missing_media'])} files):\n")
            for p in data["missing_media"][:20]:
                w(f"  {p}\n")
    return 0


def _removed(item: Any) -> str:
    """The marker a sequence or shot a re-import flagged (``script_status``) gets in a table."""
    return " (removed from script)" if getattr(item, "script_status", "") == "removed" else ""


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def cmd_seq(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json, info, table

    with _project(a) as svc:
        if a.seq_cmd == "add":
            s = svc.add_sequence(
                a.name, fps=a.fps, size=a.size, scene=a.scene or "", drop_frame=a.drop_frame
            )
            emit_json(s) if a.json else info(f"added sequence {s.name}")
        elif a.seq_cmd == "edit":
            s = svc.edit_sequence(
                a.seq, fps=a.fps, size=a.size, scene=a.scene, drop_frame=a.drop_frame
            )
            tc = "drop-frame" if s.drop_frame else "non-drop-frame"
            emit_json(s) if a.json else info(
                f"{s.name}: {s.width}x{s.height} @ {_rate_text(s.fps)} fps, {tc} timecode"
            )
        elif a.seq_cmd == "list":
            seqs = svc.sequences()
            if a.json:
                emit_json(seqs)
            else:
                table(
                    [
                        (
                            i + 1,
                            s.name + _removed(s),
                            s.scene,
                            s.shot_count,
                            f"{s.width}x{s.height}",
                            _rate_text(s.fps),
                        )
                        for i, s in enumerate(seqs)
                    ],
                    ["#", "NAME", "SCENE", "SHOTS", "SIZE", "FPS"],
                )
        elif a.seq_cmd == "rename":
            s = svc.rename_sequence(a.seq, a.name)
            emit_json(s) if a.json else info(f"renamed to {s.name}")
        elif a.seq_cmd == "rm":
            s = svc.remove_sequence(a.seq)
            emit_json(s) if a.json else info(f"removed sequence {s.name} (undo with `previz undo`)")
    return 0


def _drop_frame_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--drop-frame",
        dest="drop_frame",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="drop-frame timecode (29.97 and 59.94 only; default: non-drop-frame)",
    )


def _shot_fields(a: argparse.Namespace, fps) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    fields: dict[str, Any] = {}
    for key in (
        "prompt",
        "negative_prompt",
        "camera_notes",
        "notes",
        "dialogue",
        "scene",
        "seed",
        "engine",
        "model",
        "priority",
    ):
        v = getattr(a, key, None)
        if v is not None:
            fields[key] = v
    if getattr(a, "duration", None) is not None:
        fields["duration_frames"] = _duration(a.duration, fps)
    if getattr(a, "transition", None) is not None:
        from previz.core.colors import split_transition

        kind, length, color = split_transition(a.transition)
        fields["transition_kind"] = kind
        fields["transition_frames"] = _duration(length, fps) if length else 0
        if color and kind != "dip_color":
            from previz.core.errors import InvalidInput

            raise InvalidInput(
                f"only dip_color takes a colour, not {kind}; e.g. dip_color:12f:#FFFFFF"
            )
        fields["transition_color"] = color
    return fields


def cmd_shot(a: argparse.Namespace) -> int:
    from previz.cli.output import clip, emit_json, info, table

    with _project(a) as svc:
        if a.shot_cmd == "add":
            fps = svc.sequence(a.seq).fps
            fields = _shot_fields(a, fps)
            index = None
            if a.after:
                index = svc.resolve_shot(_in_seq(a.after, a.seq)).index + 1
            elif a.before:
                index = svc.resolve_shot(_in_seq(a.before, a.seq)).index
            elif a.at is not None:
                index = a.at - 1
            s = svc.add_shot(a.seq, index=index, **fields)
            emit_json(s) if a.json else info(f"added shot {s.sequence_name}/{s.code}")
        elif a.shot_cmd == "list":
            from previz.core.values import to_json
            from previz.services.shot_facts import ShotFactsReader

            seq = svc.sequence(a.seq)
            shots = svc.shots(seq.id)
            # the plan (duration_frames) and what the cut plays (cut_frames: the selected
            # take, trims applied) differ after an extend or a trim
            cuts = [f.cut_frames for f in ShotFactsReader(svc).facts(shots)]
            if a.json:
                emit_json(
                    [dict(to_json(s), cut_frames=c) for s, c in zip(shots, cuts, strict=True)]
                )
            else:

                def secs(n: int) -> str:
                    return f"{n / float(seq.fps):.1f}s"

                table(
                    [
                        (
                            s.index + 1,
                            s.label + _removed(s),
                            secs(s.duration_frames),
                            secs(c),
                            s.take_count,
                            s.status,
                            clip(s.prompt),
                        )
                        for s, c in zip(shots, cuts, strict=True)
                    ],
                    ["#", "SHOT", "PLAN", "CUT", "TAKES", "STATUS", "PROMPT"],
                )
        elif a.shot_cmd == "edit":
            shot = svc.resolve_shot(a.shot)
            fields = _shot_fields(a, svc.sequence(shot.sequence_id).fps)
            if a.trim_in is not None or a.trim_out is not None:
                svc.trim_shot(shot.id, a.trim_in, a.trim_out)
            if not fields and a.trim_in is None and a.trim_out is None:
                raise _usage("nothing to change; give e.g. --prompt, --duration or --notes")
            s = svc.edit_shot(shot.id, **fields) if fields else svc.shot(shot.id)
            emit_json(s) if a.json else info(f"edited {s.sequence_name}/{s.code}")
        elif a.shot_cmd == "move":
            s = svc.move_shot(a.shot, a.to - 1)
            emit_json(s) if a.json else info(f"moved {s.code} to position {s.index + 1}")
        elif a.shot_cmd == "duplicate":
            s = svc.duplicate_shot(a.shot)
            emit_json(s) if a.json else info(f"duplicated as {s.sequence_name}/{s.code}")
        elif a.shot_cmd == "rm":
            s = svc.remove_shot(a.shot)
            emit_json(s) if a.json else info(f"deleted shot {s.code} (undo with `previz undo`)")
    return 0


def _in_seq(ref: str, seq: str | None) -> str:
    return f"{seq}/{ref}" if seq and "/" not in ref else ref


def _usage(msg: str) -> Exception:
    from previz.core.errors import UsageError

    return UsageError(msg)


def cmd_element(a: argparse.Namespace) -> int:
    from previz.cli.output import clip, emit_json, info, table

    with _project(a) as svc:
        if a.el_cmd == "add":
            e = svc.add_element(a.name, a.kind, a.description or "", a.image)
            emit_json(e) if a.json else info(f"added @{e.name} ({e.kind})")
        elif a.el_cmd == "list":
            els = svc.elements()
            if a.json:
                emit_json(els)
            else:
                table(
                    [
                        ("@" + e.name, e.kind, "yes" if e.image else "", clip(e.description))
                        for e in els
                    ],
                    ["NAME", "KIND", "IMAGE", "DESCRIPTION"],
                )
        elif a.el_cmd == "rm":
            e = svc.remove_element(a.name)
            emit_json(e) if a.json else info(f"removed @{e.name} (undo with `previz undo`)")
    return 0


def cmd_takes(a: argparse.Namespace) -> int:
    from previz.cli.output import clip, emit_json, table

    with _project(a) as svc:
        takes = svc.takes(a.shot, include_deleted=a.all)
        if a.json:
            emit_json(takes)
            return 0
        table(
            [
                (
                    ("*" if t.selected else "") + str(t.number),
                    t.operation,
                    t.engine + (f":{t.model}" if t.model else ""),
                    t.seed,
                    f"{t.frame_count}f",
                    "★" * t.rating + (" (circled)" if t.circled else ""),
                    "deleted" if t.deleted else t.status,
                    clip(t.prompt, 40),
                )
                for t in takes
            ],
            ["TAKE", "OP", "ENGINE", "SEED", "LEN", "RATING", "STATUS", "PROMPT"],
        )
    return 0


def cmd_take(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json, info

    with _project(a) as svc:
        if a.take_cmd == "select":
            t = svc.select_take(a.shot, a.take)
            msg = f"selected take {t.number}"
        elif a.take_cmd == "rm":
            t = svc.remove_take(a.shot, a.take)
            msg = (
                f"deleted take {t.number} (undo with `previz undo`; `previz purge` frees its disk)"
            )
        else:
            circled = True if a.circle else (False if a.uncircle else None)
            if a.rating is None and circled is None and a.notes is None:
                raise _usage("give --rating N, --circle/--uncircle or --notes")
            t = svc.rate_take(a.shot, a.take, rating=a.rating, circled=circled, notes=a.notes)
            msg = f"take {t.number}: {t.rating} stars{', circled' if t.circled else ''}"
        emit_json(t) if a.json else info(msg)
    return 0


def cmd_undo(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json, info

    with _project(a) as svc:
        label = svc.redo() if a.command == "redo" else svc.undo()
        if a.json:
            emit_json({"action": a.command, "label": label})
        else:
            info(f"{a.command}: {label}" if label else f"nothing to {a.command}")
    return 0


def cmd_purge(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json, info

    with _project(a) as svc:
        res = svc.purge()
        emit_json(res) if a.json else info(
            f"purged {res['takes']} deleted takes: {res['files']} files, {_human(res['bytes'])} freed"
        )
    return 0


def cmd_restore(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json, info
    from previz.store import db
    from previz.store.folder import project_dir

    folder = project_dir(a.dir)
    if not folder.is_dir():
        raise _usage(f"{folder} does not exist")
    used = db.restore(folder, force=a.force)
    emit_json({"restored_from": str(used)}) if a.json else info(
        f"restored {folder / db.DB_NAME} from {used.name}; the replaced file was kept beside it"
    )
    return 0


def cmd_doctor(a: argparse.Namespace) -> int:
    from previz.cli.output import emit_json
    from previz.services.doctor import report

    data = report(Path(a.dir) if a.dir else None)
    if a.json:
        emit_json(data)
        return 0
    for key, value in data.items():
        if isinstance(value, dict):
            sys.stdout.write(f"{key}:\n")
            for k, v in value.items():
                sys.stdout.write(f"  {k}: {v}\n")
        else:
            sys.stdout.write(f"{key}: {value}\n")
    return 0


# --- the parser ---------------------------------------------------------------------------------


def _add_shot_fields(p: argparse.ArgumentParser, *, edit: bool) -> None:
    p.add_argument("--prompt", help="what the shot shows, e.g. 'WIDE, dusk, @Captain walks…'")
    p.add_argument("--negative-prompt", dest="negative_prompt")
    p.add_argument("--duration", help="planned duration: 5s, 120f or 00:00:05:00")
    p.add_argument("--camera-notes", dest="camera_notes")
    p.add_argument("--notes")
    p.add_argument("--dialogue", help="the line spoken over the shot (shown as a caption)")
    p.add_argument("--scene", help="scene number, e.g. 12A")
    p.add_argument("--seed", type=int, help="lock the seed for new takes")
    p.add_argument(
        "--transition",
        help="cut into this shot: cut, dissolve:12f, fade_black:1s, dip_color:12f:#FF8000 …",
    )
    p.add_argument(
        "--engine",
        help="the engine this shot's new takes use (animatic, diffusers; '' = the default)",
    )
    p.add_argument("--model", help="the model this shot's new takes use (diffusers; '' = default)")
    p.add_argument(
        "--priority",
        type=int,
        help="priority of this shot's jobs, here and on a render farm: higher runs first "
        "(-1000..1000, default 0)",
    )
    if edit:
        p.add_argument("--trim-in", dest="trim_in", type=int, help="first frame of the take used")
        p.add_argument("--trim-out", dest="trim_out", type=int, help="frame after the last used")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    common.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")

    p = _Parser(
        prog="previz",
        description="Previz: previsualization for filmmakers. With no command, opens the app.",
        epilog="SHOT is SEQ/CODE or a CODE unique in the project; see docs/cli.md.",
    )
    p.add_argument("--version", action="version", version=f"previz {previz.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, handler: Handler, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_, parents=[common])
        sp.set_defaults(handler=handler)
        return sp

    sp = add("new", cmd_new, "create a project folder with one sequence")
    sp.add_argument("dir", help="the new project folder, e.g. NightFerry.previz")
    sp.add_argument("--name", help="project name (default: the folder name)")
    sp.add_argument("--fps", default="24", help="frame rate: 24, 23.976, 25, 29.97, 24000/1001…")
    sp.add_argument("--size", default="1280x720", help="frame size WIDTHxHEIGHT")

    sp = add("info", cmd_info, "show a project's contents and disk use")
    sp.add_argument("dir")

    sp = add("seq", cmd_seq, "add, list, edit, rename or remove sequences")
    ss = sp.add_subparsers(dest="seq_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    x = ss.add_parser("add", help="add a sequence", parents=[common])
    x.add_argument("dir")
    x.add_argument("name")
    x.add_argument("--fps")
    x.add_argument("--size")
    x.add_argument("--scene")
    _drop_frame_option(x)
    x = ss.add_parser(
        "edit", help="change a sequence's rate, size, scene or timecode", parents=[common]
    )
    x.add_argument("dir")
    x.add_argument("seq")
    x.add_argument("--fps")
    x.add_argument("--size")
    x.add_argument("--scene")
    _drop_frame_option(x)
    x = ss.add_parser("list", help="list sequences", parents=[common])
    x.add_argument("dir")
    x = ss.add_parser("rename", help="rename a sequence", parents=[common])
    x.add_argument("dir")
    x.add_argument("seq")
    x.add_argument("name")
    x = ss.add_parser("rm", help="remove a sequence (undoable)", parents=[common])
    x.add_argument("dir")
    x.add_argument("seq")

    sp = add("shot", cmd_shot, "add, list, edit, move, duplicate or remove shots")
    ss = sp.add_subparsers(dest="shot_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    x = ss.add_parser(
        "add", help="add a shot (at the end unless --after/--before/--at)", parents=[common]
    )
    x.add_argument("dir")
    x.add_argument("--seq", help="sequence name or scene (default: the first)")
    where = x.add_mutually_exclusive_group()
    where.add_argument("--after", help="insert after this shot code")
    where.add_argument("--before", help="insert before this shot code")
    where.add_argument("--at", type=int, help="insert at this position (1 = first)")
    _add_shot_fields(x, edit=False)
    x = ss.add_parser("list", help="list a sequence's shots in order", parents=[common])
    x.add_argument("dir")
    x.add_argument("--seq", help="sequence name or scene (default: the first)")
    x = ss.add_parser("edit", help="change a shot's fields or trim", parents=[common])
    x.add_argument("dir")
    x.add_argument("shot")
    _add_shot_fields(x, edit=True)
    x = ss.add_parser("move", help="move a shot to another position", parents=[common])
    x.add_argument("dir")
    x.add_argument("shot")
    x.add_argument("--to", type=int, required=True, help="new position (1 = first)")
    x = ss.add_parser(
        "duplicate", help="copy a shot (without its takes) right after it", parents=[common]
    )
    x.add_argument("dir")
    x.add_argument("shot")
    x = ss.add_parser("rm", help="delete a shot (undoable; its takes are kept)", parents=[common])
    x.add_argument("dir")
    x.add_argument("shot")

    sp = add("element", cmd_element, "characters, locations, props and style presets")
    ss = sp.add_subparsers(dest="el_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    x = ss.add_parser("add", help="add an element that prompts mention as @Name", parents=[common])
    x.add_argument("dir")
    x.add_argument("name")
    x.add_argument("--kind", default="character", help="character, location, prop or style")
    x.add_argument("--description", default="")
    x.add_argument("--image", help="a reference image (copied into the project)")
    x = ss.add_parser("list", help="list elements", parents=[common])
    x.add_argument("dir")
    x = ss.add_parser("rm", help="remove an element (undoable)", parents=[common])
    x.add_argument("dir")
    x.add_argument("name")

    sp = add("takes", cmd_takes, "list a shot's takes")
    sp.add_argument("dir")
    sp.add_argument("shot")
    sp.add_argument("--all", action="store_true", help="include deleted takes")

    sp = add("take", cmd_take, "select, delete or rate a take")
    ss = sp.add_subparsers(dest="take_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    for name, help_ in (
        ("select", "make this the shot's selected take"),
        ("rm", "delete a take (undoable; purge frees the disk)"),
        ("rate", "rate (0-5), circle or annotate a take"),
    ):
        x = ss.add_parser(name, help=help_, parents=[common])
        x.add_argument("dir")
        x.add_argument("shot")
        x.add_argument("take", type=int)
        if name == "rate":
            x.add_argument("--rating", type=int)
            x.add_argument("--circle", action="store_true")
            x.add_argument("--uncircle", action="store_true")
            x.add_argument("--notes")

    for name, help_ in (("undo", "undo the last edit"), ("redo", "redo the last undone edit")):
        sp = add(name, cmd_undo, help_)
        sp.add_argument("dir")

    sp = add("purge", cmd_purge, "free the disk used by deleted takes (cannot be undone)")
    sp.add_argument("dir")
    sp = add("restore", cmd_restore, "put back the newest valid backup of a damaged project.db")
    sp.add_argument("dir")
    sp.add_argument(
        "--force",
        action="store_true",
        help="restore even though project.db is healthy (loses the edits made since the backup)",
    )
    sp = add("doctor", cmd_doctor, "check Python, torch, codecs, disk space and model folders")
    sp.add_argument("dir", nargs="?", help="also check this project")

    from previz.cli import extra

    extra.register(add, common)
    return p


def wants_app(argv: list[str]) -> bool:
    """No arguments, or just a project folder: the desktop app rather than a subcommand."""
    return not argv or (
        len(argv) == 1
        and not argv[0].startswith("-")
        and argv[0] not in _COMMANDS
        and Path(argv[0]).is_dir()
    )


def run(argv: list[str]) -> int:
    """Run a subcommand (the CLI never opens the app itself; see ``previz.__main__``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from previz.core.errors import PrevizError

    try:
        return args.handler(args)
    except PrevizError as exc:
        sys.stderr.write(f"previz: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("previz: cancelled\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # read-only folder, full disk, disk error, a lock held too long
        err = _environment_error(exc, args)
        if err is None:
            raise
        sys.stderr.write(f"previz: {err}\n")
        return err.exit_code


def _environment_error(exc: Exception, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The machine's fault, said in one line (see ``previz.store.db.environment_error``)."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, sqlite3.Error | OSError | DBAPIError):
        return None
    from previz.store.db import environment_error
    from previz.store.folder import project_dir

    folder = project_dir(args.dir) if isinstance(getattr(args, "dir", None), str) else None
    return environment_error(exc, folder)


_COMMANDS = {
    "new",
    "info",
    "seq",
    "shot",
    "element",
    "takes",
    "take",
    "undo",
    "redo",
    "purge",
    "restore",
    "doctor",
    "generate",
    "extend",
    "bridge",
    "remix",
    "loop",
    "import-script",
    "export",
    "shotlist",
    "models",
    "verify",
    "jobs",
    "farm",
}
