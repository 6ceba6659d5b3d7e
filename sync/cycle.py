"""One sync cycle: load → observe → plan → apply, recorded in the store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import cast

import structlog

from config.teams import Team
from config.yamlfile import SourceError
from connectors.base import ItemKey, ItemStatus, Tracker
from sync.apply import Applier, Event
from sync.breaker import Breaker, LeftAlone, Outcome, breakers_from, next_breaker
from sync.cycle_lock import cycle_lock
from sync.identity import check_identity
from sync.loader import load_definitions
from sync.observe import observe
from sync.plan import Action, Definition, Observations, plan
from sync.store import Store

log = structlog.get_logger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CycleResult:
    started_at: datetime
    finished_at: datetime | None = None
    dry_run: bool = False
    actions: list[Action] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    definition_errors: list[SourceError] = field(default_factory=list)
    read_errors: dict[str, str] = field(default_factory=dict)
    #: Items whose state needs a person (an issue gone from its tracker), with what to do.
    attention: dict[str, str] = field(default_factory=dict)
    postmortems: int = 0
    skipped: bool = False
    #: Asked to stop before the cycle was through: the rest waits for the next one.
    stopped: bool = False
    #: Trackers whose circuit breaker is not closed after this cycle.
    breakers: dict[str, Breaker] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing needs attention: every definition loaded and every call worked."""
        return (
            not self.skipped
            and not self.stopped
            and not self.definition_errors
            and not self.read_errors
            and not self.attention
            and not any(e.kind == "error" for e in self.events)
        )

    def summary(self) -> dict[str, object]:
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
        return {
            "postmortems": self.postmortems,
            "definition_errors": len(self.definition_errors),
            "read_errors": len(self.read_errors),
            "gone": len(self.attention),
            "actions": len(self.actions),
            **counts,
            **({"stopped": True} if self.stopped else {}),
        }


def gone_issues(definitions: Sequence[Definition], observations: Observations) -> dict[str, str]:
    """Issues that vanished from their tracker and what a person can do about each."""
    out: dict[str, str] = {}
    for definition in definitions:
        pm = definition.postmortem
        keys = [(ItemKey(pm.id, item.id), item.withdrawn) for item in pm.action_items]
        for key, withdrawn in [(ItemKey.tracking(pm.id), None), *keys]:
            state = observations.states.get(key)
            if state is None or state.status is not ItemStatus.GONE or withdrawn:
                continue
            if key.is_tracking:
                out[str(key)] = (
                    f"{state.ref.key} is gone from its tracker: restore it, or the report cannot be posted on it"
                )
            else:
                out[str(key)] = (
                    f"{state.ref.key} is gone from its tracker: restore it, or withdraw the item "
                    "(withdrawn: reason) so that the post-mortem can close"
                )
    return out


def _outcome(value: str) -> Outcome:
    return value if value in ("ok", "failed", "skipped", "unused") else "failed"  # type: ignore[return-value]


class Engine:
    """Runs cycles against one store and one set of trackers. Cycles never overlap."""

    def __init__(
        self,
        *,
        store: Store,
        trackers: Mapping[str, Tracker],
        teams: Mapping[str, Team],
        postmortems_dir: Path,
        reports_dir: Path,
        create_grace: timedelta,
        clock: Callable[[], datetime] = utcnow,
        should_stop: Callable[[], bool] = lambda: False,
        zone: tzinfo = UTC,
        teams_file: Path | None = None,
    ) -> None:
        #: Left out of the definitions when it sits among them.
        self.teams_file = teams_file
        #: Whose calendar decides deadlines and report days.
        self.zone = zone
        self.store = store
        self.trackers = trackers
        self.teams = teams
        self.postmortems_dir = postmortems_dir
        self.reports_dir = reports_dir
        self.create_grace = create_grace
        self.clock = clock
        #: Asked between actions; a worker told to stop leaves the rest for the next run.
        self.should_stop = should_stop
        self._running = threading.Lock()

    def run_cycle(self, *, dry_run: bool = False) -> CycleResult:
        result = CycleResult(started_at=self.clock(), dry_run=dry_run)
        if not self._running.acquire(blocking=False):
            log.warning("previous cycle still running; skipping this one")
            result.skipped = True
            return result
        try:
            if self.store.reopen_if_replaced():
                log.warning(
                    "the state store's file was deleted or replaced; opened it again",
                    database=self.store.engine.url.database,
                )
            if dry_run:
                self._cycle(result)
                return result
            with cycle_lock(self.store.engine) as held:
                if not held:
                    log.warning("another process is running a cycle on this state store; skipping this one")
                    result.skipped = True
                    return result
                self._cycle(result)
        finally:
            self._running.release()
        return result

    def _breakers(self) -> dict[str, Breaker]:
        """The circuit breakers as the last finished cycle left them."""
        try:
            last = self.store.last_finished_cycle()
            return breakers_from(last.summary if last is not None else None)
        except Exception as exc:  # a breaker never stops the sync: none is open then
            log.warning("could not read the circuit breakers; taking every tracker as answering", error=str(exc))
            return {}

    def _left_alone(self, breakers: Mapping[str, Breaker], now: datetime) -> dict[str, str]:
        return {
            kind: (
                f"{kind} failed in {b.failures} cycles in a row, so it is left alone until "
                f"{b.open_until.astimezone(self.zone):%Y-%m-%d %H:%M %Z} (last: {b.reason})"
            )
            for kind, b in breakers.items()
            if b.open_until is not None and b.is_open(now) and kind in self.trackers
        }

    def left_alone(self) -> dict[str, str]:
        """Trackers whose circuit breaker is open now, with why: not to be called."""
        return self._left_alone(self._breakers(), self.clock())

    def _next_breakers(
        self, breakers: Mapping[str, Breaker], seen: Mapping[str, tuple[str, str]], now: datetime
    ) -> dict[str, Breaker]:
        out: dict[str, Breaker] = {}
        for kind in self.trackers:
            before = breakers.get(kind, Breaker())
            outcome, error = seen.get(kind, ("unused", ""))
            after = next_breaker(before, _outcome(outcome), now, error)
            if after.open_until is not None and after.open_until != before.open_until:
                log.warning(
                    "tracker left alone for a while",
                    tracker=kind,
                    failed_cycles=after.failures,
                    until=after.open_until.isoformat(),
                    error=error,
                )
            elif before.failures and not after.failures:
                log.info("tracker answers again", tracker=kind)
            if after != Breaker():
                out[kind] = after
        return out

    def _cycle(self, result: CycleResult) -> None:
        snapshot = self.store.snapshot()
        loaded = load_definitions(
            [self.postmortems_dir],
            self.teams,
            established=[pm.source_path for pm in snapshot.postmortems.values()],
            exclude=[self.teams_file] if self.teams_file is not None else [],
        )
        usable, renamed = check_identity(loaded.postmortems, snapshot)
        result.definition_errors = [*loaded.errors, *renamed]
        for error in result.definition_errors:
            log.error("definition skipped", error=str(error))
        definitions = [Definition(lp.postmortem, str(lp.path)) for lp in usable]
        result.postmortems = len(definitions)

        breakers = self._breakers()
        skip = self._left_alone(breakers, self.clock())
        observations = observe(definitions, self.teams, snapshot, self.trackers, self.should_stop, skip)
        result.read_errors = {str(k): v for k, v in observations.read_errors.items()}
        result.attention = gone_issues(definitions, observations)
        result.actions = plan(
            definitions, self.teams, snapshot, observations, self.clock(), self.create_grace, self.zone
        )
        if result.dry_run:
            result.finished_at = self.clock()
            return

        cycle_id = self.store.start_cycle(result.started_at)
        # A tracker whose breaker is open is not written to either: its actions wait.
        trackers = {
            kind: cast(Tracker, LeftAlone(skip[kind])) if kind in skip else tracker
            for kind, tracker in self.trackers.items()
        }
        applier = Applier(
            self.store,
            trackers,
            {d.postmortem.id: d.postmortem for d in definitions},
            self.reports_dir,
            self.clock,
            self.zone,
        )
        result.events = applier.apply(result.actions, self.should_stop)
        result.stopped = self.should_stop()  # then not every read or action may have been made
        self.store.record_item_errors(dict(observations.read_errors))
        result.finished_at = self.clock()
        # A stop request cuts retries short: what the trackers did then says nothing of them.
        result.breakers = (
            dict(breakers)
            if result.stopped
            else self._next_breakers(breakers, observations.trackers, result.finished_at)
        )
        summary = {
            **result.summary(),
            "definition_problems": [str(e) for e in result.definition_errors[:20]],
            "breakers": {kind: b.to_json() for kind, b in result.breakers.items()},
        }
        self.store.finish_cycle(cycle_id, result.finished_at, result.ok, summary)
        log.info("cycle finished", ok=result.ok, **result.summary())
