"""The planner, case by case: definitions + store + observations → actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from config.teams import GitHubTeam, JiraTeam, Team, Teams
from connectors.base import IssueRef, IssueState, ItemKey, ItemStatus
from sync.issue_text import fingerprint
from sync.model import PostMortem
from sync.plan import (
    ClosePostMortem,
    CreateIssue,
    Definition,
    LinkIssue,
    Observations,
    PostReport,
    RecordItem,
    RecordStatus,
    RegisterPostMortem,
    ReopenPostMortem,
    UpdateIssue,
    WaitForCreate,
    plan,
)
from sync.store import Snapshot, StoredItem, StoredPostMortem

NOW = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=2)
TEAMS = Teams(
    {
        "Platform Team": JiraTeam(tracker="jira", project="PLAT"),
        "Payments Team": GitHubTeam(tracker="github", repo="acme/payments", labels=("postmortem",)),
    }
)
PM = PostMortem.model_validate(
    {
        "id": "INC-1",
        "title": "Payment outage",
        "severity": "P1",
        "detected_at": "2024-03-12T14:47:00Z",
        "tracking_issue": "acme/payments#1",
        "action_items": [
            {
                "id": "AI-1",
                "description": "Warn on big tables",
                "owner": "Platform Team",
                "deadline": "2024-03-26",
                "priority": "critical",
            },
            {
                "id": "AI-2",
                "description": "Circuit breaker",
                "owner": "Payments Team",
                "deadline": "2024-04-02",
                "priority": "high",
            },
        ],
    }
)
DEF = Definition(PM, "pm.yaml")
K1, K2 = ItemKey("INC-1", "AI-1"), ItemKey("INC-1", "AI-2")
STORED_PM = StoredPostMortem(
    id="INC-1",
    title="Payment outage",
    source_path="pm.yaml",
    state="open",
    tracking_issue="acme/payments#1",
    detected_at=PM.detected_at,
    first_seen_at=NOW,
    closed_at=None,
    reopened_count=0,
    report_path=None,
    report_posted_at=None,
    report_url=None,
)


def stored(
    key: ItemKey,
    *,
    linked: bool = True,
    status: ItemStatus | None = ItemStatus.OPEN,
    detail: str = "To Do",
    started: datetime | None = None,
) -> StoredItem:
    item = PM.item(key.item_id)
    team = TEAMS[item.owner]
    return StoredItem(
        key=key,
        team=item.owner,
        tracker=team.tracker,
        target=team.target,
        deadline=item.deadline,
        priority=item.priority.value,
        description=item.description,
        in_definition=True,
        issue_id="7" if linked else None,
        # The same issue as state() reads back.
        issue_key="PLAT-7" if linked else None,
        issue_url="http://t/7" if linked else None,
        create_started_at=started,
        status=status if linked else None,
        status_detail=detail if linked else None,
        status_seen_at=NOW if linked else None,
        finished_at=None,
        last_error=None,
        pushed=fingerprint(item) if linked else None,
    )


def state(key: ItemKey, status: ItemStatus, detail: str = "x") -> IssueState:
    return IssueState(
        ref=IssueRef("jira", "PLAT", "PLAT-7", "7", "http://t/7"),
        status=status,
        detail=detail,
        item=key,
    )


def snap(*items: StoredItem, pm: StoredPostMortem | None = STORED_PM) -> Snapshot:
    return Snapshot({pm.id: pm} if pm else {}, {i.key: i for i in items})


def kinds(actions: list[object]) -> list[str]:
    return [type(a).__name__ for a in actions]


def run(snapshot: Snapshot, obs: Observations, definition: Definition = DEF) -> list[object]:
    return list(plan([definition], TEAMS, snapshot, obs, NOW, GRACE))


CASES = [
    pytest.param(
        snap(pm=None),
        Observations(searched=frozenset({K1, K2})),
        ["RegisterPostMortem", "RecordItem", "CreateIssue", "RecordItem", "CreateIssue"],
        id="new post-mortem: record and file every item",
    ),
    pytest.param(
        snap(pm=None),
        Observations(searched=frozenset({K2})),
        ["RegisterPostMortem", "RecordItem", "RecordItem", "CreateIssue"],
        id="marker search failed for one target: nothing filed there",
    ),
    pytest.param(
        snap(pm=None),
        Observations(),
        ["RegisterPostMortem", "RecordItem", "RecordItem"],
        id="no search completed: nothing filed at all",
    ),
    pytest.param(
        snap(pm=None),
        Observations(searched=frozenset({K1, K2}), found={K1: state(K1, ItemStatus.OPEN)}),
        ["RegisterPostMortem", "RecordItem", "LinkIssue", "RecordItem", "CreateIssue"],
        id="lost store: the marker finds the existing issue, no second one",
    ),
    pytest.param(
        snap(stored(K1, linked=False, started=NOW - timedelta(seconds=30)), stored(K2)),
        Observations(searched=frozenset({K1}), states={K2: state(K2, ItemStatus.OPEN, "To Do")}),
        ["WaitForCreate"],
        id="unknown create outcome within grace: wait, do not file",
    ),
    pytest.param(
        snap(stored(K1, linked=False, started=NOW - timedelta(minutes=5)), stored(K2)),
        Observations(searched=frozenset({K1}), states={K2: state(K2, ItemStatus.OPEN, "To Do")}),
        ["CreateIssue"],
        id="unknown create outcome after grace and not found: file again",
    ),
    pytest.param(
        snap(stored(K1, linked=False, started=NOW - timedelta(minutes=5)), stored(K2)),
        Observations(states={K2: state(K2, ItemStatus.OPEN, "To Do")}),
        [],
        id="unknown create outcome but search failed: never file blind",
    ),
    pytest.param(
        snap(stored(K1), stored(K2)),
        Observations(
            states={
                K1: state(K1, ItemStatus.OPEN, "To Do"),
                K2: state(K2, ItemStatus.OPEN, "To Do"),
            }
        ),
        [],
        id="nothing changed: nothing to do",
    ),
    pytest.param(
        snap(stored(K1), stored(K2)),
        Observations(
            states={
                K1: state(K1, ItemStatus.IN_PROGRESS, "In Progress"),
                K2: state(K2, ItemStatus.OPEN, "To Do"),
            }
        ),
        ["RecordStatus"],
        id="status changed: mirror it",
    ),
    pytest.param(
        snap(stored(K1), stored(K2)),
        Observations(
            states={
                K1: state(K1, ItemStatus.COMPLETED, "Done"),
                K2: state(K2, ItemStatus.WONT_FIX, "closed (not_planned)"),
            }
        ),
        ["RecordStatus", "RecordStatus", "ClosePostMortem", "PostReport"],
        id="all finished (one won't fix): close and post the report",
    ),
    pytest.param(
        snap(stored(K1), stored(K2)),
        Observations(
            states={
                K1: state(K1, ItemStatus.COMPLETED, "Done"),
                K2: state(K2, ItemStatus.UNKNOWN, "closed (weird)"),
            }
        ),
        ["RecordStatus", "RecordStatus"],
        id="an unknown status never counts as finished",
    ),
    pytest.param(
        snap(
            stored(K1, status=ItemStatus.COMPLETED, detail="Done"),
            stored(K2, status=ItemStatus.COMPLETED, detail="Done"),
        ),
        Observations(states={K1: state(K1, ItemStatus.COMPLETED, "Done")}, read_errors={K2: "timeout"}),
        [],
        id="stored as done but unreadable now: do not close",
    ),
    pytest.param(
        snap(
            stored(K1, status=ItemStatus.COMPLETED, detail="Done"),
            stored(K2, status=ItemStatus.COMPLETED, detail="Done"),
            pm=replace(STORED_PM, state="closed", report_posted_at=NOW),
        ),
        Observations(
            states={
                K1: state(K1, ItemStatus.COMPLETED, "Done"),
                K2: state(K2, ItemStatus.OPEN, "open (reopened)"),
            }
        ),
        ["RecordStatus", "ReopenPostMortem"],
        id="an item reopens after closing: the post-mortem reopens",
    ),
    pytest.param(
        snap(
            stored(K1, status=ItemStatus.COMPLETED, detail="Done"),
            stored(K2, status=ItemStatus.COMPLETED, detail="Done"),
            pm=replace(STORED_PM, state="closed"),
        ),
        Observations(
            states={
                K1: state(K1, ItemStatus.COMPLETED, "Done"),
                K2: state(K2, ItemStatus.COMPLETED, "Done"),
            }
        ),
        ["PostReport"],
        id="closed but report not yet posted: post it",
    ),
    pytest.param(
        snap(
            stored(K1, status=ItemStatus.COMPLETED, detail="Done"),
            stored(K2, status=ItemStatus.COMPLETED, detail="Done"),
            pm=replace(STORED_PM, state="closed", report_posted_at=NOW),
        ),
        Observations(
            states={
                K1: state(K1, ItemStatus.COMPLETED, "Done"),
                K2: state(K2, ItemStatus.COMPLETED, "Done"),
            }
        ),
        [],
        id="closed and posted: nothing more",
    ),
]


@pytest.mark.parametrize(("snapshot", "obs", "expected"), CASES)
def test_plan(snapshot: Snapshot, obs: Observations, expected: list[str]) -> None:
    assert kinds(run(snapshot, obs)) == expected


def test_created_issue_carries_marker_target_and_priority() -> None:
    actions = run(snap(pm=None), Observations(searched=frozenset({K1, K2})))
    creates = [a for a in actions if isinstance(a, CreateIssue)]
    jira, github = creates
    assert (jira.tracker, jira.issue.target, jira.issue.priority, jira.issue.deadline) == (
        "jira",
        "PLAT",
        "critical",
        date(2024, 3, 26),
    )
    assert (github.tracker, github.issue.target, github.issue.labels) == (
        "github",
        "acme/payments",
        ("postmortem",),
    )
    assert jira.issue.item == K1 and github.issue.item == K2
    assert "Platform Team" in jira.issue.body_markdown and "INC-1" in jira.issue.title


def test_changed_definition_is_recorded_but_status_is_not_touched() -> None:
    changed = PM.model_copy(
        update={
            "action_items": (
                PM.action_items[0].model_copy(update={"deadline": date(2024, 5, 1)}),
                PM.action_items[1],
            )
        }
    )
    actions = run(
        snap(stored(K1), stored(K2)),
        Observations(
            states={
                K1: state(K1, ItemStatus.OPEN, "To Do"),
                K2: state(K2, ItemStatus.OPEN, "To Do"),
            }
        ),
        Definition(changed, "pm.yaml"),
    )
    # The new deadline goes to the issue once; its status is the tracker's alone.
    assert kinds(actions) == ["RecordItem", "UpdateIssue"]
    record, update = actions
    assert isinstance(record, RecordItem) and record.deadline_iso == "2024-05-01"
    assert isinstance(update, UpdateIssue) and update.issue.deadline == date(2024, 5, 1)
    assert update.pushed == fingerprint(changed.action_items[0])


def test_removed_item_reregisters_the_postmortem() -> None:
    only_one = PM.model_copy(update={"action_items": PM.action_items[:1]})
    actions = run(
        snap(stored(K1), stored(K2)),
        Observations(states={K1: state(K1, ItemStatus.OPEN, "To Do")}),
        Definition(only_one, "pm.yaml"),
    )
    register = actions[0]
    assert isinstance(register, RegisterPostMortem) and register.item_ids == frozenset({"AI-1"})


def test_wait_says_until_when() -> None:
    started = NOW - timedelta(seconds=30)
    actions = run(
        snap(stored(K1, linked=False, started=started), stored(K2)),
        Observations(searched=frozenset({K1})),
    )
    wait = next(a for a in actions if isinstance(a, WaitForCreate))
    assert wait.until == started + GRACE


def test_every_action_describes_itself() -> None:
    samples: list[object] = [
        *run(
            snap(pm=None),
            Observations(searched=frozenset({K1, K2}), found={K1: state(K1, ItemStatus.OPEN)}),
        ),
        RecordStatus(K1, state(K1, ItemStatus.COMPLETED, "Done"), "open"),
        ClosePostMortem("INC-1"),
        PostReport("INC-1", "acme/payments#1"),
        ReopenPostMortem("INC-1", "AI-1 is open again"),
        LinkIssue(K1, state(K1, ItemStatus.OPEN)),
    ]
    for action in samples:
        text = action.describe()  # type: ignore[attr-defined]
        assert isinstance(text, str) and "INC-1" in text


@pytest.mark.parametrize(
    ("tracking", "item", "holds"),
    [
        (JiraTeam(tracker="jira", project="PLAT"), JiraTeam(tracker="jira", project="OPS"), True),
        (GitHubTeam(tracker="github", repo="acme/edge"), GitHubTeam(tracker="github", repo="acme/payments"), True),
        (GitHubTeam(tracker="github", repo="acme/edge"), GitHubTeam(tracker="github", repo="ACME/web"), True),
        (GitHubTeam(tracker="github", repo="acme/edge"), GitHubTeam(tracker="github", repo="partner/sdk"), False),
        (GitHubTeam(tracker="github", repo="acme/edge"), JiraTeam(tracker="jira", project="PLAT"), False),
        (JiraTeam(tracker="jira", project="PLAT"), GitHubTeam(tracker="github", repo="acme/edge"), False),
    ],
)
def test_which_tracking_issue_can_hold_which_items(tracking: Team, item: Team, holds: bool) -> None:
    from sync.plan import can_hold

    assert can_hold(tracking, item) is holds


def _gh_state(status: ItemStatus, labels: tuple[str, ...]) -> IssueState:
    return IssueState(IssueRef("github", "acme/edge", "acme/edge#3", "3", ""), status, "open", labels=labels)


@pytest.mark.parametrize(
    ("status", "labels", "deadline", "expected"),
    [
        (ItemStatus.OPEN, (), date(2024, 3, 25), True),  # past its deadline: label it
        (ItemStatus.IN_PROGRESS, (), date(2024, 3, 25), True),
        (ItemStatus.UNKNOWN, (), date(2024, 3, 25), True),
        (ItemStatus.OPEN, ("Overdue",), date(2024, 3, 25), None),  # labelled already
        (ItemStatus.OPEN, (), date(2024, 3, 26), None),  # due today: not yet
        (ItemStatus.OPEN, ("overdue",), date(2024, 4, 30), False),  # the deadline moved
        (ItemStatus.COMPLETED, ("overdue",), date(2024, 3, 25), False),  # closed: take it off
        (ItemStatus.WONT_FIX, ("overdue",), date(2024, 3, 25), False),
        (ItemStatus.COMPLETED, (), date(2024, 3, 25), None),
    ],
)
def test_overdue_label(status: ItemStatus, labels: tuple[str, ...], deadline: date, expected: bool | None) -> None:
    from sync.plan import MarkOverdue, overdue_label

    actions = overdue_label(ItemKey("INC-1", "AI-1"), _gh_state(status, labels), deadline, date(2024, 3, 26), "overdue")
    if expected is None:
        assert actions == []
    else:
        assert actions == [
            MarkOverdue(ItemKey("INC-1", "AI-1"), _gh_state(status, labels).ref, "overdue", expected, deadline)
        ]
