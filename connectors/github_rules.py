"""How one GitHub repository's issues are read: the settings of the teams that file there."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from connectors.base import ItemStatus
from connectors.status_mapping import IN_PROGRESS_LABELS, github_status


@dataclass(frozen=True)
class GitHubRepoRules:
    """What counts as in progress and as done in one repository."""

    #: What a closed issue without a close reason counts as.
    closed_without_reason: ItemStatus = ItemStatus.COMPLETED
    #: Labels that mark an open issue as being worked on.
    in_progress_labels: frozenset[str] = IN_PROGRESS_LABELS
    #: Whether an open issue with an assignee counts as in progress.
    assigned_means_in_progress: bool = True
    #: Whether each issue goes in a milestone named for its deadline.
    deadline_milestones: bool = False
    #: The teams filing here, for messages.
    teams: tuple[str, ...] = ()

    def status(self, state: str | None, reason: str | None, labels: Collection[str], assigned: bool) -> ItemStatus:
        """The item status of an issue in this repository (pure)."""
        return github_status(
            state,
            reason,
            labels=labels,
            has_assignee=assigned,
            assignee_means_in_progress=self.assigned_means_in_progress,
            in_progress_labels=self.in_progress_labels,
            closed_without_reason=self.closed_without_reason,
        )


def milestone_title(deadline: date) -> str:
    """The milestone an issue due on ``deadline`` goes in (pure)."""
    return f"Due {deadline.isoformat()}"


DEFAULT_RULES = GitHubRepoRules()
