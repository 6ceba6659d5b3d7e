"""The state store on a real SQLite file: links, intents, statuses, post-mortem states."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import ItemKey, ItemStatus
from sync.store import Store

T0 = datetime(2024, 3, 12, 15, 0, tzinfo=UTC)
KEY = ItemKey("INC-1", "AI-1")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'state.db'}")
    s.upsert_postmortem("INC-1", "Outage", "pm.yaml", None, T0)
    s.upsert_item(
        KEY,
        description="Fix it",
        team="Platform Team",
        tracker="jira",
        target="PLAT",
        deadline=date(2024, 3, 26),
        priority="high",
    )
    return s


def test_intent_then_link_survives_reopening(store: Store, tmp_path: Path) -> None:
    store.begin_create(KEY, T0)
    assert store.snapshot().items[KEY].create_started_at == T0
    store.link_issue(
        KEY,
        issue_id="10001",
        issue_key="PLAT-1",
        issue_url="http://x/browse/PLAT-1",
        target="PLAT",
        now=T0,
    )
    store.close()
    again = Store(f"sqlite:///{tmp_path / 'state.db'}")
    item = again.snapshot().items[KEY]
    assert item.linked and item.issue_key == "PLAT-1" and item.create_started_at is None


def test_abandoned_create_clears_intent_and_keeps_reason(store: Store) -> None:
    store.begin_create(KEY, T0)
    store.abandon_create(KEY, "POST issue answered HTTP 400")
    item = store.snapshot().items[KEY]
    assert item.create_started_at is None and item.last_error == "POST issue answered HTTP 400"


def test_record_status_reports_changes_and_finish_time(store: Store) -> None:
    assert store.record_status(KEY, status=ItemStatus.OPEN, detail="To Do", seen_at=T0, finished_at=None)
    assert not store.record_status(
        KEY,
        status=ItemStatus.OPEN,
        detail="To Do",
        seen_at=T0 + timedelta(minutes=5),
        finished_at=None,
    )
    done_at = T0 + timedelta(days=3)
    assert store.record_status(
        KEY,
        status=ItemStatus.COMPLETED,
        detail="Done / Done",
        seen_at=T0 + timedelta(days=4),
        finished_at=done_at,
    )
    item = store.snapshot().items[KEY]
    assert item.status is ItemStatus.COMPLETED and item.finished_at == done_at
    assert item.status_seen_at == T0 + timedelta(days=4)
    store.record_status(
        KEY,
        status=ItemStatus.IN_PROGRESS,
        detail="In Progress",
        seen_at=T0 + timedelta(days=5),
        finished_at=None,
    )
    assert store.snapshot().items[KEY].finished_at is None


def test_close_reopen_and_report(store: Store) -> None:
    store.close_postmortem("INC-1", T0, "reports/INC-1.md")
    store.mark_report_posted("INC-1", "http://x/comment/1", T0)
    pm = store.snapshot().postmortems["INC-1"]
    assert pm.state == "closed" and pm.report_url == "http://x/comment/1"
    store.reopen_postmortem("INC-1")
    pm = store.snapshot().postmortems["INC-1"]
    assert pm.state == "open" and pm.reopened_count == 1 and pm.report_posted_at is None


def test_times_come_back_aware_in_utc(store: Store) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2024, 3, 12, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))
    store.begin_create(KEY, local)
    assert store.snapshot().items[KEY].create_started_at == local
    assert store.snapshot().items[KEY].create_started_at.tzinfo == UTC  # type: ignore[union-attr]


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive"):
        store.begin_create(KEY, datetime(2024, 3, 12, 15, 0))


def test_items_leaving_the_definition_are_marked_not_deleted(store: Store) -> None:
    store.mark_items_outside_definition("INC-1", set())
    item = store.snapshot().items[KEY]
    assert not item.in_definition


def test_cycles_are_recorded(store: Store) -> None:
    first = store.start_cycle(T0)
    store.finish_cycle(first, T0 + timedelta(seconds=3), True, {"actions": 2})
    second = store.start_cycle(T0 + timedelta(minutes=5))
    store.finish_cycle(second, T0 + timedelta(minutes=6), False, {})
    good = store.last_good_cycle()
    assert good is not None and good.id == first and good.summary == {"actions": 2}
    assert store.last_cycles(1)[0].id == second
