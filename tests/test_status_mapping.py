"""What each tracker status becomes: one row per case."""

import pytest

from connectors.base import ItemStatus
from connectors.status_mapping import github_status, jira_status

O, P, C, W, U = (  # noqa: E741 - one letter per status keeps the tables readable
    ItemStatus.OPEN,
    ItemStatus.IN_PROGRESS,
    ItemStatus.COMPLETED,
    ItemStatus.WONT_FIX,
    ItemStatus.UNKNOWN,
)


@pytest.mark.parametrize(
    ("category", "status", "resolution", "expected"),
    [
        ("new", "To Do", None, O),
        ("new", "Backlog", None, O),
        ("indeterminate", "In Progress", None, P),
        ("indeterminate", "In Review", None, P),
        ("done", "Done", "Done", C),
        ("done", "Done", None, C),
        ("done", "Closed", "Fixed", C),
        ("done", "Done", "Won't Do", W),
        ("done", "Done", "Won\u2019t Do", W),
        ("done", "Closed", "Won't Fix", W),
        ("done", "Closed", "Duplicate", W),
        ("done", "Closed", "Cannot Reproduce", W),
        ("done", "Closed", "Declined", W),
        ("done", "Won't do", None, W),
        ("done", "Cancelled", None, W),
        ("DONE", "Done", "done", C),
        ("undefined", "Weird", None, U),
        ("", "Done", "Done", U),
        (None, None, None, U),
        ("in-flight", "Something", None, U),
    ],
)
def test_jira_status(category: str, status: str, resolution: str | None, expected: ItemStatus) -> None:
    assert jira_status(category, status, resolution) is expected


def test_jira_team_overrides_decide_wont_fix() -> None:
    assert jira_status("done", "Done", "Obsolete", wont_fix_resolutions={"Obsolete"}) is W
    assert jira_status("done", "Done", "Won't Do", wont_fix_resolutions={"Obsolete"}) is C


@pytest.mark.parametrize(
    ("state", "reason", "labels", "assigned", "expected"),
    [
        ("open", None, (), False, O),
        ("open", "reopened", (), False, O),
        ("open", None, ("In Progress",), False, P),
        ("open", None, ("postmortem",), False, O),
        ("open", None, (), True, O),
        ("closed", "completed", (), False, C),
        ("closed", None, (), False, C),
        ("closed", "not_planned", (), False, W),
        ("closed", "duplicate", (), False, W),
        ("closed", "some_future_reason", (), False, U),
        ("open", "some_future_reason", (), False, U),
        ("locked", None, (), False, U),
        (None, None, (), False, U),
    ],
)
def test_github_status(
    state: str | None,
    reason: str | None,
    labels: tuple[str, ...],
    assigned: bool,
    expected: ItemStatus,
) -> None:
    assert github_status(state, reason, labels=labels, has_assignee=assigned) is expected


def test_github_assignee_counts_when_configured() -> None:
    assert github_status("open", None, has_assignee=True, assignee_means_in_progress=True) is P


@pytest.mark.parametrize(
    ("state", "reason", "labels", "options", "expected"),
    [
        # A closed issue with no reason follows the team's setting.
        ("closed", None, (), {"closed_without_reason": U}, U),
        ("closed", None, (), {"closed_without_reason": C}, C),
        ("closed", "completed", (), {"closed_without_reason": U}, C),
        ("closed", "not_planned", (), {"closed_without_reason": U}, W),
        # The team's own in-progress labels replace the defaults, compared without case.
        ("open", None, ("Doing",), {"in_progress_labels": ("doing",)}, P),
        ("open", None, ("in progress",), {"in_progress_labels": ("doing",)}, O),
        ("open", "reopened", ("DOING",), {"in_progress_labels": ("doing",)}, P),
        # Labels never make a closed issue anything but closed.
        ("closed", "completed", ("doing",), {"in_progress_labels": ("doing",)}, C),
    ],
)
def test_github_team_options(
    state: str, reason: str | None, labels: tuple[str, ...], options: dict[str, object], expected: ItemStatus
) -> None:
    assert github_status(state, reason, labels=labels, **options) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("status", list(ItemStatus))
def test_only_completed_and_wont_fix_are_finished(status: ItemStatus) -> None:
    assert status.finished is (status in (C, W))
