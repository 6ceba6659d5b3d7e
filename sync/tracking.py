"""Which tracker a post-mortem's ``tracking_issue`` reference points at."""

from __future__ import annotations

import re

from connectors.base import TrackerKind

_GITHUB = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[1-9][0-9]*$")
_JIRA = re.compile(r"^[A-Z][A-Z0-9_]+-[1-9][0-9]*$")


def tracker_of(reference: str) -> TrackerKind:
    """``owner/repo#N`` is GitHub, ``KEY-N`` is Jira; anything else is an error."""
    if _GITHUB.match(reference):
        return "github"
    if _JIRA.match(reference):
        return "jira"
    raise ValueError(f"{reference!r} is neither a GitHub issue (owner/repo#N) nor a Jira issue (KEY-N)")
