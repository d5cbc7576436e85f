"""Re-import planning: an edited draft against the project made from the last one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from previz.screenplay import ExistingScene, ExistingShot, breakdown, parse, plan_reimport
from previz.screenplay.breakdown import SceneBreakdown

KITCHEN = """\
INT. KITCHEN - NIGHT

ANNA pours coffee.

ANNA
Want some?

BOB shakes his head.

"""
GARDEN = """\
EXT. GARDEN - NIGHT

Rain falls on the roses.

Bob runs across the lawn.

"""
KITCHEN_AGAIN = """\
INT. KITCHEN - NIGHT

Anna locks the door and turns off every light.

"""
GARAGE = """\
INT. GARAGE - DAY

The car will not start.

BOB
Typical.
"""
SHED = """\
EXT. SHED - NIGHT

A fox watches from under the shed.

"""
DRAFT_1 = KITCHEN + GARDEN + KITCHEN_AGAIN + GARAGE


def project_from(scenes: Iterable[SceneBreakdown], first_id: int = 1) -> list[ExistingScene]:
    """What the app holds after importing ``scenes``: one shot per beat, codes 0010, 0020..."""
    shot_id = first_id
    project = []
    for scene in scenes:
        shots = []
        for index, beat in enumerate(scene.beats):
            shots.append(
                ExistingShot(
                    shot_id=shot_id,
                    source_key=beat.source_key,
                    source_prompt=beat.prompt,
                    prompt=beat.prompt,
                    order=index,
                    code=f"{(index + 1) * 10:04d}",
                )
            )
            shot_id += 1
        project.append(ExistingScene(number=scene.number, heading=scene.heading, shots=shots))
    return project


def first_import() -> list[ExistingScene]:
    return project_from(breakdown(parse(DRAFT_1)).scenes)


def reimport(project: list[ExistingScene], text: str):
    return plan_reimport(project, breakdown(parse(text)))


def test_first_import_project_shape() -> None:
    project = first_import()
    assert [(s.number, s.heading, [x.shot_id for x in s.shots]) for s in project] == [
        ("1", "INT. KITCHEN - NIGHT", [1, 2]),
        ("2", "EXT. GARDEN - NIGHT", [3, 4]),
        ("3", "INT. KITCHEN - NIGHT", [5]),
        ("4", "INT. GARAGE - DAY", [6]),
    ]


def test_same_script_changes_nothing() -> None:
    plan = reimport(first_import(), DRAFT_1)
    assert not plan.has_changes
    assert plan.report_lines() == ["Re-import: no changes (6 shots unchanged)."]
    assert [u.shot_id for u in plan.unchanged] == [1, 2, 3, 4, 5, 6]
    assert [s.number for s in plan.scenes] == ["1", "2", "3", "4"]


def test_reflowed_text_is_unchanged() -> None:
    reflowed = DRAFT_1.replace("Rain falls on the roses.", "Rain falls\non the roses.")
    assert not reimport(first_import(), reflowed).has_changes


def test_one_changed_beat() -> None:
    text = DRAFT_1.replace("Rain falls on the roses.", "Rain falls hard on the roses.")
    plan = reimport(first_import(), text)
    assert [(c.shot_id, c.prompt_changed) for c in plan.changed] == [(3, True)]
    assert plan.changed[0].new_prompt == "EXT. garden, night. Rain falls hard on the roses."
    assert plan.report_lines() == [
        "Re-import: 1 changed shot; 5 shots unchanged.",
        'Scene 2: shot 2/0010 changed: "EXT. garden, night. Rain falls on the roses." -> '
        '"EXT. garden, night. Rain falls hard on the roses."',
    ]


def test_dialogue_only_change_keeps_the_prompt() -> None:
    plan = reimport(first_import(), DRAFT_1.replace("Want some?", "Want some coffee?"))
    assert [(c.shot_id, c.prompt_changed) for c in plan.changed] == [(1, False)]
    assert plan.changed[0].beat.caption == "ANNA: Want some coffee?"
    assert plan.report_lines() == [
        "Re-import: 1 changed shot; 5 shots unchanged.",
        "Scene 1: shot 1/0010 changed: dialogue updated, prompt unchanged",
    ]


def test_a_new_scene_between_two_and_three_becomes_2a() -> None:
    plan = reimport(first_import(), KITCHEN + GARDEN + SHED + KITCHEN_AGAIN + GARAGE)
    assert [s.number for s in plan.scenes] == ["1", "2", "2A", "3", "4"]
    (new,) = plan.new_scenes
    assert (new.scene.number, new.scene.name, new.after_number) == (
        "2A",
        "2A EXT. SHED - NIGHT",
        "2",
    )
    assert plan.report_lines() == [
        "Re-import: 1 new scene; 6 shots unchanged.",
        'Scene 2A: new scene "EXT. SHED - NIGHT" (1 shot), after scene 2',
    ]


def test_a_second_new_scene_after_2a_becomes_2b() -> None:
    first = reimport(first_import(), KITCHEN + GARDEN + SHED + KITCHEN_AGAIN + GARAGE)
    project = project_from(first.scenes)  # the app applied the plan
    pond = "EXT. POND - NIGHT\n\nFrogs sing in the dark water.\n\n"
    plan = reimport(project, KITCHEN + GARDEN + SHED + pond + KITCHEN_AGAIN + GARAGE)
    assert [s.number for s in plan.scenes] == ["1", "2", "2A", "2B", "3", "4"]


def test_a_new_scene_at_the_start_and_at_the_end() -> None:
    plan = reimport(first_import(), SHED + DRAFT_1 + "\n\nEXT. ROAD - DAY\n\nDust everywhere.\n")
    assert [s.number for s in plan.scenes] == ["A1", "1", "2", "3", "4", "5"]
    assert [(n.scene.number, n.after_number) for n in plan.new_scenes] == [("A1", None), ("5", "4")]


def test_a_deleted_scene_is_flagged_and_others_keep_their_numbers() -> None:
    plan = reimport(first_import(), KITCHEN + GARDEN + GARAGE)
    assert [s.number for s in plan.scenes] == ["1", "2", "4"]
    assert [(r.number, r.shot_ids) for r in plan.removed_scenes] == [("3", (5,))]
    assert plan.report_lines() == [
        "Re-import: 1 removed scene; 5 shots unchanged.",
        'Scene 3: "INT. KITCHEN - NIGHT" is no longer in the script (kept, flagged; 1 shot)',
    ]


def test_scenes_with_the_same_heading_are_told_apart_by_content() -> None:
    plan = reimport(first_import(), GARDEN + KITCHEN_AGAIN + GARAGE)
    assert [s.number for s in plan.scenes] == ["2", "3", "4"]
    assert [r.number for r in plan.removed_scenes] == ["1"]
    assert [m.existing_number for m in plan.scene_matches] == ["2", "3", "4"]


def test_a_changed_heading_still_matches_its_scene() -> None:
    text = DRAFT_1.replace("EXT. GARDEN - NIGHT", "EXT. BACK GARDEN - DAY")
    plan = reimport(first_import(), text)
    assert [s.number for s in plan.scenes] == ["1", "2", "3", "4"]
    assert not plan.new_scenes and not plan.removed_scenes
    assert [(c.shot_id, c.new_prompt) for c in plan.changed] == [
        (3, "EXT. back garden, day. Rain falls on the roses."),
        (4, "EXT. back garden, day. @Bob runs across the lawn."),
    ]
    assert plan.report_lines()[:2] == [
        "Re-import: 2 changed shots, 1 changed heading; 4 shots unchanged.",
        'Scene 2: heading changed: "EXT. GARDEN - NIGHT" -> "EXT. BACK GARDEN - DAY"',
    ]


def test_a_new_beat_is_placed_after_the_shot_before_it() -> None:
    text = DRAFT_1.replace(
        "Rain falls on the roses.\n", "Rain falls on the roses.\n\nThunder rolls over the hills.\n"
    )
    plan = reimport(first_import(), text)
    (added,) = plan.added
    assert (added.scene_number, added.after_shot_id, added.after_code, added.beat.ordinal) == (
        "2",
        3,
        "0010",
        2,
    )
    assert plan.report_lines() == [
        "Re-import: 1 new shot; 6 shots unchanged.",
        'Scene 2: new shot after shot 2/0010: "EXT. garden, night. Thunder rolls over the hills."',
    ]


def test_a_new_first_beat_goes_at_the_start() -> None:
    text = DRAFT_1.replace("ANNA pours coffee.", "The clock ticks.\n\nANNA pours coffee.")
    (added,) = reimport(first_import(), text).added
    assert (added.after_shot_id, added.beat.ordinal) == (None, 1)


def test_a_removed_beat_is_flagged() -> None:
    plan = reimport(first_import(), DRAFT_1.replace("Bob runs across the lawn.\n\n", ""))
    assert [(r.shot_id, r.code) for r in plan.removed] == [(4, "0020")]
    assert plan.report_lines() == [
        "Re-import: 1 removed shot; 5 shots unchanged.",
        'Scene 2: shot 2/0020 is no longer in the script (kept, flagged): "EXT. garden, night. '
        '@Bob runs across the lawn."',
    ]


def edited(project: list[ExistingScene], shot_id: int, prompt: str) -> list[ExistingScene]:
    return [
        replace(
            scene,
            shots=tuple(
                replace(s, prompt=prompt) if s.shot_id == shot_id else s for s in scene.shots
            ),
        )
        for scene in project
    ]


def test_hand_edited_prompt_and_changed_beat_is_a_conflict() -> None:
    project = edited(first_import(), 3, "EXT. garden, night. Heavy rain on red roses, close-up.")
    text = DRAFT_1.replace("Rain falls on the roses.", "Rain falls hard on the roses.")
    plan = reimport(project, text)
    assert plan.changed == ()
    (conflict,) = plan.conflicts
    assert conflict.shot_id == 3
    assert conflict.current_prompt == "EXT. garden, night. Heavy rain on red roses, close-up."
    assert conflict.new_prompt == "EXT. garden, night. Rain falls hard on the roses."
    assert plan.report_lines() == [
        "Re-import: 1 conflict; 5 shots unchanged.",
        "Scene 2: CONFLICT on shot 2/0010: its prompt was edited by hand and was kept; the script "
        'now reads "EXT. garden, night. Rain falls hard on the roses."',
    ]


def test_hand_edited_prompt_with_unchanged_beat_is_left_alone() -> None:
    project = edited(first_import(), 3, "EXT. garden, night. Heavy rain on red roses, close-up.")
    plan = reimport(project, DRAFT_1)
    assert not plan.has_changes
    assert 3 in {u.shot_id for u in plan.unchanged}


def test_hand_edit_that_already_matches_the_new_script_is_no_conflict() -> None:
    new_prompt = "EXT. garden, night. Rain falls hard on the roses."
    project = edited(first_import(), 3, new_prompt)
    plan = reimport(project, DRAFT_1.replace("on the roses", "hard on the roses"))
    assert plan.conflicts == ()
    assert [c.shot_id for c in plan.changed] == [3]


def test_shots_made_by_hand_are_never_reported() -> None:
    project = first_import()
    garden = project[1]
    hand_made = ExistingShot(
        shot_id=99, source_key="", source_prompt="", prompt="Insert: roses", order=5, code="0030"
    )
    project[1] = replace(garden, shots=garden.shots + (hand_made,))
    plan = reimport(project, DRAFT_1)
    assert not plan.has_changes
    assert 99 not in {u.shot_id for u in plan.unchanged}


def test_script_numbers_match_scenes_whatever_their_content() -> None:
    v1 = "INT. LAB - DAY #10#\n\nTubes bubble.\n\nEXT. FIELD - DAY #20#\n\nCows graze.\n"
    v2 = "INT. OFFICE - NIGHT #10#\n\nA phone rings endlessly.\n\nEXT. FIELD - DAY #20#\n\nCows graze.\n"
    project = project_from(breakdown(parse(v1)).scenes)
    plan = reimport(project, v2)
    assert [(m.existing_number, m.number, m.by) for m in plan.scene_matches] == [
        ("10", "10", "number"),
        ("20", "20", "number"),
    ]
    assert not plan.new_scenes and not plan.removed_scenes
    assert [r.new_heading for r in plan.retitled_scenes] == ["INT. OFFICE - NIGHT"]
    assert [r.shot_id for r in plan.removed] == [1]
    assert [a.beat.action_text for a in plan.added] == ["A phone rings endlessly."]


def test_all_changes_at_once_are_named_exactly() -> None:
    project = edited(first_import(), 6, "INT. garage, day. A rusty car coughs, close on the key.")
    text = (
        KITCHEN.replace("BOB shakes his head.", "BOB shakes his head slowly.")
        + GARDEN
        + SHED
        + GARAGE.replace("The car will not start.", "The old car will not start.")
    )
    plan = reimport(project, text)
    assert plan.report_lines() == [
        "Re-import: 1 changed shot, 1 conflict, 1 new scene, 1 removed scene; 3 shots unchanged.",
        'Scene 1: shot 1/0020 changed: "INT. kitchen, night. @Bob shakes his head." -> '
        '"INT. kitchen, night. @Bob shakes his head slowly."',
        'Scene 2A: new scene "EXT. SHED - NIGHT" (1 shot), after scene 2',
        "Scene 4: CONFLICT on shot 4/0010: its prompt was edited by hand and was kept; the script "
        'now reads "INT. garage, day. The old car will not start."',
        'Scene 3: "INT. KITCHEN - NIGHT" is no longer in the script (kept, flagged; 1 shot)',
    ]


def test_existing_scene_sorts_its_shots_by_order() -> None:
    shots = [
        ExistingShot(shot_id=2, source_key="b", source_prompt="", prompt="", order=20),
        ExistingShot(shot_id=1, source_key="a", source_prompt="", prompt="", order=10),
    ]
    scene = ExistingScene(number="1", heading="INT. A - DAY", shots=shots)
    assert [s.shot_id for s in scene.shots] == [1, 2]
    assert isinstance(scene.shots, tuple)


def test_report_on_a_long_prompt_shows_the_words_that_changed() -> None:
    long_action = (
        "Anna crosses the wide kitchen, past the humming fridge and the stack of unopened "
        "letters, and stops at the window to watch the orange rain."
    )
    v1 = f"INT. KITCHEN - NIGHT\n\n{long_action}\n"
    project = project_from(breakdown(parse(v1)).scenes)
    plan = reimport(project, v1.replace("orange rain", "silver rain"))
    (line,) = plan.report_lines()[1:]
    assert "orange rain" in line and "silver rain" in line
    assert line.startswith('Scene 1: shot 1/0010 changed: "…')
