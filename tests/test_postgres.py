"""The state store and the cycle lock on PostgreSQL, when a server is reachable on loopback.

Set PMSYNC_TEST_POSTGRES_URL to use another server; each test works in a schema of its own
(the ``pg_url`` fixture in conftest.py), dropped afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine

from connectors.base import ItemKey, ItemStatus
from sync.cycle_lock import cycle_lock
from sync.store import Store

pytest.importorskip("psycopg", reason="pip install 'postmortem-sync[postgres]'")


def test_store_round_trip_on_postgres(pg_url: str) -> None:
    store = Store(pg_url)
    t0 = datetime(2024, 3, 12, 15, 0, tzinfo=UTC)
    key = ItemKey("INC-1", "AI-1")
    store.upsert_postmortem("INC-1", "Outage", "pm.yaml", None, t0, detected_at=t0)
    store.upsert_item(
        key,
        description="d",
        team="Platform Team",
        tracker="jira",
        target="PLAT",
        deadline=date(2024, 3, 26),
        priority="high",
    )
    store.begin_create(key, t0)
    store.link_issue(key, issue_id="10001", issue_key="PLAT-1", issue_url="u", target="PLAT", now=t0)
    store.record_status(key, status=ItemStatus.COMPLETED, detail="Done", seen_at=t0, finished_at=t0)
    snap = store.snapshot()
    assert snap.items[key].status is ItemStatus.COMPLETED and snap.items[key].finished_at == t0
    assert snap.postmortems["INC-1"].detected_at == t0
    store.close()


def test_cycle_lock_is_exclusive_across_connections_on_postgres(pg_url: str) -> None:
    first, second = create_engine(pg_url), create_engine(pg_url)
    try:
        with cycle_lock(first) as held:
            assert held
            with cycle_lock(second) as other:
                assert not other
        with cycle_lock(second) as again:
            assert again
    finally:
        first.dispose()
        second.dispose()
