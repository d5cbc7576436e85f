from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from previz.core.codes import code_between, next_code, parse_code


def test_codes_go_in_tens_and_inserts_take_the_midpoint() -> None:
    assert next_code([]) == "0010"
    assert next_code(["0010"]) == "0020"
    assert code_between("0010", "0020", ["0010", "0020"]) == "0015"
    assert code_between("0010", "0015", ["0010", "0015", "0020"]) == "0012"
    assert code_between("0010", "0011", ["0010", "0011"]) == "0010A"
    assert code_between("0010A", "0011", ["0010", "0010A", "0011"]) == "0010B"
    assert code_between(None, "0010", ["0010"]) == "0005"


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=60))
def test_any_sequence_of_inserts_keeps_codes_unique_and_valid(positions: list[int]) -> None:
    order: list[str] = []
    for p in positions:
        i = p % (len(order) + 1)
        before = order[i - 1] if i > 0 else None
        after = order[i] if i < len(order) else None
        code = code_between(before, after, order) if order else next_code(order)
        parse_code(code)
        assert code not in order
        order.insert(i, code)
    assert len(set(order)) == len(order)
