"""Markers count only where the worker writes them."""

from __future__ import annotations

import pytest

from connectors.markers import closes_with, report_marker

MARK = report_marker("INC-3", 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Report\n\n<!-- {MARK} -->\n", True),  # GitHub
        (f"Report\n\n`{MARK}`", True),  # Jira text read back
        (f"| AI-1 | mention {MARK} in a description |\n\nrest of the report\n\n<!-- other -->", False),
        (f"{MARK}\nsomething a person added below", False),
        ("", False),
        (None, False),
    ],
)
def test_closes_with(text: str | None, expected: bool) -> None:
    assert closes_with(text, MARK) is expected
