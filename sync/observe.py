"""Reading the trackers at the start of a cycle: statuses of linked issues, markers of the rest.

Read-only: ``sync --dry-run`` runs this too. Failures are collected, not raised: an item
that could not be read keeps its last known status and can neither close its post-mortem
nor be filed again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from config.teams import Team
from connectors.base import (
    IssueGone,
    IssueState,
    ItemKey,
    ItemStatus,
    PermanentError,
    Tracker,
    TrackerError,
    TransientError,
)
from connectors.markers import TRACKING_LABEL
from sync.plan import Definition, Observations
from sync.store import Snapshot, StoredItem

log = structlog.get_logger(__name__)

#: Consecutive transient failures after which a tracker is left alone for the rest of a cycle.
GIVE_UP_AFTER = 3
#: How far before a create attempt to search for its issue (clock skew between us and the tracker).
SKEW_MARGIN = timedelta(hours=1)


@dataclass
class _TrackerHealth:
    """Which trackers to leave alone for the rest of a cycle, and why."""

    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: dict[str, str] = field(default_factory=dict)
    successes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_error: dict[str, str] = field(default_factory=dict)
    #: Trackers whose circuit breaker is open: not called at all this cycle.
    skipped: dict[str, str] = field(default_factory=dict)

    def down(self, kind: str) -> bool:
        return kind in self.skipped or kind in self.refused or self.failures[kind] >= GIVE_UP_AFTER

    def why(self, kind: str) -> str:
        return (
            self.skipped.get(kind)
            or self.refused.get(kind)
            or f"{kind} failed {GIVE_UP_AFTER} times in a row; not called again this cycle"
        )

    def outcome(self, kind: str) -> str:
        """What this cycle saw of the tracker, for its circuit breaker."""
        if kind in self.skipped:
            return "skipped"
        if kind in self.refused or self.failures[kind] >= GIVE_UP_AFTER:
            return "failed"
        if self.successes[kind]:
            return "ok"
        return "failed" if self.errors[kind] else "unused"

    def record(self, kind: str, exc: TrackerError | None) -> None:
        if exc is None:
            self.failures[kind] = 0
            self.successes[kind] += 1
            return
        self.errors[kind] += 1
        self.last_error[kind] = str(exc)
        if isinstance(exc, TransientError):
            self.failures[kind] += 1
        elif exc.status == 401:
            # Every other call would be refused the same way.
            self.refused[kind] = f"{kind} refused the credentials earlier in this cycle ({exc})"
        elif exc.status == 410 and not isinstance(exc, IssueGone):
            self.refused[kind] = f"{kind} no longer has the API this worker uses ({exc})"


def not_its_issue(key: ItemKey, stored: StoredItem, state: IssueState) -> bool:
    """Whether the issue read for ``key`` is another one (pure): it carries another item's
    marker, or it answers under a new key without this item's marker (a moved issue keeps
    its text; an id given out anew by another site does not)."""
    if state.item is not None:
        return state.item != key
    return state.ref.key != stored.issue_key


def observe(
    definitions: Sequence[Definition],
    teams: Mapping[str, Team],
    snapshot: Snapshot,
    trackers: Mapping[str, Tracker],
    should_stop: Callable[[], bool] = lambda: False,
    skip: Mapping[str, str] | None = None,
) -> Observations:
    """Read what the plan needs; when asked to stop, return what was read so far (an item
    left unread is neither filed nor counted as finished). Trackers in ``skip`` (an open
    circuit breaker, with why) are not called."""
    states: dict[ItemKey, IssueState] = {}
    read_errors: dict[ItemKey, str] = {}
    searched: set[ItemKey] = set()
    found: dict[ItemKey, IssueState] = {}
    health = _TrackerHealth(skipped=dict(skip or {}))
    to_search: dict[tuple[str, str], dict[ItemKey, datetime | None]] = defaultdict(dict)

    def read(key: ItemKey, stored: StoredItem) -> None:
        tracker = trackers.get(stored.tracker)
        if tracker is None:
            read_errors[key] = f"{stored.tracker} is not configured"
            return
        if health.down(stored.tracker):
            read_errors[key] = f"not read: {health.why(stored.tracker)}"
            return
        ref = stored.ref()
        team = teams.get(stored.team)
        home = team.target if team is not None and team.tracker == stored.tracker else None
        try:
            state = tracker.get_issue(ref, home)
            health.record(stored.tracker, None)
            if not_its_issue(key, stored, state):
                # Read by id, but another issue answered (a site whose ids were given out
                # anew, an id re-used): never mirror it, follow it or write to it.
                carries = f"the marker of {state.item}" if state.item is not None else "no postmortem-sync marker"
                detail = (
                    f"gone from {stored.tracker}: issue id {ref.id} now answers as {state.ref.key}, which carries "
                    f"{carries}; it is not this item's issue"
                )
                log.warning("another issue answers for a linked one", item=str(key), issue=state.ref.key)
                state = IssueState(ref=ref, status=ItemStatus.GONE, detail=detail)
            states[key] = state
        except IssueGone as exc:
            # Shown to people as gone; never finished, never filed again on its own.
            states[key] = IssueState(ref=ref, status=ItemStatus.GONE, detail=f"gone from {stored.tracker}: {exc}")
            health.record(stored.tracker, None)
        except TrackerError as exc:
            health.record(stored.tracker, exc)
            read_errors[key] = str(exc)
            log.warning("issue read failed", item=str(key), issue=ref.key, error=str(exc))

    for definition in definitions:
        if should_stop():
            break
        pm = definition.postmortem
        wanted: list[tuple[ItemKey, str]] = [(ItemKey(pm.id, item.id), item.owner) for item in pm.action_items]
        if pm.create_tracking_issue:
            wanted.insert(0, (ItemKey.tracking(pm.id), pm.create_tracking_issue))
        for key, team_name in wanted:
            stored = snapshot.tracking.get(pm.id) if key.is_tracking else snapshot.items.get(key)
            if stored is not None and stored.linked:
                read(key, stored)
                continue
            team = teams[team_name]
            kind: str = team.tracker
            target = team.target
            if stored is not None and stored.create_started_at is not None:
                # Look where the interrupted create went, even if the routing changed since.
                kind, target = stored.tracker, stored.target
                since = stored.create_started_at - SKEW_MARGIN
            else:
                # Not narrowed by time: an issue filed before a lost store, or before an
                # edit of the definition's times, must still be found.
                since = None
            searcher = trackers.get(kind)
            to_search[(kind, searcher.marker_scope(target) if searcher is not None else target)][key] = since

    for (kind, target), keys in to_search.items():
        if should_stop():
            break
        tracker = trackers.get(kind)
        if tracker is None or health.down(kind):
            reason = health.why(kind) if tracker is not None else f"{kind} is not configured"
            read_errors.update({key: f"not filed: {reason}" for key in keys})
            continue
        times = list(keys.values())
        since = None if any(t is None for t in times) else min(t for t in times if t is not None)
        # Issues read just now that carry the label must be in a full answer.
        expect = {
            s.ref.id
            for s in states.values()
            if s.ref.tracker == kind
            and (target == "*" or s.ref.target == target)
            and s.status is not ItemStatus.GONE
            and TRACKING_LABEL in s.labels
        }
        try:
            found.update(tracker.find_by_marker(target, keys, since, expect))
            searched.update(keys)
            health.record(kind, None)
        except TrackerError as exc:
            health.record(kind, exc)
            message = f"not filed: could not look for its issue first: {exc}"
            if isinstance(exc, PermanentError) and exc.status not in (401, 410) and target != "*":
                users = sorted(name for name, team in teams.items() if (team.tracker, team.target) == (kind, target))
                message += f" (check {target}, the {kind} target of {', '.join(users) or 'its team'} in the teams file)"
            read_errors.update({key: message for key in keys})
            if exc.status == 410:
                log.error("the tracker's search API is gone; nothing is filed on it", tracker=kind, error=str(exc))
            else:
                log.warning("marker search failed; nothing is filed there this cycle", target=target, error=str(exc))

    return Observations(
        states=states,
        read_errors=read_errors,
        searched=frozenset(searched),
        found=found,
        trackers={kind: (health.outcome(kind), health.last_error.get(kind, "")) for kind in trackers},
    )
