"""Our priorities on Jira sites with different priority schemes."""

import pytest

from connectors.jira_priorities import choose_priorities

DEFAULT_SCHEME = ["Highest", "High", "Medium", "Low", "Lowest"]
CLASSIC_SCHEME = ["Blocker", "Critical", "Major", "Minor", "Trivial"]


@pytest.mark.parametrize(
    ("available", "overrides", "expected"),
    [
        (DEFAULT_SCHEME, None, {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}),
        (CLASSIC_SCHEME, None, {"critical": "Critical", "high": "Major", "medium": "Major", "low": "Minor"}),
        (["high", "medium", "low"], None, {"critical": "high", "high": "high", "medium": "medium", "low": "low"}),
        (["P1", "P2"], None, {"critical": None, "high": None, "medium": None, "low": None}),
        (
            ["P1", "P2", "P3"],
            {"critical": "P1", "high": "P2"},
            {"critical": "P1", "high": "P2", "medium": None, "low": None},
        ),
        (
            DEFAULT_SCHEME,
            {"critical": "Nonexistent"},
            {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"},
        ),
        ([], None, {"critical": None, "high": None, "medium": None, "low": None}),
    ],
)
def test_choose_priorities(
    available: list[str], overrides: dict[str, str] | None, expected: dict[str, str | None]
) -> None:
    assert choose_priorities(available, overrides) == expected
