from __future__ import annotations

import pytest

from previz.core.elements import ElementSpec, check_element_name, expand_prompt, mentions
from previz.core.errors import InvalidInput

ELS = {
    "captain": ElementSpec("Captain", "character", "a grizzled ferry captain in a navy peacoat"),
    "pier": ElementSpec("Pier", "location", "a rain-soaked wooden pier"),
    "noir": ElementSpec("Noir", "style", "high-contrast black and white, hard shadows"),
}


def test_mentions_expand_the_same_way_in_every_shot() -> None:
    a = expand_prompt("WIDE, @Captain walks along @pier", ELS)
    b = expand_prompt("CU, @captain looks up. @NOIR", ELS)
    assert "Captain (a grizzled ferry captain in a navy peacoat)" in a.text
    assert "Captain (a grizzled ferry captain in a navy peacoat)" in b.text
    assert "Pier (a rain-soaked wooden pier)" in a.text
    assert b.text.endswith("Style: high-contrast black and white, hard shadows")
    assert "@" not in b.text
    assert a.used == ("Captain", "Pier")


def test_unknown_mentions_are_kept_and_reported() -> None:
    e = expand_prompt("@Ghost waves at @Captain", ELS)
    assert e.unknown == ("Ghost",)
    assert e.text.startswith("@Ghost waves")


def test_names_are_checked() -> None:
    assert check_element_name("@Red_Coat") == "Red_Coat"
    with pytest.raises(InvalidInput, match="letters, digits and underscore"):
        check_element_name("Mrs. O'Hara")
    assert mentions("@A and @a and @B") == ["A", "B"]
