"""Which of a Jira site's priorities stands for each of ours. Pure.

Sites rename and trim Jira's default scheme (Highest, High, Medium, Low, Lowest); some use
Blocker/Critical/Major/Minor/Trivial. Each of our priorities takes the first name of its
preference list that the site has; none means the issue is filed with the site's default
priority rather than refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PREFERENCES: Mapping[str, tuple[str, ...]] = {
    "critical": ("Highest", "Critical", "Blocker", "Urgent", "High"),
    "high": ("High", "Major", "Highest"),
    "medium": ("Medium", "Normal", "Major"),
    "low": ("Low", "Minor", "Lowest", "Trivial"),
}
#: What to send when the site's priorities could not be read.
DEFAULTS: Mapping[str, str] = {ours: names[0] for ours, names in PREFERENCES.items()}


def choose_priorities(available: Iterable[str], overrides: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Our priority -> the site's priority name (as the site spells it), or None."""
    by_folded = {name.casefold(): name for name in available}
    chosen: dict[str, str | None] = {}
    for ours, preferences in PREFERENCES.items():
        wanted = ((overrides or {}).get(ours), *preferences)
        chosen[ours] = next((by_folded[n.casefold()] for n in wanted if n and n.casefold() in by_folded), None)
    return chosen


def unknown_overrides(available: Iterable[str], overrides: Mapping[str, str]) -> list[str]:
    """The override values the site does not have, as messages naming them."""
    names = sorted(available, key=str.casefold)
    folded = {name.casefold() for name in names}
    return [
        f'priority {ours} is mapped to "{theirs}", which this site does not have (it has: {", ".join(names)})'
        for ours, theirs in overrides.items()
        if theirs.casefold() not in folded
    ]
