"""The follow-through report: timeliness (pure) and the rendered Markdown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.base import ItemKey, ItemStatus
from sync.report import render_report, timeliness, write_report
from sync.store import StoredItem
from tests.test_plan import PM


@pytest.mark.parametrize(
    ("deadline", "finished", "expected"),
    [
        (date(2024, 3, 26), date(2024, 3, 26), "on time"),
        (date(2024, 3, 26), date(2024, 3, 25), "on time (1 day early)"),
        (date(2024, 3, 26), date(2024, 3, 20), "on time (6 days early)"),
        (date(2024, 3, 26), date(2024, 3, 27), "late by 1 day"),
        (date(2024, 3, 26), date(2024, 4, 5), "late by 10 days"),
        (date(2024, 3, 26), None, "not finished"),
    ],
)
def test_timeliness(deadline: date, finished: date | None, expected: str) -> None:
    assert timeliness(deadline, finished) == expected


def _stored(item_id: str, status: ItemStatus, finished: datetime) -> StoredItem:
    item = PM.item(item_id)
    return StoredItem(
        key=ItemKey(PM.id, item_id),
        team=item.owner,
        tracker="jira",
        target="PLAT",
        deadline=item.deadline,
        priority=item.priority.value,
        description=item.description,
        in_definition=True,
        issue_id="1",
        issue_key=f"PLAT-{item_id[-1]}",
        issue_url=f"http://jira/browse/PLAT-{item_id[-1]}",
        create_started_at=None,
        status=status,
        status_detail="Done",
        status_seen_at=finished,
        finished_at=finished,
        last_error=None,
    )


def test_report_lists_each_item_with_team_deadline_status_and_lateness(tmp_path: Path) -> None:
    items = {
        ItemKey(PM.id, "AI-1"): _stored("AI-1", ItemStatus.COMPLETED, datetime(2024, 3, 29, 10, tzinfo=UTC)),
        ItemKey(PM.id, "AI-2"): _stored("AI-2", ItemStatus.WONT_FIX, datetime(2024, 3, 20, 10, tzinfo=UTC)),
    }
    text = render_report(PM, items, datetime(2024, 4, 1, tzinfo=UTC))
    assert "# Follow-through report: INC-1 Payment outage" in text
    assert (
        "| AI-1 | Warn on big tables | Platform Team | critical | 2024-03-26 | completed | 2024-03-29 | late by 3 days "
        "| [PLAT-1](http://jira/browse/PLAT-1) |" in text
    )
    assert (
        "| AI-2 | Circuit breaker | Payments Team | high | 2024-04-02 | wont-fix | 2024-03-20 | n/a (won't fix) |"
        in text
    )
    assert "1 completed, 1 closed as won't fix" in text and "0 finished on time, 1 late" in text
    path = write_report(tmp_path / "reports", PM.id, text)
    assert path.read_text(encoding="utf-8") == text and path.name == "INC-1.md"


def test_pipes_in_descriptions_do_not_break_the_table() -> None:
    pm = PM.model_copy(
        update={
            "action_items": (
                PM.action_items[0].model_copy(update={"description": "a | b\nsecond line"}),
                PM.action_items[1],
            )
        }
    )
    text = render_report(pm, {}, datetime(2024, 4, 1, tzinfo=UTC))
    assert "| a \\| b second line |" in text


@pytest.mark.parametrize(
    ("now", "zone", "today"),
    [
        # Late on the 26th in UTC is already the 27th in Tokyo and still the 26th in Honolulu.
        (datetime(2024, 3, 26, 23, 30, tzinfo=UTC), "UTC", date(2024, 3, 26)),
        (datetime(2024, 3, 26, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2024, 3, 27)),
        (datetime(2024, 3, 27, 5, 0, tzinfo=UTC), "Pacific/Honolulu", date(2024, 3, 26)),
    ],
)
def test_overdue_is_judged_on_the_configured_calendar(now: datetime, zone: str, today: date) -> None:
    from zoneinfo import ZoneInfo

    from sync.status_view import today_in

    assert today_in(ZoneInfo(zone), now) == today


def test_withdrawn_items_are_counted_apart_with_their_reason() -> None:
    withdrawn = PM.model_copy(
        update={"action_items": (PM.action_items[0], PM.action_items[1].model_copy(update={"withdrawn": "superseded"}))}
    )
    items = {ItemKey(PM.id, "AI-1"): _stored("AI-1", ItemStatus.COMPLETED, datetime(2024, 3, 25, 10, tzinfo=UTC))}
    text = render_report(withdrawn, items, datetime(2024, 4, 1, tzinfo=UTC))
    assert "1 completed, 1 withdrawn; 1 finished on time" in text
    assert "| withdrawn: superseded | - | n/a (withdrawn) |" in text


def test_report_days_are_calendar_days_of_the_configured_zone() -> None:
    from zoneinfo import ZoneInfo

    # Finished late on the 26th in UTC: already the 27th in Tokyo, so a day late there.
    items = {ItemKey(PM.id, "AI-1"): _stored("AI-1", ItemStatus.COMPLETED, datetime(2024, 3, 26, 20, tzinfo=UTC))}
    assert "| 2024-03-26 | on time |" in render_report(PM, items, datetime(2024, 4, 1, tzinfo=UTC))
    tokyo = render_report(PM, items, datetime(2024, 4, 1, tzinfo=UTC), ZoneInfo("Asia/Tokyo"))
    assert "| 2024-03-27 | late by 1 day |" in tokyo


def test_a_post_mortem_whose_items_were_all_withdrawn_says_nothing_of_timeliness() -> None:
    dropped = PM.model_copy(
        update={"action_items": tuple(i.model_copy(update={"withdrawn": "superseded"}) for i in PM.action_items)}
    )
    text = render_report(dropped, {}, datetime(2024, 4, 1, tzinfo=UTC))
    assert f"finished: {len(PM.action_items)} withdrawn.\n" in text
    assert "on time" not in text.split("\n\n")[2]


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        ((4, 1, 0), "4 completed, 1 closed as won't fix"),
        ((0, 2, 0), "2 closed as won't fix"),
        ((0, 0, 3), "3 withdrawn"),
        ((1, 0, 1), "1 completed, 1 withdrawn"),
        ((0, 0, 0), "0 completed"),
    ],
)
def test_outcomes_name_only_the_kinds_there_are(counts: tuple[int, int, int], text: str) -> None:
    from sync.report import outcomes

    assert outcomes(*counts) == text
