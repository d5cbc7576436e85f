"""``previz generate | extend | bridge | remix | loop``: each makes new takes, never overwriting.

The jobs go through the project's persisted queue. If no other process runs the queue, this
command takes the runner lock and runs every pending job (its own, and any another command
queued or a killed one left) in a warm worker process, with a progress bar on stderr. If the
app or another command holds the lock, it waits for that process to run its jobs and takes the
lock over the moment it frees, so a queued job never waits forever.

Ctrl-C cancels cleanly at any moment, exit 130: the command's queued jobs are cancelled, its
running job stops (here, or in the process running it) and is marked cancelled with its scratch
folder removed; a job of another command that was running here goes back to the queue. The
SIGINT handler only sets a flag, so no half-done database write is ever interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from previz.cli.output import emit_json, info


def add_engine_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine options")
    g.add_argument("--engine", help="animatic (built in) or diffusers (default: your setting)")
    g.add_argument("--model", help="model id or folder (diffusers)")
    g.add_argument("--seed", type=int, help="seed (default: the shot's locked seed, else random)")
    g.add_argument("--steps", type=int, help="denoising steps (diffusers)")
    g.add_argument("--guidance", type=float, help="guidance scale (diffusers)")
    f = p.add_argument_group("render farm")
    f.add_argument(
        "--farm",
        metavar="ADDRESS",
        help="run on a Ray cluster: host:port, auto, ray://host:10001, or local "
        "(default: the project's farm, else Settings > Render farm, else here)",
    )
    f.add_argument(
        "--priority",
        type=int,
        default=None,
        help="priority of these jobs, here and on a farm: higher runs first "
        "(default: the shot's priority, see `previz shot edit --priority`)",
    )


def _placed(gen: Any, svc: Any, a: argparse.Namespace) -> Any:
    """``gen`` with its jobs placed where --farm / the settings say, at --priority."""
    from previz.services.farm import resolve_farm

    gen.queue.runs_on = resolve_farm(svc, getattr(a, "farm", None))
    given = getattr(a, "priority", None)
    gen.queue.priority = None if given is None else int(given)
    return gen


def _choice(a: argparse.Namespace):  # type: ignore[no-untyped-def]
    from previz.services.generation import EngineChoice

    return EngineChoice(
        engine=a.engine or "",
        model=a.model or "",
        seed=a.seed,
        steps=a.steps,
        guidance=a.guidance,
        draft=getattr(a, "draft", False),
        long_method=getattr(a, "long_method", None) or "",
    )


class _Bar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.label = ""

    def update(self, label: str, step: int, total: int, eta: float | None) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < 2.0 and step < total:
            return
        self.last = now
        frac = step / max(1, total)
        bar = "#" * int(frac * 30)
        eta_s = f" ETA {eta:4.0f}s" if eta is not None else ""
        line = f"{label} [{bar:<30}] {step}/{total}{eta_s}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(79)[:79])
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self, msg: str) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * 79 + "\r")
        info(msg)


CANCEL_WAIT_S = 30.0  # how long Ctrl-C waits for the running job to stop (it is killed sooner)
POLL_S = 0.2


@contextlib.contextmanager
def interruptible() -> Iterator[threading.Event]:
    """Ctrl-C sets the returned event instead of raising KeyboardInterrupt (main thread only;
    elsewhere the event is never set and KeyboardInterrupt behaves as usual)."""
    pressed = threading.Event()
    try:
        old = signal.signal(signal.SIGINT, lambda *_: pressed.set())
    except ValueError:  # not the main thread
        yield pressed
        return
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, old)


def run_jobs(
    svc: Any, jobs: list[Any], json_out: bool, interrupted: threading.Event | None = None
) -> int:
    """Run (or wait for) ``jobs``; returns the exit code. See the module docstring."""
    if interrupted is None:
        with interruptible() as flag:
            return run_jobs(svc, jobs, json_out, flag)

    from previz.services.runner import JobRunner, RunnerListener

    ids = {j.id for j in jobs}
    labels = {j.id: _label(svc, j) for j in jobs}
    bar = _Bar()

    class Printer(RunnerListener):
        def job_progress(self, p: Any) -> None:
            if p.job_id in ids:
                bar.update(labels[p.job_id], p.step, p.total, p.eta_s)

        def job_changed(self, job: Any) -> None:
            if job.id in ids and job.status in ("done", "failed", "canceled", "interrupted"):
                announce(job)

    announced: set[int] = set()

    def announce(job: Any) -> None:
        if job.id not in announced:
            announced.add(job.id)
            bar.done(
                f"{labels[job.id]}: {job.status}" + (f" — {job.message}" if job.message else "")
            )

    runner = JobRunner(svc)
    runner.add_listener(Printer())
    queue = runner.queue
    errors: list[BaseException] = []
    finished = threading.Event()
    thread: threading.Thread | None = None
    told = False

    def work() -> None:
        try:
            runner.run_pending()  # every pending job, whoever queued it
        except BaseException as exc:  # reported on the main thread
            errors.append(exc)
        finally:
            finished.set()

    def mine_active() -> bool:
        return any(queue.get(j).status in ("pending", "running") for j in ids)

    try:
        while not interrupted.is_set():
            if thread is None:
                if not mine_active():
                    break
                if runner.acquire():
                    thread = threading.Thread(target=work, name="previz-cli-jobs", daemon=True)
                    thread.start()
                    continue
                if not told:
                    info("another Previz process is running this project's jobs; waiting for it")
                    told = True
                _show_others(queue, ids, bar, labels)
                interrupted.wait(0.5)
                continue
            # Event.wait, not Thread.join: on Python 3.11 a join interrupted by a signal can
            # report a live thread as finished (bpo-45274), and the main thread would leave
            # while the job still runs.
            if finished.wait(POLL_S):  # no pending job left
                thread = None
                runner.release()  # jobs queued meanwhile find the lock free
                if errors:
                    raise errors[0]
                finished.clear()
        if interrupted.is_set():
            _cancel(runner, queue, ids, thread is not None, finished)
            sys.stderr.write("\npreviz: cancelled\n")
            return 130
    finally:
        if thread is not None and not finished.is_set():
            runner.cancel_current()
            finished.wait(CANCEL_WAIT_S)
        runner.stop()
    final = [queue.get(j) for j in sorted(ids)]
    for j in final:  # the jobs another process ran
        announce(j)
    takes = [svc.take_by_id(j.take_id) for j in final if j.status == "done" and j.take_id]
    if json_out:
        emit_json(takes[0] if len(final) == 1 and takes else takes)
    failed = [j for j in final if j.status != "done"]
    for j in failed:
        sys.stderr.write(f"previz: {labels[j.id]} {j.status}: {j.message or 'no reason given'}\n")
    if failed:
        return 1
    return 0


def _cancel(runner: Any, queue: Any, ids: set[int], own: bool, finished: threading.Event) -> None:
    """Ctrl-C: cancel this command's jobs wherever they are; hand back another's running here."""
    current = runner.current_job if own else None
    if current is not None and current not in ids:
        runner.release_current()  # another command's job: back to the queue, not cancelled
    for jid in sorted(ids):
        try:
            if jid == current:
                runner.cancel(jid)
            else:
                queue.request_cancel(jid)
        except Exception:  # noqa: BLE001 - already finished: nothing to cancel
            pass
    if own:
        runner.stop_after_current()
        finished.wait(CANCEL_WAIT_S)
    else:  # the process running our job stops it within a second or two
        deadline = time.monotonic() + CANCEL_WAIT_S
        while time.monotonic() < deadline and any(queue.get(j).status == "running" for j in ids):
            time.sleep(POLL_S)
    for jid in sorted(ids):  # one handed back to the queue meanwhile is not run later
        with contextlib.suppress(Exception):
            queue.cancel_pending(jid)


def _show_others(queue: Any, ids: set[int], bar: _Bar, labels: dict[int, str]) -> None:
    for jid in sorted(ids):
        j = queue.get(jid)
        if j.status == "running":
            bar.update(labels[j.id], int(j.progress * 100), 100, None)


def _label(svc: Any, job: Any) -> str:
    try:
        shot = svc.shot(job.shot_id)
        return f"{shot.sequence_name}/{shot.code} {job.kind}"
    except Exception:
        return f"job {job.id}"


def _parse_images(values: list[str] | None) -> list[tuple[str, int]]:
    from previz.core.errors import UsageError

    out = []
    for v in values or []:
        path, sep, frame = v.rpartition("@")
        if not sep or not path:
            path, frame = v, "0"
        if frame in ("last", "end"):
            idx = -1
        else:
            try:
                idx = int(frame)
            except ValueError:
                raise UsageError(
                    f"--image {v!r}: use FILE or FILE@FRAME (a frame number or 'last')"
                ) from None
        out.append((path, idx))
    return out


def cmd_generate(a: argparse.Namespace) -> int:
    from previz.core.errors import UsageError
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        gen = _placed(Generation(svc), svc, a)
        if a.all:
            if a.shots:
                raise UsageError("give shots or --all, not both")
            targets = [s for seq in svc.sequences() for s in svc.shots(seq.id) if s.take_count == 0]
            if not targets:
                info("every shot already has a take; name shots to make new takes")
                emit_json([]) if a.json else None
                return 0
            shot_refs: list[Any] = [s.id for s in targets]
        else:
            if not a.shots:
                raise UsageError("name one or more shots (SEQ/CODE or CODE), or use --all")
            shot_refs = a.shots
        images = _parse_images(a.image)
        if a.rerender:
            if len(shot_refs) != 1 or a.all:
                raise UsageError("--rerender re-renders one shot's draft take; name one shot")
            job = gen.rerender(shot_refs[0], a.take, _choice(a))
            return run_jobs(svc, [job], a.json, stop)
        if a.reroll_from is not None:
            if len(shot_refs) != 1 or a.all:
                raise UsageError("--reroll-from re-rolls one shot's take; name one shot")
            job = gen.reroll(shot_refs[0], a.reroll_from, _choice(a), take=a.take, prompt=a.prompt)
            return run_jobs(svc, [job], a.json, stop)
        jobs = []
        for ref in shot_refs:  # validate every request before queueing any of them
            svc.resolve_shot(ref)
        for ref in shot_refs:
            window = None
            if a.window:
                from previz.core.time import parse_duration

                window = parse_duration(
                    a.window, svc.sequence(svc.resolve_shot(ref).sequence_id).fps
                )
            jobs += gen.generate(
                ref,
                _choice(a),
                count=a.count,
                images=images,
                prompt=a.prompt,
                window_frames=window,
                color_match=not a.no_color_match,
            )
        return run_jobs(svc, jobs, a.json, stop)


def cmd_extend(a: argparse.Namespace) -> int:
    from previz.core.time import parse_duration
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        shot = svc.resolve_shot(a.shot)
        parent = svc.take(shot.id, a.take)
        frames = parse_duration(a.duration, parent.fps)
        job = _placed(Generation(svc), svc, a).extend(
            shot.id,
            "backward" if a.backward else "forward",
            frames,
            _choice(a),
            prompt=a.prompt,
            take=a.take,
        )
        return run_jobs(svc, [job], a.json, stop)


def cmd_bridge(a: argparse.Namespace) -> int:
    from previz.core.time import parse_duration
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        frames = None
        if a.duration:
            frames = parse_duration(
                a.duration, svc.sequence(svc.resolve_shot(a.shot_a).sequence_id).fps
            )
        shot, job = _placed(Generation(svc), svc, a).bridge(
            a.shot_a, a.shot_b, _choice(a), duration_frames=frames, prompt=a.prompt
        )
        info(f"inserted bridge shot {shot.sequence_name}/{shot.code}")
        return run_jobs(svc, [job], a.json, stop)


def cmd_remix(a: argparse.Namespace) -> int:
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        job = _placed(Generation(svc), svc, a).remix(
            a.shot, a.prompt, _choice(a), strength=a.strength, take=a.take
        )
        return run_jobs(svc, [job], a.json, stop)


def cmd_loop(a: argparse.Namespace) -> int:
    from previz.services.generation import Generation
    from previz.services.project import ProjectService

    with interruptible() as stop, ProjectService.open(a.dir) as svc:
        job = _placed(Generation(svc), svc, a).loop(
            a.shot, _choice(a), take=a.take, prompt=a.prompt
        )
        return run_jobs(svc, [job], a.json, stop)


def register(add: Any) -> None:
    sp = add("generate", cmd_generate, "generate new takes for shots (text or image to video)")
    sp.add_argument("dir")
    sp.add_argument("shots", nargs="*", metavar="SHOT")
    sp.add_argument("--all", action="store_true", help="every shot that has no take yet")
    sp.add_argument(
        "--count", type=int, default=1, help="variations: N takes with seeds seed..seed+N-1"
    )
    sp.add_argument(
        "--image",
        action="append",
        metavar="FILE[@FRAME]",
        help="pin a still at a frame (0 = first, 'last', or a number); repeatable",
    )
    sp.add_argument(
        "--prompt",
        help="use this prompt instead of the shot's (re-prompt); timed "
        "sections like '0-4 s: …; 4-8 s: …' give each window its own prompt",
    )
    ls = sp.add_argument_group("long shots")
    ls.add_argument(
        "--window",
        metavar="DUR",
        help="make the shot in windows of this length (default: the engine's longest generation)",
    )
    ls.add_argument(
        "--reroll-from",
        dest="reroll_from",
        type=int,
        metavar="K",
        help="a new take that keeps windows 1..K-1 of --take and remakes the rest",
    )
    ls.add_argument(
        "--take",
        type=int,
        help="with --reroll-from or --rerender: the take (default: the selected one)",
    )
    dr = sp.add_argument_group("drafts")
    dr.add_argument(
        "--draft", action="store_true", help="a cheap preview: half size and a quarter of the steps"
    )
    dr.add_argument(
        "--rerender",
        action="store_true",
        help="re-render a draft take (--take, default: selected) at full quality "
        "with the same seed",
    )
    ls.add_argument(
        "--no-color-match",
        dest="no_color_match",
        action="store_true",
        help="do not match each window's colour and exposure to the first window",
    )
    ls.add_argument(
        "--long-method",
        dest="long_method",
        choices=("auto", "chain", "pipeline"),
        help="how a long shot is made: the model's long-video pipeline in one call (LTX-Video), "
        "chained windows, or auto: the pipeline where the model has one (default: your setting)",
    )
    add_engine_options(sp)

    sp = add("extend", cmd_extend, "extend a take forward or backward in time (a new, longer take)")
    sp.add_argument("dir")
    sp.add_argument("shot")
    d = sp.add_mutually_exclusive_group(required=True)
    d.add_argument("--forward", action="store_true")
    d.add_argument("--backward", action="store_true")
    sp.add_argument("--duration", required=True, help="how much to add: 2s, 48f …")
    sp.add_argument("--prompt", help="a new prompt for the added part")
    sp.add_argument("--take", type=int, help="the take to extend (default: the selected one)")
    add_engine_options(sp)

    sp = add("bridge", cmd_bridge, "insert a generated shot between two adjacent shots")
    sp.add_argument("dir")
    sp.add_argument("shot_a")
    sp.add_argument("shot_b")
    sp.add_argument("--duration", help="length of the bridge (default 1s)")
    sp.add_argument("--prompt")
    add_engine_options(sp)

    sp = add("remix", cmd_remix, "restyle a take with a new prompt (video to video)")
    sp.add_argument("dir")
    sp.add_argument("shot")
    sp.add_argument("--prompt", required=True)
    sp.add_argument(
        "--strength", type=float, default=0.6, help="how far from the source, 0-1 (0.6)"
    )
    sp.add_argument("--take", type=int, help="the take to remix (default: the selected one)")
    add_engine_options(sp)

    sp = add("loop", cmd_loop, "a take whose end leads back into its start")
    sp.add_argument("dir")
    sp.add_argument("shot")
    sp.add_argument("--take", type=int, help="close this take into a loop (default: a new take)")
    sp.add_argument("--prompt")
    add_engine_options(sp)
