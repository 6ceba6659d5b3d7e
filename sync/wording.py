"""Small helpers for text people read."""

from __future__ import annotations

from datetime import UTC, datetime

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10)) | dict.fromkeys(range(127, 160))


def printable(text: str) -> str:
    """``text`` without control characters: a definition or a tracker must not be able to
    clear the screen, retitle the window or disguise a link (ANSI escape sequences)."""
    return text.translate(_CONTROL)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 action item``, ``2 action items``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def when(moment: datetime | None) -> str:
    """A moment as people read it: ``2024-03-12 14:47 UTC``."""
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
