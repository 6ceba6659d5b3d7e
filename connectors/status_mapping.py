"""How a tracker's own status words become an action-item status.

Pure functions, tested with tables. Anything the mapping does not know becomes
``UNKNOWN``, which never counts as finished: a post-mortem must not close because a
tracker grew a new state.
"""

from __future__ import annotations

from collections.abc import Collection

from connectors.base import ItemStatus

#: Jira resolutions that mean "the work will not be done", compared case-insensitively.
WONT_FIX_RESOLUTIONS: frozenset[str] = frozenset({"won't do", "won't fix", "duplicate", "cannot reproduce", "declined"})
#: Done-category status names that mean the same where a project sets no resolution
#: (team-managed projects often close with a "Won't do" status instead).
WONT_FIX_STATUSES: frozenset[str] = frozenset(
    {"won't do", "won't fix", "declined", "cancelled", "canceled", "rejected", "duplicate"}
)

_JIRA_CATEGORIES = {
    "new": ItemStatus.OPEN,
    "indeterminate": ItemStatus.IN_PROGRESS,
}

#: GitHub labels that mark an open issue as being worked on.
IN_PROGRESS_LABELS: frozenset[str] = frozenset({"in progress", "in-progress", "status: in progress"})


def normalise(text: str | None) -> str:
    """Lower-cased, trimmed, with typographic apostrophes made straight (for comparisons)."""
    # Jira sites mix typographic and straight apostrophes (a right single quotation mark in "Won't Do").
    return (text or "").strip().lower().replace("\u2019", "'")


def jira_status(
    category_key: str | None,
    status_name: str | None,
    resolution: str | None,
    *,
    wont_fix_resolutions: Collection[str] = WONT_FIX_RESOLUTIONS,
    wont_fix_statuses: Collection[str] = WONT_FIX_STATUSES,
) -> ItemStatus:
    """Map a Jira status category key, status name and resolution name to an item status."""
    category = normalise(category_key)
    if category in _JIRA_CATEGORIES:
        return _JIRA_CATEGORIES[category]
    if category != "done":
        return ItemStatus.UNKNOWN
    if resolution is not None and normalise(resolution) in {normalise(r) for r in wont_fix_resolutions}:
        return ItemStatus.WONT_FIX
    if normalise(status_name) in {normalise(s) for s in wont_fix_statuses}:
        return ItemStatus.WONT_FIX
    return ItemStatus.COMPLETED


def github_status(
    state: str | None,
    state_reason: str | None,
    *,
    labels: Collection[str] = (),
    has_assignee: bool = False,
    assignee_means_in_progress: bool = False,
    in_progress_labels: Collection[str] = IN_PROGRESS_LABELS,
    closed_without_reason: ItemStatus = ItemStatus.COMPLETED,
) -> ItemStatus:
    """Map a GitHub issue's ``state`` and ``state_reason`` to an item status.

    A closed issue without a reason (closed before GitHub recorded reasons) counts as
    ``closed_without_reason``: completed by default, as GitHub itself shows it. A reason
    GitHub adds in future is unknown.
    """
    if state == "open":
        if state_reason not in (None, "reopened"):
            return ItemStatus.UNKNOWN
        if {normalise(label) for label in labels} & {normalise(label) for label in in_progress_labels}:
            return ItemStatus.IN_PROGRESS
        if has_assignee and assignee_means_in_progress:
            return ItemStatus.IN_PROGRESS
        return ItemStatus.OPEN
    if state == "closed":
        if state_reason is None:
            return closed_without_reason
        if state_reason == "completed":
            return ItemStatus.COMPLETED
        if state_reason in ("not_planned", "duplicate"):
            return ItemStatus.WONT_FIX
        return ItemStatus.UNKNOWN
    return ItemStatus.UNKNOWN
