"""Any text parses and breaks down without crashing; notes never leak (property tests)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from previz.screenplay import ScreenplayError, breakdown, parse

PIECES = [
    "INT. HOUSE - DAY",
    "EXT. PIER - NIGHT #3#",
    ".FORCED",
    "..dots",
    "ANNA",
    "BOB ^",
    "@mcgee",
    "(beat)",
    "Hello there.",
    "Some action happens here.",
    "!FORCED ACTION",
    "CUT TO:",
    "> FORCED TRANSITION",
    "> CENTERED <",
    "# Section",
    "= synopsis",
    "===",
    "~lyric",
    "  ",
    "",
    "\t",
    "Title: X",
    "    indented",
    "[[",
    "]]",
    "/*",
    "*/",
    "*bold* _under_",
    "ZOË (V.O.)",
    "\r",
]

lines = st.lists(st.sampled_from(PIECES) | st.text(max_size=20), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
def test_any_text_parses_and_breaks_down(parts: list[str]) -> None:
    text = "\n".join(parts)
    script = parse(text)
    total = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    numbers = [e.line for e in script.elements]
    assert numbers == sorted(numbers)
    assert all(1 <= n <= total for n in numbers)
    try:
        result = breakdown(script)
    except ScreenplayError as exc:  # the same #n# twice is the only user error
        assert "used twice" in str(exc)
        return
    assert len(result.scenes) == len(script.scene_headings)
    for scene in result.scenes:
        assert scene.beats and scene.page_eighths >= 1
        assert all(b.estimated_frames >= 24 for b in scene.beats)


SECRET = "QXZSECRET"


@settings(max_examples=300, deadline=None)
@given(lines, st.integers(min_value=0, max_value=60), st.booleans())
def test_closed_notes_and_boneyard_never_leak(parts: list[str], at: int, note: bool) -> None:
    opener, closer = ("[[", "]]") if note else ("/*", "*/")
    # A note must not contain an empty line; boneyard may.
    inner = f"{SECRET} one\n  \n{SECRET} two" if note else f"{SECRET}\n\nINT. {SECRET} - DAY"
    parts = [p.replace("[", "").replace("]", "").replace("/*", "").replace("*/", "") for p in parts]
    parts.insert(min(at, len(parts)), f"{opener}{inner}{closer}")
    script = parse("\n".join(parts))
    assert all(SECRET not in e.text for e in script.elements)
    assert all(SECRET not in v for v in script.title_page.values())
