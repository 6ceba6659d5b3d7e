"""What was last written to an issue, and which fields an edit changes. Pure."""

from __future__ import annotations

from datetime import date

import pytest

from sync.pushed import ALL_FIELDS, changed_fields, pushed_state

BASE = pushed_state("Warn on big tables", date(2024, 3, 26), "high")


@pytest.mark.parametrize(
    ("after", "changed"),
    [
        (pushed_state("Warn on big tables", date(2024, 3, 26), "high"), set()),
        (pushed_state("  Warn on big tables\n", date(2024, 3, 26), "high"), set()),
        (pushed_state("Warn on large tables", date(2024, 3, 26), "high"), {"text"}),
        (pushed_state("Warn on big tables", date(2024, 4, 2), "high"), {"deadline"}),
        (pushed_state("Warn on big tables", date(2024, 3, 26), "low"), {"priority"}),
        (pushed_state("Other", date(2024, 4, 2), "low"), set(ALL_FIELDS)),
    ],
)
def test_changed_fields(after: str, changed: set[str]) -> None:
    assert changed_fields(BASE, after) == changed


@pytest.mark.parametrize("before", ["0123456789abcdef", "", "t=1;d=2", "t=1;d=2;p=3;x=4", "t=1;d=2;q=3"])
def test_a_state_in_another_format_means_everything_changed(before: str) -> None:
    assert changed_fields(before, BASE) == ALL_FIELDS


def test_the_state_fits_its_column() -> None:
    assert len(pushed_state("x" * 4000, date(2024, 12, 31), "critical")) <= 64
