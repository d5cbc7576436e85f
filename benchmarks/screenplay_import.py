"""Time screenplay import (parse + breakdown) on a feature-length script, next to a baseline.

    .venv/bin/python benchmarks/screenplay_import.py [--pages 120] [--repeat 7]

The script is built from the public screenplays in ../shared/fixtures/screenplays when they are
there (their scenes repeated with varied headings and names until the length is reached), else
generated. Baseline: reading the file and splitting it into lines. Also timed: planning a
re-import of the same script with one beat changed. Prints the best and median times of
``--repeat`` runs and the ratio to the baseline; the target is under 2 s for parse + breakdown.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from previz.screenplay import (  # noqa: E402
    ExistingScene,
    ExistingShot,
    breakdown,
    parse,
    parse_file,
    plan_reimport,
)

FIXTURES = ROOT.parent / "shared" / "fixtures" / "screenplays"
_HEADING = re.compile(r"^((?:INT|EXT|EST|I/E)[^\n]*?)(\s+-\s+|,\s+|$)", re.M)


def _fixture_bodies() -> list[str]:
    bodies = []
    for path in sorted(FIXTURES.glob("*.fountain")) if FIXTURES.is_dir() else []:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        # Drop the title page (everything up to the first blank line).
        bodies.append(text.split("\n\n", 1)[1] if ":" in text.split("\n", 1)[0] else text)
    return bodies


def _generated_body(rng: random.Random) -> str:
    names = ["ANNA", "BOB", "DR. JEKYLL", "MRS. O'HARA", "THE CAPTAIN", "ZOË"]
    words = (
        "the rain falls over a quiet street while someone waits by the door and the light "
        "flickers as a car passes slowly under the bridge toward the harbour"
    ).split()
    parts = []
    for scene in range(40):
        parts.append(
            f"{rng.choice(['INT.', 'EXT.'])} PLACE {scene} - {rng.choice(['DAY', 'NIGHT'])}"
        )
        for _ in range(rng.randint(2, 5)):
            parts.append(
                " ".join(rng.choice(words) for _ in range(rng.randint(12, 40))).capitalize() + "."
            )
            for _ in range(rng.randint(0, 3)):
                line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 20)))
                parts.append(f"{rng.choice(names)}\n{line.capitalize()}.")
        parts.append("CUT TO:")
    return "\n\n".join(parts) + "\n"


def build_script(pages: int) -> tuple[str, str]:
    """A Fountain text of about ``pages`` pages, and where its material came from."""
    rng = random.Random(1)
    bodies = _fixture_bodies()
    source = "the public screenplays" if bodies else "generated scenes"
    chunks = ["Title: Benchmark Feature\nAuthor: Previz\n\n"]
    total_eighths = 0
    copy = 0
    while total_eighths < pages * 8:
        copy += 1
        for body in bodies or [_generated_body(rng)]:
            # Vary headings so scenes and locations are not all the same across copies.
            varied = _HEADING.sub(lambda m, c=copy: f"{m.group(1)} {c}{m.group(2)}", body)
            chunks.append(varied.rstrip("\n") + "\n\n")
            total_eighths += breakdown(parse(varied)).page_eighths
    return "".join(chunks), source


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    text, source = build_script(args.pages)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feature.fountain"
        path.write_text(text, encoding="utf-8")

        def baseline() -> object:
            return path.read_text(encoding="utf-8").splitlines()

        def import_script() -> object:
            return breakdown(parse_file(path), fps=24)

        result = breakdown(parse_file(path), fps=24)
        beats = sum(len(s.beats) for s in result.scenes)
        base_best, base_median = timed(baseline, args.repeat)
        imp_best, imp_median = timed(import_script, args.repeat)

        project = []
        shot_id = 1
        for scene in result.scenes:
            shots = []
            for order, beat in enumerate(scene.beats):
                shots.append(
                    ExistingShot(shot_id, beat.source_key, beat.prompt, beat.prompt, order)
                )
                shot_id += 1
            project.append(ExistingScene(scene.number, scene.heading, tuple(shots)))
        # Change one beat: prefix the first action paragraph's first line.
        first_action = next(e for e in parse_file(path).elements if type(e).__name__ == "Action")
        lines = text.split("\n")
        lines[first_action.line - 1] = "Suddenly, " + lines[first_action.line - 1]
        edited_script = parse("\n".join(lines))
        edited = breakdown(edited_script, fps=24)
        plan_best, plan_median = timed(lambda: plan_reimport(project, edited), args.repeat)
        plan = plan_reimport(project, edited)

    print(f"machine: {platform.machine()} {platform.processor() or ''}".rstrip())
    print(f"python: {platform.python_version()}")
    print(
        f"script: {len(text.splitlines())} lines, {result.page_eighths / 8:.1f} pages, "
        f"{len(result.scenes)} scenes, {beats} beats, {len(result.characters)} characters "
        f"(from {source})"
    )
    print(f"baseline read + split lines: best {base_best:.5f} s, median {base_median:.5f} s")
    print(f"parse + breakdown:           best {imp_best:.4f} s, median {imp_median:.4f} s")
    print(f"ratio to baseline (median):  {imp_median / base_median:.0f}x")
    print(f"plan_reimport (1 edit):      best {plan_best:.4f} s, median {plan_median:.4f} s")
    print(f"  plan found: {len(plan.changed)} changed, {len(plan.unchanged)} unchanged shots")
    verdict = "meets" if imp_median < 2.0 else "MISSES"
    print(f"target: parse + breakdown under 2 s for ~120 pages: {verdict}")


if __name__ == "__main__":
    main()
