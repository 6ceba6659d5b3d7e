"""What a cycle prints: repeated problems are said once."""

from __future__ import annotations

import pytest

from sync.cycle_output import same_message


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ({}, []),
        ({"A/1": "x"}, [("A/1", "x")]),
        ({"A/1": "x", "A/2": "y", "B/1": "x"}, [("A/1, B/1", "x"), ("A/2", "y")]),
        ({f"A/{n}": "down" for n in range(1, 8)}, [("A/1, A/2, A/3 and 4 more", "down")]),
    ],
)
def test_same_message(errors: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert same_message(errors) == expected
