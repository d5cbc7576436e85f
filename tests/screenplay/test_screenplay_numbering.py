"""Scene numbers: given once, never renumbered."""

from __future__ import annotations

import random

import pytest

from previz.screenplay import ScreenplayError, assign_scene_numbers, scene_number_sort_key


def test_first_import_numbers_one_to_n() -> None:
    assert assign_scene_numbers([None] * 5) == ["1", "2", "3", "4", "5"]


def test_first_import_skips_reserved_numbers() -> None:
    assert assign_scene_numbers([None, None], reserved=["1"]) == ["2", "3"]


def test_inserted_between_four_and_five_becomes_4a_then_4b() -> None:
    assert assign_scene_numbers(["4", None, "5"]) == ["4", "4A", "5"]
    assert assign_scene_numbers(["4", None, None, "5"]) == ["4", "4A", "4B", "5"]
    assert assign_scene_numbers(["4", "4A", None, "5"]) == ["4", "4A", "4B", "5"]


def test_between_lettered_neighbours() -> None:
    assert assign_scene_numbers(["4A", None, "4B"]) == ["4A", "4AA", "4B"]


def test_reserved_letters_are_skipped() -> None:
    assert assign_scene_numbers(["4", None, "5"], reserved=["4A"]) == ["4", "4B", "5"]


def test_before_the_first_scene() -> None:
    assert assign_scene_numbers([None, "1", "2"]) == ["A1", "1", "2"]
    assert assign_scene_numbers([None, None, "1"]) == ["A1", "B1", "1"]


def test_after_the_last_scene_takes_the_next_whole_number() -> None:
    assert assign_scene_numbers(["1", "2", None, None]) == ["1", "2", "3", "4"]
    assert assign_scene_numbers(["1", "2", None], reserved=["3"]) == ["1", "2", "4"]
    assert assign_scene_numbers(["1", "2A", None]) == ["1", "2A", "3"]


def test_kept_numbers_never_change() -> None:
    kept = ["3", None, "7", None, None, "12B", None]
    result = assign_scene_numbers(kept)
    assert [r for r, k in zip(result, kept, strict=True) if k is not None] == ["3", "7", "12B"]
    assert result == ["3", "3A", "7", "7A", "7B", "12B", "13"]


def test_duplicate_kept_numbers_are_an_error() -> None:
    with pytest.raises(ScreenplayError, match="scene number 5 is used twice"):
        assign_scene_numbers(["5", None, "5"])


def test_numbers_of_other_shapes_are_kept_and_extended() -> None:
    result = assign_scene_numbers(["I-1", None, "I-2"])
    assert result[0] == "I-1" and result[2] == "I-2"
    assert result[1] not in ("I-1", "I-2")


def test_sort_key_is_script_order() -> None:
    ordered = ["A1", "B1", "1", "1A", "1AA", "1B", "2", "9", "10", "10A"]
    shuffled = ordered[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=scene_number_sort_key) == ordered


def test_filled_numbers_sort_in_script_order() -> None:
    rng = random.Random(7)
    for _ in range(200):
        kept: list[str | None] = []
        whole = 0
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.5:
                kept.append(None)
            else:
                whole += rng.randint(1, 3)
                kept.append(str(whole))
        result = assign_scene_numbers(kept)
        assert len(set(result)) == len(result)
        assert result == sorted(result, key=scene_number_sort_key), kept
