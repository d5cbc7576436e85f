"""The public screenplays in shared/fixtures/screenplays (skipped where that folder is absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from previz.screenplay import breakdown, element_name, parse, parse_file

FOLDER = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "screenplays"
pytestmark = pytest.mark.fixtures

BRICK = "Brick-and-Steel.fountain"
CARD = "The-Last-Birthday-Card.fountain"


def fixture(name: str) -> Path:
    path = FOLDER / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (the public screenplays live in shared/fixtures)")
    return path


def all_fixtures() -> list[Path]:
    if not FOLDER.is_dir():
        pytest.skip(f"{FOLDER} is not here (the public screenplays live in shared/fixtures)")
    found = sorted(FOLDER.glob("*.fountain"))
    if not found:
        pytest.skip(f"no .fountain files in {FOLDER}")
    return found


_HEADING_LINE = re.compile(r"^(?:(?:INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[. ]|\.[A-Za-z0-9])", re.I)
_CUE_LINE = re.compile(r"^[A-Z][A-Z0-9 .'’&-]*?\s*(?:\([^)]*\)\s*)*\^?$")


def independent_heading_count(text: str) -> int:
    """Scene heading lines counted straight from the file: a blank line, then a line starting
    with INT/EXT/EST/I/E and a dot or space, or a single period and a letter or digit."""
    lines = text.splitlines()
    count = 0
    for i, line in enumerate(lines):
        previous_blank = i == 0 or not lines[i - 1].strip()
        if previous_blank and _HEADING_LINE.match(line.strip()):
            count += 1
    return count


def independent_speakers(text: str) -> set[str]:
    """Character cues counted straight from the file: after a blank line, an upper-case line
    (optionally with extensions) followed by a non-blank line, not a heading or transition."""
    lines = text.splitlines()
    names: set[str] = set()
    for i, line in enumerate(lines[:-1]):
        s = line.strip()
        if i and lines[i - 1].strip():
            continue
        if not s or not lines[i + 1].strip() or s.endswith(":") or _HEADING_LINE.match(s):
            continue
        if _CUE_LINE.match(s) and any(c.isalpha() for c in s):
            names.add(re.sub(r"\s*(\(.*\))?\s*\^?$", "", s))
    return names


@pytest.fixture(params=[BRICK, CARD])
def path(request: pytest.FixtureRequest) -> Path:
    return fixture(request.param)


def test_one_scene_per_scene_heading_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    expected = independent_heading_count(text)
    assert expected > 5  # the files really have scenes: the count is not vacuous
    result = breakdown(parse_file(path))
    assert len(result.scenes) == expected
    assert [s.number for s in result.scenes] == [str(n) for n in range(1, expected + 1)]
    assert all(s.beats for s in result.scenes)


def test_every_fixture_in_the_folder_parses_and_breaks_down() -> None:
    for path in all_fixtures():
        result = breakdown(parse_file(path))
        text = path.read_text(encoding="utf-8-sig")
        assert len(result.scenes) == independent_heading_count(text), path.name


def test_every_speaking_character_becomes_an_element(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    speakers = independent_speakers(text)
    assert len(speakers) >= 5
    result = breakdown(parse_file(path))
    assert {c.name for c in result.characters} == {element_name(s) for s in speakers}
    # and each speaks in some beat's dialogue
    spoken = {who for s in result.scenes for b in s.beats for who, _line in b.dialogue}
    assert {element_name(w) for w in spoken} == {c.name for c in result.characters}


def test_brick_and_steel_known_scenes() -> None:
    script = parse_file(fixture(BRICK))
    assert script.title_page["Author"] == "Stu Maschwitz"
    assert script.title_page["Title"] == "BRICK & STEEL\nFULL RETIRED"
    result = breakdown(script)
    scenes = {s.number: s for s in result.scenes}
    patio = scenes["1"]
    assert (patio.int_ext, patio.location, patio.time_of_day) == ("EXT", "BRICK'S PATIO", "DAY")
    assert patio.name == "1 EXT. BRICK'S PATIO - DAY"
    assert patio.location_element == "BricksPatio"
    assert scenes["2"].heading == "INT. TRAILER HOME - DAY"
    sniper = scenes["4"]
    assert (sniper.heading, sniper.forced, sniper.int_ext) == ("SNIPER SCOPE POV", True, "")
    assert sniper.location_element == ""
    assert scenes["7"].location == "GARAGE"
    assert scenes["8"].location == "PALATIAL MANSION"
    assert {c.name for c in result.characters} == {
        "Brick",
        "Steel",
        "Jack",
        "Dan",
        "Cognito",
        "Minion",
        "HandsomeMan",
    }
    # The first beat of the garage scene mentions both heroes as elements.
    garage = scenes["7"].beats[0]
    assert garage.prompt.startswith("INT. garage, day. @Brick and @Steel get into Mom's PORSCHE")
    assert garage.caption.splitlines()[0] == "BRICK: This is everybody we've ever put away."
    # Dual dialogue: both speakers in the beat, in order.
    patio_last = patio.beats[-1]
    assert [who for who, _ in patio_last.dialogue] == ["STEEL", "BRICK"]
    # Emphasis markers are gone.
    assert all("*" not in b.prompt and "_" not in b.prompt for s in result.scenes for b in s.beats)


def test_last_birthday_card_known_scenes() -> None:
    result = breakdown(parse_file(fixture(CARD)))
    scenes = {s.number: s for s in result.scenes}
    assert len(scenes) == 48
    hallway = scenes["2"]
    assert (hallway.int_ext, hallway.location, hallway.time_of_day) == (
        "INT",
        "HALLWAY, SCOTT'S APARTMENT BUILDING",
        "A MOMENT LATER",
    )
    assert scenes["3"].heading == "BACK IN THE APARTMENT" and scenes["3"].forced
    no_period = scenes["15"]
    assert (no_period.int_ext, no_period.location, no_period.time_of_day) == (
        "INT",
        "SCOTT'S APARTMENT",
        "SAME TIME",
    )
    assert scenes["22"].location == "LANDCRUISER, DRIVING"
    assert scenes["22"].time_of_day == "A BIT LATER"
    assert scenes["23"].location == "SOUTHERN EXPOSURE GALLERY, SOUTH OF MARKET"
    assert scenes["23"].time_of_day == ""
    last = scenes["48"]
    assert last.heading == "INT. SCOTT'S NEW APARTMENT, A FEW DAYS LATER"
    assert last.time_of_day == "A FEW DAYS LATER"
    # One location element for Scott's apartment although three headings use it.
    assert [loc.name for loc in result.locations].count("ScottsApartment") == 1
    scotts = next(loc for loc in result.locations if loc.name == "ScottsApartment")
    assert scotts.description == "Scott's Apartment (interior and exterior)"
    assert "TheBoss" in {c.name for c in result.characters}
    # Sections, synopses and transitions are not beats.
    everything = " ".join(b.prompt for s in result.scenes for b in s.beats)
    assert "Meet the players" not in everything
    assert "CUT TO" not in everything


def test_length_estimates_come_to_about_a_minute_a_page() -> None:
    pages = seconds = 0.0
    for name in (BRICK, CARD):
        result = breakdown(parse_file(fixture(name)), fps=24)
        pages += result.page_eighths / 8
        seconds += result.estimated_frames / 24
    assert 0.8 < seconds / 60 / pages < 1.2


def _with_notes_and_boneyard(text: str) -> str:
    """The script with a note in every action paragraph and dialogue, a multi-line note, and
    boneyard blocks that hide a whole fake scene."""
    out: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        s = line.strip()
        if s and s[0].islower() or (s and s[0] == s[0].upper() and any(c.islower() for c in s)):
            line = f"{line} [[NOTESENTINEL inline]]"
        out.append(line)
        if not s and i + 1 < len(lines) and lines[i + 1].startswith(("INT", "EXT")):
            out += [
                "/* BONEYARDSENTINEL",
                "",
                "INT. BONEYARD SET - NIGHT",
                "",
                "BONEYARDSENTINEL walks.",
                "*/",
                "[[NOTESENTINEL spanning",
                "two lines]]",
                "",
            ]
    return "\n".join(out)


def test_notes_and_boneyard_never_reach_a_prompt(path: Path) -> None:
    clean_text = path.read_text(encoding="utf-8-sig")
    dirty_text = _with_notes_and_boneyard(clean_text)
    assert dirty_text.count("NOTESENTINEL") > 20 and dirty_text.count("BONEYARDSENTINEL") > 4
    clean = breakdown(parse(clean_text))
    dirty = breakdown(parse(dirty_text))
    texts = [
        value
        for scene in dirty.scenes
        for value in (scene.heading, scene.location)
        + tuple(t for b in scene.beats for t in (b.prompt, b.caption, b.action_text))
    ]
    assert not [t for t in texts if "SENTINEL" in t]
    assert [s.heading for s in dirty.scenes] == [s.heading for s in clean.scenes]
    assert [len(s.beats) for s in dirty.scenes] == [len(s.beats) for s in clean.scenes]
    assert [" ".join(b.prompt.split()) for s in dirty.scenes for b in s.beats] == [
        " ".join(b.prompt.split()) for s in clean.scenes for b in s.beats
    ]


def test_reimport_of_an_edited_public_script_names_exactly_the_edits() -> None:
    from previz.screenplay import ExistingScene, ExistingShot, plan_reimport

    text = fixture(CARD).read_text(encoding="utf-8-sig")
    first = breakdown(parse(text))
    project = []
    shot_id = 0
    for scene in first.scenes:
        shots = []
        for order, beat in enumerate(scene.beats):
            shot_id += 1
            shots.append(ExistingShot(shot_id, beat.source_key, beat.prompt, beat.prompt, order))
        project.append(ExistingScene(scene.number, scene.heading, tuple(shots)))

    lines = text.split("\n")
    scenes = {s.number: s for s in first.scenes}
    # Edit 1: change a word in the first beat of scene 12 (the lobby).
    lobby = scenes["12"].beats[0]
    lines[lobby.line - 1] = lines[lobby.line - 1].replace("impressive lobby", "grand lobby")
    # Edit 2: delete scene 19 (INT. BATHROOM) up to the next heading.
    start, end = scenes["19"].line, scenes["20"].line
    # Edit 3: a new scene after scene 30.
    insert_at = scenes["31"].line - 1
    new_scene = ["INT. STAIRWELL - NIGHT", "", "Scott climbs the stairs two at a time.", ""]
    edited = lines[: start - 1] + lines[end - 1 : insert_at] + new_scene + lines[insert_at:]
    plan = plan_reimport(project, breakdown(parse("\n".join(edited))))

    assert [c.shot_id for c in plan.changed] == [project[11].shots[0].shot_id]
    assert [r.number for r in plan.removed_scenes] == ["19"]
    assert [(n.scene.number, n.after_number) for n in plan.new_scenes] == [("30A", "30")]
    assert not plan.added and not plan.removed and not plan.conflicts and not plan.retitled_scenes
    assert [s.number for s in plan.scenes] == [str(n) for n in range(1, 19)] + [
        str(n) for n in range(20, 31)
    ] + ["30A"] + [str(n) for n in range(31, 49)]
    report = plan.report_lines()
    assert len(report) == 4, report
    assert report[0] == "Re-import: 1 changed shot, 1 new scene, 1 removed scene; " + (
        f"{len(plan.unchanged)} shots unchanged."
    )


@pytest.mark.parametrize("name", [BRICK, CARD])
def test_centred_text_in_the_public_screenplays_makes_no_shot(name: str) -> None:
    text = fixture(name).read_text(encoding="utf-8")
    assert re.search(r"^>\s*THE END\s*<\s*$", text, re.M)  # both scripts end with it
    result = breakdown(parse(text))
    beats = [b for s in result.scenes for b in s.beats]
    assert not [b.prompt for b in beats if "THE END" in b.prompt + b.caption]
    assert not [b.prompt for b in beats if "BRICK BRADDOCK" in b.prompt]  # centred titles
