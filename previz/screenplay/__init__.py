"""Screenplays into shot lists: a Fountain parser, the scene/beat breakdown, re-import planning
and CSV shot lists. Pure standard library (no Qt, database or media code), so the CLI, the app
and the tests all use it the same way.

    script = parse_file("draft2.fountain")
    result = breakdown(script, fps=24)                # scenes, beats (one shot each), elements
    plan = plan_reimport(existing_scenes, result)     # what a new draft changes in a project
    print("\n".join(plan.report_lines()))
    write_shotlist("shots.csv", rows_from_breakdown(result))
"""

from __future__ import annotations

from previz.screenplay.breakdown import (
    Beat,
    Breakdown,
    ElementSpec,
    SceneBreakdown,
    breakdown,
    element_name,
    format_eighths,
    scene_setting,
    source_key,
)
from previz.screenplay.errors import ScreenplayError, ShotlistError
from previz.screenplay.fountain import Script, parse, parse_file
from previz.screenplay.numbering import assign_scene_numbers, scene_number_sort_key
from previz.screenplay.reimport import (
    ExistingScene,
    ExistingShot,
    ReimportPlan,
    plan_reimport,
)
from previz.screenplay.shotlist_csv import (
    ShotlistRow,
    format_duration,
    parse_duration,
    read_shotlist,
    rows_from_breakdown,
    write_shotlist,
)

__all__ = [
    "Beat",
    "Breakdown",
    "ElementSpec",
    "ExistingScene",
    "ExistingShot",
    "ReimportPlan",
    "SceneBreakdown",
    "ScreenplayError",
    "Script",
    "ShotlistError",
    "ShotlistRow",
    "assign_scene_numbers",
    "breakdown",
    "element_name",
    "format_duration",
    "format_eighths",
    "parse",
    "parse_duration",
    "parse_file",
    "plan_reimport",
    "read_shotlist",
    "rows_from_breakdown",
    "scene_number_sort_key",
    "scene_setting",
    "source_key",
    "write_shotlist",
]
