"""Which issue answers for a linked item: decided by a pure rule, tested with a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from connectors.base import IssueRef, IssueState, ItemKey, ItemStatus
from sync.observe import not_its_issue
from sync.store import StoredItem

KEY = ItemKey("INC-1", "AI-1")
OTHER = ItemKey("INC-9", "AI-2")
STORED = StoredItem(
    key=KEY,
    team="Platform Team",
    tracker="jira",
    target="PLAT",
    deadline=date(2024, 3, 26),
    priority="high",
    description="d",
    in_definition=True,
    issue_id="10001",
    issue_key="PLAT-1",
    issue_url="",
    create_started_at=None,
    status=ItemStatus.OPEN,
    status_detail="To Do",
    status_seen_at=None,
    finished_at=None,
    last_error=None,
)


def _state(key: str, item: ItemKey | None) -> IssueState:
    return IssueState(IssueRef("jira", key.split("-")[0], key, "10001", ""), ItemStatus.COMPLETED, "Done", item=item)


@pytest.mark.parametrize(
    ("answer", "foreign"),
    [
        (_state("PLAT-1", KEY), False),  # itself
        (_state("OPS-7", KEY), False),  # moved, and still carries its marker
        (_state("PLAT-1", None), False),  # people edited the marker away: still the same issue
        (_state("OPS-1", None), True),  # another key and no marker: an id given out anew
        (_state("PLAT-1", OTHER), True),  # another item's issue
        (_state("OPS-1", OTHER), True),
    ],
)
def test_not_its_issue(answer: IssueState, foreign: bool) -> None:
    assert not_its_issue(KEY, STORED, answer) is foreign


def test_a_tracking_issue_is_its_own_post_mortems() -> None:
    stored = replace(STORED, key=ItemKey.tracking("INC-1"))
    assert not not_its_issue(ItemKey.tracking("INC-1"), stored, _state("PLAT-1", ItemKey.tracking("INC-1")))
    assert not_its_issue(ItemKey.tracking("INC-1"), stored, _state("PLAT-1", ItemKey.tracking("INC-2")))
