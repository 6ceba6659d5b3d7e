"""The state store: what the worker knows between cycles, in a real database.

Tables:

- ``postmortems``: each post-mortem's state (open / closed), when it closed, where its
  report went.
- ``action_items``: each action item's link to its tracker issue, the last status seen and
  when, and any create whose outcome is still unknown (``create_started_at``).
- ``cycles``: one row per sync cycle, for ``status`` and for the worker's health.

Every write goes through a short transaction that commits before the next tracker call,
so a crash loses at most the outcome of the one call in flight (which the create intent
and the issue marker then recover).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from connectors.base import TRACKING_ITEM, IssueRef, ItemKey, ItemStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CycleSummary(TypeDecorator[dict[str, Any]]):
    """A cycle's summary (JSON). One that cannot be read (edited by hand, half-written on a
    damaged disk) reads as empty: the summary is a report, never a reason for cycles or
    ``status`` to fail."""

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], dict[str, Any]]:
        decode = self.impl_instance.result_processor(dialect, coltype)

        def process(value: Any) -> dict[str, Any]:
            try:
                out = decode(value) if decode is not None else value
            except ValueError:
                return {}
            return out if isinstance(out, dict) else {}

        return process


class Base(DeclarativeBase):
    pass


class PostMortemRow(Base):
    __tablename__ = "postmortems"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")
    tracking_issue: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: When the incident was detected: tells a re-used id from the same incident.
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    report_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    report_url: Mapped[str | None] = mapped_column(Text, nullable=True)


class ActionItemRow(Base):
    __tablename__ = "action_items"

    postmortem_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    team: Mapped[str] = mapped_column(String(200))
    tracker: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(16))
    in_definition: Mapped[bool] = mapped_column(Boolean, default=True)

    issue_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issue_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issue_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Set just before a create request; cleared once the issue is linked. While set and no
    #: issue is linked, the outcome of that create is unknown.
    create_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Fingerprint of the description, deadline and priority last written to the issue, so
    #: an edit of the definition is applied to the issue once.
    pushed: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The tracking issue the worker put this issue under (a Jira Epic).
    parent_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: When the worker moved the issue itself (withdrew an item, closed a tracking issue).
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Why the definition withdrew the item, if it did.
    withdrawn: Mapped[str | None] = mapped_column(Text, nullable=True)


class CycleRow(Base):
    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any]] = mapped_column(CycleSummary, default=dict)


# -- read-only snapshots handed to the pure planner ---------------------------------------


@dataclass(frozen=True)
class StoredItem:
    key: ItemKey
    team: str
    tracker: str
    target: str
    deadline: date
    priority: str
    description: str
    in_definition: bool
    issue_id: str | None
    issue_key: str | None
    issue_url: str | None
    create_started_at: datetime | None
    status: ItemStatus | None
    status_detail: str | None
    status_seen_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    pushed: str | None = None
    parent_key: str | None = None
    moved_at: datetime | None = None
    withdrawn: str | None = None

    @property
    def linked(self) -> bool:
        return self.issue_id is not None

    def ref(self) -> IssueRef:
        """Where the linked issue lives (only meaningful when :attr:`linked`)."""
        return IssueRef(
            tracker="jira" if self.tracker == "jira" else "github",
            target=self.target,
            key=self.issue_key or "",
            id=self.issue_id or "",
            url=self.issue_url or "",
        )


@dataclass(frozen=True)
class StoredPostMortem:
    id: str
    title: str
    source_path: str
    state: str
    tracking_issue: str | None
    detected_at: datetime | None
    first_seen_at: datetime
    closed_at: datetime | None
    reopened_count: int
    report_path: str | None
    report_posted_at: datetime | None
    report_url: str | None


@dataclass(frozen=True)
class Snapshot:
    postmortems: dict[str, StoredPostMortem]
    #: Action items (never tracking issues).
    items: dict[ItemKey, StoredItem]
    #: Tracking issues the worker creates, by post-mortem id.
    tracking: dict[str, StoredItem] = field(default_factory=dict)


def _item_snapshot(row: ActionItemRow) -> StoredItem:
    return StoredItem(
        key=ItemKey(row.postmortem_id, row.item_id),
        team=row.team,
        tracker=row.tracker,
        target=row.target,
        deadline=row.deadline,
        priority=row.priority,
        description=row.description,
        in_definition=row.in_definition,
        issue_id=row.issue_id,
        issue_key=row.issue_key,
        issue_url=row.issue_url,
        create_started_at=row.create_started_at,
        status=ItemStatus(row.status) if row.status else None,
        status_detail=row.status_detail,
        status_seen_at=row.status_seen_at,
        finished_at=row.finished_at,
        last_error=row.last_error,
        pushed=row.pushed,
        parent_key=row.parent_key,
        moved_at=row.moved_at,
        withdrawn=row.withdrawn,
    )


def _pm_snapshot(row: PostMortemRow) -> StoredPostMortem:
    return StoredPostMortem(
        id=row.id,
        title=row.title,
        source_path=row.source_path,
        state=row.state,
        tracking_issue=row.tracking_issue,
        detected_at=row.detected_at,
        first_seen_at=row.first_seen_at,
        closed_at=row.closed_at,
        reopened_count=row.reopened_count,
        report_path=row.report_path,
        report_posted_at=row.report_posted_at,
        report_url=row.report_url,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets `status` read while a cycle writes; a busy timeout rides out brief locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    """Typed access to the state store. Each method is one short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._create_schema()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._file = self._file_identity()

    def _file_identity(self) -> tuple[int, int] | None:
        """The SQLite file's device and inode (None: not a file, or no file there now)."""
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        try:
            st = os.stat(database)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def reopen_if_replaced(self) -> bool:
        """Open the store again when its SQLite file was deleted or replaced since it was
        opened: otherwise every write would go to a file no one can read any more. A new,
        empty store is rebuilt by the next cycle from the markers the issues carry."""
        if self._file is None or self._file_identity() == self._file:
            return False
        self.engine.dispose()
        self.engine = make_engine(self.url)
        self._create_schema()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._file = self._file_identity()
        return True

    def _create_schema(self) -> None:
        """Create the schema or bring it to this code's revision (see :mod:`sync.schema`)."""
        from sync.schema import upgrade_to_head

        # The migration lock serializes two processes opening a new store at once; a
        # database still locked past the busy timeout is simply tried again.
        try:
            for attempt in range(5):
                try:
                    upgrade_to_head(self.engine)
                    return
                except OperationalError:
                    if attempt == 4:
                        raise
                    time.sleep(0.2 * (attempt + 1))
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- reads ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self._tx() as s:
            pms = {row.id: _pm_snapshot(row) for row in s.scalars(select(PostMortemRow))}
            items, tracking = {}, {}
            for row in s.scalars(select(ActionItemRow)):
                snap = _item_snapshot(row)
                if snap.key.is_tracking:
                    tracking[snap.key.postmortem_id] = snap
                else:
                    items[snap.key] = snap
            return Snapshot(pms, items, tracking)

    def last_cycles(self, limit: int = 1) -> list[CycleRow]:
        with self._tx() as s:
            rows = s.scalars(select(CycleRow).order_by(CycleRow.id.desc()).limit(limit)).all()
            return list(rows)

    def last_finished_cycle(self) -> CycleRow | None:
        """The newest cycle that finished (a crashed one never does)."""
        with self._tx() as s:
            return s.scalars(
                select(CycleRow).where(CycleRow.finished_at.is_not(None)).order_by(CycleRow.id.desc()).limit(1)
            ).first()

    def last_good_cycle(self) -> CycleRow | None:
        with self._tx() as s:
            return s.scalars(
                select(CycleRow).where(CycleRow.ok.is_(True)).order_by(CycleRow.id.desc()).limit(1)
            ).first()

    # -- writes --------------------------------------------------------------------------

    def upsert_postmortem(
        self,
        pm_id: str,
        title: str,
        source_path: str,
        tracking_issue: str | None,
        now: datetime,
        detected_at: datetime | None = None,
    ) -> None:
        with self._tx() as s:
            row = s.get(PostMortemRow, pm_id)
            if row is None:
                row = PostMortemRow(id=pm_id, state="open", first_seen_at=now, reopened_count=0)
                s.add(row)
            row.title, row.source_path, row.tracking_issue = title, source_path, tracking_issue
            row.detected_at = detected_at

    def upsert_item(
        self,
        key: ItemKey,
        *,
        description: str,
        team: str,
        tracker: str,
        target: str,
        deadline: date,
        priority: str,
        withdrawn: str | None = None,
    ) -> None:
        with self._tx() as s:
            row = s.get(ActionItemRow, (key.postmortem_id, key.item_id))
            if row is None:
                row = ActionItemRow(postmortem_id=key.postmortem_id, item_id=key.item_id)
                s.add(row)
            if row.issue_id is None and row.create_started_at is None:
                # A filed issue stays where it was filed, whatever the team routing says now.
                row.tracker, row.target = tracker, target
            row.description, row.team = description, team
            row.deadline, row.priority, row.in_definition = deadline, priority, True
            row.withdrawn = withdrawn

    def mark_items_outside_definition(self, pm_id: str, current_item_ids: set[str]) -> None:
        with self._tx() as s:
            for row in s.scalars(select(ActionItemRow).where(ActionItemRow.postmortem_id == pm_id)):
                if row.item_id != TRACKING_ITEM:
                    row.in_definition = row.item_id in current_item_ids

    def begin_create(self, key: ItemKey, now: datetime, pushed: str | None = None) -> None:
        """Record the intent to create, committed before the request goes out. ``pushed``
        fingerprints what the issue will say."""
        with self._tx() as s:
            row = self._item(s, key)
            row.create_started_at = now
            row.last_error = None
            row.pushed = pushed

    def record_pushed(self, key: ItemKey, pushed: str) -> None:
        """The issue now says what ``pushed`` fingerprints."""
        with self._tx() as s:
            self._item(s, key).pushed = pushed

    def record_parent(self, key: ItemKey, parent_key: str | None) -> None:
        with self._tx() as s:
            self._item(s, key).parent_key = parent_key

    def record_moved(self, key: ItemKey, when: datetime | None) -> None:
        """The worker moved the issue itself (``None``: it may move it again)."""
        with self._tx() as s:
            self._item(s, key).moved_at = when

    def link_of(self, key: ItemKey) -> StoredItem | None:
        with self._tx() as s:
            row = s.get(ActionItemRow, (key.postmortem_id, key.item_id))
            return _item_snapshot(row) if row is not None else None

    def abandon_create(self, key: ItemKey, error: str) -> None:
        """The tracker refused the create outright: no issue exists, nothing to look for."""
        with self._tx() as s:
            row = self._item(s, key)
            row.create_started_at = None
            row.last_error = error

    def link_issue(
        self,
        key: ItemKey,
        *,
        issue_id: str,
        issue_key: str,
        issue_url: str,
        target: str,
        now: datetime,
    ) -> None:
        with self._tx() as s:
            row = self._item(s, key)
            row.issue_id, row.issue_key, row.issue_url = issue_id, issue_key, issue_url
            row.target = target
            row.linked_at = now
            row.create_started_at = None
            row.last_error = None

    def record_status(
        self,
        key: ItemKey,
        *,
        status: ItemStatus,
        detail: str,
        seen_at: datetime,
        finished_at: datetime | None,
    ) -> bool:
        """Store the status seen now; returns True when it differs from the last one."""
        with self._tx() as s:
            row = self._item(s, key)
            changed = row.status != status.value
            row.status, row.status_detail, row.status_seen_at = status.value, detail, seen_at
            row.last_error = None
            if changed:
                row.status_changed_at = seen_at
            row.finished_at = (finished_at or seen_at) if status.finished else None
            return changed

    def record_item_errors(self, errors: dict[ItemKey, str]) -> None:
        """Note problems on the items that exist in the store; others have none yet."""
        with self._tx() as s:
            for key, error in errors.items():
                row = s.get(ActionItemRow, (key.postmortem_id, key.item_id))
                if row is not None:
                    row.last_error = error

    def record_item_error(self, key: ItemKey, error: str) -> None:
        with self._tx() as s:
            self._item(s, key).last_error = error

    def close_postmortem(self, pm_id: str, now: datetime, report_path: str) -> None:
        with self._tx() as s:
            row = self._pm(s, pm_id)
            row.state, row.closed_at, row.report_path = "closed", now, report_path

    def reopen_postmortem(self, pm_id: str) -> None:
        with self._tx() as s:
            row = self._pm(s, pm_id)
            row.state, row.closed_at = "open", None
            row.report_posted_at, row.report_url = None, None
            row.reopened_count += 1
            tracking = s.get(ActionItemRow, (pm_id, TRACKING_ITEM))
            if tracking is not None:
                # Closing again moves the tracking issue to done again.
                tracking.moved_at = None

    def mark_report_posted(self, pm_id: str, url: str, now: datetime) -> None:
        with self._tx() as s:
            row = self._pm(s, pm_id)
            row.report_posted_at, row.report_url = now, url

    def start_cycle(self, now: datetime) -> int:
        with self._tx() as s:
            row = CycleRow(started_at=now, ok=False, summary={})
            s.add(row)
            s.flush()
            return row.id

    def finish_cycle(self, cycle_id: int, now: datetime, ok: bool, summary: dict[str, Any]) -> None:
        with self._tx() as s:
            row = s.get(CycleRow, cycle_id)
            if row is not None:
                row.finished_at, row.ok, row.summary = now, ok, summary

    @staticmethod
    def _item(s: Session, key: ItemKey) -> ActionItemRow:
        row = s.get(ActionItemRow, (key.postmortem_id, key.item_id))
        if row is None:
            raise KeyError(f"unknown action item {key}")
        return row

    @staticmethod
    def _pm(s: Session, pm_id: str) -> PostMortemRow:
        row = s.get(PostMortemRow, pm_id)
        if row is None:
            raise KeyError(f"unknown post-mortem {pm_id}")
        return row
