"""Carrying out a plan: connectors act, and every outcome is committed before the next step.

One failing action is logged and recorded on its item; the rest of the plan goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import structlog

from connectors.base import (
    Deferred,
    IssueState,
    ItemKey,
    ItemStatus,
    PermanentError,
    Tracker,
    TrackerError,
    TransientError,
)
from connectors.markers import report_marker, withdrawn_marker
from sync.model import PostMortem
from sync.plan import (
    Action,
    ClosePostMortem,
    CreateIssue,
    FollowMove,
    LinkIssue,
    MarkOverdue,
    MoveIssue,
    PostReport,
    RecordItem,
    RecordMoved,
    RecordPushed,
    RecordStatus,
    RegisterPostMortem,
    ReopenPostMortem,
    SetParent,
    UpdateIssue,
    WaitForCreate,
)
from sync.report import render_report, write_report
from sync.store import Store
from sync.tracking import tracker_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened in a cycle, for people to read."""

    kind: str  # filed | linked | mirrored | moved | updated | closed | posted | reopened | waiting | error
    subject: str
    message: str
    url: str | None = None


class Applier:
    def __init__(
        self,
        store: Store,
        trackers: Mapping[str, Tracker],
        postmortems: Mapping[str, PostMortem],
        reports_dir: Path,
        clock: Callable[[], datetime],
        zone: tzinfo = UTC,
    ) -> None:
        self.zone = zone
        self.store = store
        self.trackers = trackers
        self.postmortems = postmortems
        self.reports_dir = reports_dir
        self.clock = clock
        self.events: list[Event] = []

    def apply(self, actions: Sequence[Action], should_stop: Callable[[], bool] = lambda: False) -> list[Event]:
        for done, action in enumerate(actions):
            if should_stop():
                # Every step so far is committed; the rest is planned again next cycle.
                log.info("stopping mid-cycle", left=len(actions) - done)
                break
            try:
                self._apply(action)
            except TrackerError as exc:
                self._failed(action, str(exc))
            except KeyError as exc:  # a tracker kind with no credentials, or a missing row
                self._failed(action, f"cannot {action.describe()}: {exc.args[0]}")
            except OSError as exc:  # the reports folder is not writable, the disk is full
                self._failed(action, f"cannot {action.describe()}: {exc.strerror or exc} ({exc.filename or ''})")
            except Exception as exc:
                # One action's surprise must not stop the others (items of other post-mortems).
                log.exception("action failed unexpectedly", action=action.describe())
                self._failed(action, f"cannot {action.describe()}: {type(exc).__name__}: {exc}")
        return self.events

    def _failed(self, action: Action, message: str) -> None:
        key = getattr(action, "key", None)
        subject = str(key) if key is not None else getattr(action, "postmortem_id", "?")
        log.error("action failed", action=action.describe(), error=message)
        self.events.append(Event("error", subject, message))
        if key is not None:
            try:
                self.store.record_item_error(key, message)
            except Exception:  # a missing row, a locked store: the event and the log still say it
                log.warning("could not record the failure on its item", item=str(key))

    def _apply(self, action: Action) -> None:
        now = self.clock()
        match action:
            case RegisterPostMortem():
                self.store.upsert_postmortem(
                    action.postmortem_id,
                    action.title,
                    action.source,
                    action.tracking_issue,
                    now,
                    detected_at=action.detected_at,
                )
                self.store.mark_items_outside_definition(action.postmortem_id, set(action.item_ids))
            case RecordItem():
                self.store.upsert_item(
                    action.key,
                    description=action.description,
                    team=action.team,
                    tracker=action.tracker,
                    target=action.target,
                    deadline=date.fromisoformat(action.deadline_iso),
                    priority=action.priority,
                    withdrawn=action.withdrawn,
                )
            case CreateIssue():
                self._create(action, now)
            case LinkIssue():
                self._link(
                    action.key,
                    action.state,
                    now,
                    "linked",
                    "found by its marker (filed earlier: a lost answer, a crash or a new state store)",
                )
            case WaitForCreate():
                self.events.append(Event("waiting", str(action.key), action.describe()))
            case RecordStatus():
                self._status(action.key, action.state, now)
                if action.quiet:
                    return
                self.events.append(
                    Event(
                        "mirrored",
                        str(action.key),
                        f"{action.state.ref.key} is {action.state.status.value} [{action.state.detail}]",
                        action.state.ref.url,
                    )
                )
            case ClosePostMortem():
                self._close(action.postmortem_id, now)
            case PostReport():
                self._post(action, now)
            case ReopenPostMortem():
                self.store.reopen_postmortem(action.postmortem_id)
                self.events.append(Event("reopened", action.postmortem_id, action.reason))
            case FollowMove():
                self.store.link_issue(
                    action.key,
                    issue_id=action.state.ref.id,
                    issue_key=action.state.ref.key,
                    issue_url=action.state.ref.url,
                    target=action.state.ref.target,
                    now=now,
                )
                self.events.append(
                    Event(
                        "moved",
                        str(action.key),
                        f"{action.previous_key} was moved; it is now {action.state.ref.key}",
                        action.state.ref.url,
                    )
                )
            case UpdateIssue():
                self._update(action)
                said = (
                    f"{action.ref.key} now lists the action items as they are"
                    if action.key.is_tracking
                    else f"{action.ref.key} now says the new {action.changes()}"
                )
                self.events.append(Event("updated", str(action.key), said, action.ref.url))
            case RecordPushed():
                self.store.record_pushed(action.key, action.pushed)
            case RecordMoved():
                self.store.record_moved(action.key, now)
            case SetParent():
                parent = self.store.link_of(action.parent)
                if parent is None or not parent.linked or parent.tracker != action.ref.tracker:
                    return  # not filed yet: next cycle
                held = self.trackers[action.ref.tracker].set_parent(action.ref, parent.ref())
                # Recorded either way: a tracker that declines is not asked again each cycle.
                self.store.record_parent(action.key, parent.issue_key)
                what = "is now under" if held else "is listed on, but could not be attached to,"
                self.events.append(
                    Event("linked", str(action.key), f"{action.ref.key} {what} {parent.issue_key}", action.ref.url)
                )
            case MarkOverdue():
                if not self.trackers[action.ref.tracker].set_label(action.ref, action.label, action.overdue):
                    return  # the label cannot be made there: warned about, nothing to say per issue
                said = (
                    f"{action.ref.key} is labelled {action.label!r}: it was due {action.deadline.isoformat()}"
                    if action.overdue
                    else f"{action.ref.key} is no longer labelled {action.label!r}"
                )
                self.events.append(
                    Event("overdue" if action.overdue else "unlabelled", str(action.key), said, action.ref.url)
                )
            case MoveIssue():
                tracker = self.trackers[action.ref.tracker]
                if action.comment:
                    # Said once, even if the move fails and is tried again next cycle.
                    tracker.post_comment(action.ref.key, action.comment, withdrawn_marker(action.key))
                state = tracker.move_issue(action.ref, action.goal)
                self._status(action.key, state, now)
                if action.goal == "open":
                    # Moved to done again when the post-mortem closes again.
                    self.store.record_moved(action.key, None)
                    said = f"{state.ref.key} is open again [{state.detail}]"
                    self.events.append(Event("reopened", str(action.key), said, state.ref.url))
                    return
                self.store.record_moved(action.key, now)
                wanted = ItemStatus.COMPLETED if action.goal == "done" else ItemStatus.WONT_FIX
                done = "moved to done" if action.ref.tracker == "jira" else "closed"
                what = "closed as won't do: the item was withdrawn" if action.goal == "wont-fix" else done
                if state.status is not wanted:
                    what = f"moved for {action.goal} but reads back as {state.status.value}"
                kind = "withdrawn" if action.goal == "wont-fix" else "finished"
                self.events.append(
                    Event(kind, str(action.key), f"{state.ref.key} {what} [{state.detail}]", state.ref.url)
                )
                if state.status is not wanted:
                    self._misread_move(action, state)

    def _update(self, action: UpdateIssue) -> None:
        # Recorded first: an edit whose answer is lost is not written again over whatever
        # people change next. Undone only when the tracker certainly did not take it.
        self.store.record_pushed(action.key, action.pushed)
        try:
            self.trackers[action.ref.tracker].update_issue(action.ref, action.issue, action.changed)
        except TrackerError as exc:
            if isinstance(exc, PermanentError) or (isinstance(exc, TransientError) and exc.not_processed):
                self.store.record_pushed(action.key, action.previous)
            raise

    def _misread_move(self, action: MoveIssue, state: IssueState) -> None:
        """The issue moved, but its new status does not mean what was asked: say what to set."""
        stored = self.store.link_of(action.key)
        team = stored.team if stored is not None else "its team"
        if action.ref.tracker == "github":
            hint = f"close {state.ref.key} by hand the way its state should read"
        elif action.goal == "wont-fix":
            hint = (
                f"if [{state.detail}] means the work will not be done, add that status to wont_fix_statuses "
                f"(or the resolution to wont_fix_resolutions) of {team} and every other team filing into "
                f"{state.ref.target} in the teams file; if it also means done, pin another transition "
                "(transitions: {wont_fix: ID}) that leads to a status of its own"
            )
        else:
            hint = f"pin the transition to use with transitions: {{done: ID}} for {team} in the teams file"
        message = f"{state.ref.key} reads back as {state.status.value}, not {action.goal}: {hint}"
        self.store.record_item_error(action.key, message)
        self.events.append(Event("error", str(action.key), message, state.ref.url))

    def _create(self, action: CreateIssue, now: datetime) -> None:
        tracker = self.trackers[action.tracker]
        issue = action.issue
        # Jira files an issue under its Epic in the create itself; a GitHub sub-issue is
        # attached to its tracking issue afterwards (SetParent, next cycle).
        if action.parent is not None and action.tracker == "jira":
            parent = self.store.link_of(action.parent)
            if (
                parent is not None
                and parent.linked
                and parent.tracker == action.tracker
                and parent.status is not ItemStatus.GONE
            ):
                issue = replace(issue, parent=parent.ref())
        # Committed before the request: if the answer is lost or we crash, the next cycle
        # knows to look for the issue's marker before filing again.
        self.store.begin_create(action.key, now, action.pushed)
        try:
            state = tracker.create_issue(issue)
        except PermanentError as exc:
            if issue.parent is None or exc.status != 400:
                self.store.abandon_create(action.key, str(exc))
                raise
            # Refused, so nothing was filed: file it on its own rather than not at all; putting
            # it under the tracking issue is tried again, and reported, separately.
            log.warning("filing without the tracking issue", item=str(action.key), error=str(exc))
            issue = replace(issue, parent=None)
            try:
                state = tracker.create_issue(issue)
            except PermanentError as again:
                self.store.abandon_create(action.key, str(again))
                raise
        except TrackerError as exc:
            if isinstance(exc, TransientError) and exc.not_processed:
                # Refused before acting (a rate limit, a connection never made): nothing was
                # filed, so the next cycle files it without waiting out the grace period.
                self.store.abandon_create(action.key, f"not filed yet: {exc}")
                if exc.retry_after is None:
                    raise
                # A limit that asks for a longer wait than a cycle may block: not a failure.
                self.events.append(Event("waiting", str(action.key), f"not filed yet: {exc}"))
                return
            message = f"create outcome unknown ({exc}); the next cycle looks for the issue before filing again"
            self.store.record_item_error(action.key, message)
            log.warning("create outcome unknown", item=str(action.key), error=str(exc))
            self.events.append(Event("error", str(action.key), message))
            return
        if state.item != action.key or not state.ref.id or state.ref.id in ("0", "None"):
            # An answer naming another issue, or none: do not link it; the marker search decides.
            message = (
                f"the tracker's answer to the create names {state.ref.key or 'no issue'}, which does not carry "
                "this item's marker; the next cycle looks for the issue before filing again"
            )
            self.store.record_item_error(action.key, message)
            log.warning("create answer names another issue", item=str(action.key), issue=state.ref.key)
            self.events.append(Event("error", str(action.key), message))
            return
        self._link(
            action.key,
            state,
            self.clock(),
            "filed",
            f"filed for {action.team}: {action.issue.title}"
            + (f" (under {issue.parent.key})" if issue.parent is not None else ""),
        )
        if issue.parent is not None:
            self.store.record_parent(action.key, issue.parent.key)
        elif action.parent is not None and action.tracker == "github":
            self._attach_now(action, tracker, state)

    def _attach_now(self, action: CreateIssue, tracker: Tracker, state: IssueState) -> None:
        """Put a just-filed GitHub issue under its tracking issue at once; if that fails, the
        next cycle tries again (SetParent)."""
        assert action.parent is not None
        parent = self.store.link_of(action.parent)
        if parent is None or not parent.linked or parent.tracker != action.tracker or parent.status is ItemStatus.GONE:
            return
        try:
            held = tracker.set_parent(state.ref, parent.ref())
        except TrackerError as exc:
            log.warning("not yet under its tracking issue", item=str(action.key), error=str(exc))
            return
        self.store.record_parent(action.key, parent.issue_key)
        if held:
            self.events.append(Event("linked", str(action.key), f"{state.ref.key} is now under {parent.issue_key}"))

    def _link(self, key: ItemKey, state: IssueState, now: datetime, kind: str, message: str) -> None:
        self.store.link_issue(
            key,
            issue_id=state.ref.id,
            issue_key=state.ref.key,
            issue_url=state.ref.url,
            target=state.ref.target,
            now=now,
        )
        self._status(key, state, now)
        self.events.append(Event(kind, str(key), f"{state.ref.key}: {message}", state.ref.url))

    def _status(self, key: ItemKey, state: IssueState, now: datetime) -> None:
        self.store.record_status(
            key,
            status=state.status,
            detail=state.detail,
            seen_at=now,
            finished_at=state.finished_at,
        )

    def _close(self, pm_id: str, now: datetime) -> None:
        pm = self.postmortems[pm_id]
        text = render_report(pm, self.store.snapshot().items, now, self.zone)
        path = write_report(self.reports_dir, pm_id, text)
        self.store.close_postmortem(pm_id, now, str(path))
        self.events.append(Event("closed", pm_id, f"every action item is finished; report written to {path}"))

    def _post(self, action: PostReport, now: datetime) -> None:
        snapshot = self.store.snapshot()
        stored = snapshot.postmortems[action.postmortem_id]
        holder = next((i for i in snapshot.items.values() if i.issue_key == action.tracking_issue), None)
        if holder is not None:
            # Most likely a number typed wrong: the report belongs on the post-mortem's own issue.
            raise PermanentError(
                f"tracking_issue {action.tracking_issue} (in {stored.source_path}) is the issue filed for "
                f"action item {holder.key}; point tracking_issue at the post-mortem's own issue"
            )
        path = Path(stored.report_path) if stored.report_path else None
        if path is None or not path.exists():
            # The report file was removed since closing: write it again from the store.
            text = render_report(
                self.postmortems[action.postmortem_id],
                self.store.snapshot().items,
                stored.closed_at or now,
                self.zone,
            )
            path = write_report(self.reports_dir, action.postmortem_id, text)
        kind = tracker_of(action.tracking_issue)
        where = f"tracking_issue {action.tracking_issue} (in {stored.source_path})"
        tracker = self.trackers.get(kind)
        if tracker is None:
            raise PermanentError(f"{where} is on {kind}, which is not configured")
        try:
            comment = tracker.post_comment(
                action.tracking_issue,
                path.read_text(encoding="utf-8"),
                report_marker(action.postmortem_id, stored.reopened_count),
            )
        except Deferred as exc:
            self.events.append(Event("waiting", action.postmortem_id, f"report on {action.tracking_issue}: {exc}"))
            return
        except TrackerError as exc:
            raise type(exc)(f"could not post the report on {where}: {exc}", status=exc.status) from exc
        self.store.mark_report_posted(action.postmortem_id, comment.url, now)
        note = "was already there" if comment.already_there else "posted"
        self.events.append(
            Event(
                "posted",
                action.postmortem_id,
                f"report {note} on {action.tracking_issue}",
                comment.url,
            )
        )
