"""What the worker last wrote to an issue, so an edit of the definition reaches it once and
only the fields that changed are written. Pure.

The state store keeps one short string per issue (at most 64 characters)::

    t=1a2b3c4d;d=2024-03-26;p=critical

``t`` fingerprints the text (an item's description; a tracking issue's title and body),
``d`` is the deadline and ``p`` the priority.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Literal

Field = Literal["text", "deadline", "priority"]
ALL_FIELDS: frozenset[Field] = frozenset({"text", "deadline", "priority"})
_KEYS: dict[str, Field] = {"t": "text", "d": "deadline", "p": "priority"}


def pushed_state(text: str, deadline: date, priority: str) -> str:
    """The string stored for an issue that says ``text`` and is due on ``deadline``."""
    digest = hashlib.sha256(text.strip().encode()).hexdigest()[:12]
    return f"t={digest};d={deadline.isoformat()};p={priority}"


def _parse(state: str) -> dict[Field, str] | None:
    parts: dict[Field, str] = {}
    for chunk in state.split(";"):
        key, sep, value = chunk.partition("=")
        if not sep or key not in _KEYS:
            return None
        parts[_KEYS[key]] = value
    return parts if set(parts) == ALL_FIELDS else None


def changed_fields(before: str, after: str) -> frozenset[Field]:
    """Which fields differ; all of them when ``before`` is not in this format."""
    old, new = _parse(before), _parse(after)
    if old is None or new is None:
        return ALL_FIELDS
    return frozenset(name for name in ALL_FIELDS if old[name] != new[name])
