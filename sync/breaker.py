"""A circuit breaker per tracker, across cycles and processes.

A tracker that keeps failing (cycle after cycle it was given up on: timeouts, 5xx, lost
connections, refused credentials) is left alone for a while instead of being called again
every cycle: its items keep their last known status, nothing of it is filed, and the other
tracker syncs as usual. When the pause is over one cycle tries it again (the probe): if it
answers, the breaker closes; if not, the pause doubles, up to an hour.

The state lives in each cycle's summary in the store, so a worker started afresh for each
cycle (``sync --once`` from cron) keeps it too. The decisions are pure functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn

from connectors.base import Deferred

#: Cycles in a row in which a tracker failed before it is left alone.
OPEN_AFTER = 3
#: The first pause, doubled after each failed probe, never longer than MAX_PAUSE.
FIRST_PAUSE = timedelta(minutes=5)
MAX_PAUSE = timedelta(hours=1)

#: What a cycle saw of a tracker: it answered, it kept failing, it was not called (open
#: breaker), or nothing needed it.
Outcome = Literal["ok", "failed", "skipped", "unused"]


@dataclass(frozen=True)
class Breaker:
    """One tracker's breaker: consecutive failed cycles, and until when it is left alone."""

    failures: int = 0
    open_until: datetime | None = None
    reason: str = ""

    def is_open(self, now: datetime) -> bool:
        """Whether this cycle must leave the tracker alone. A pause ending further ahead
        than the longest one (the clock went back, or the store was edited) is over."""
        return self.open_until is not None and now < self.open_until <= now + MAX_PAUSE

    def to_json(self) -> dict[str, Any]:
        return {
            "failures": self.failures,
            "open_until": self.open_until.isoformat() if self.open_until else None,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: object) -> Breaker:
        if not isinstance(data, dict):
            return cls()
        until = data.get("open_until")
        try:
            open_until = datetime.fromisoformat(until) if isinstance(until, str) else None
        except ValueError:
            open_until = None
        if open_until is not None and open_until.tzinfo is None:
            open_until = None  # not written by the worker: no pause
        failures = data.get("failures")
        return cls(
            failures=failures if isinstance(failures, int) and failures >= 0 else 0,
            open_until=open_until,
            reason=str(data.get("reason") or ""),
        )


class LeftAlone:
    """Stands in for a tracker whose breaker is open while the plan is carried out: every
    call is deferred (:class:`Deferred`: nothing sent, tried again in a later cycle), so a
    report, a move or an edit waits for the pause to end like the reads do."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        def deferred(*_args: object, **_kwargs: object) -> NoReturn:
            raise Deferred(self.why)

        return deferred


def pause_after(failures: int) -> timedelta:
    """How long a tracker is left alone after ``failures`` failed cycles in a row (pure)."""
    doublings = max(0, failures - OPEN_AFTER)
    return min(FIRST_PAUSE * (1 << min(doublings, 16)), MAX_PAUSE)


def next_breaker(breaker: Breaker, outcome: Outcome, now: datetime, reason: str = "") -> Breaker:
    """The breaker after a cycle that saw ``outcome`` of its tracker (pure)."""
    if outcome == "ok":
        return Breaker()
    if outcome in ("skipped", "unused"):
        return breaker
    failures = breaker.failures + 1
    if failures < OPEN_AFTER:
        return Breaker(failures, None, reason)
    return Breaker(failures, now + pause_after(failures), reason)


def breakers_from(summary: Mapping[str, Any] | None) -> dict[str, Breaker]:
    """The breakers a cycle's stored summary holds."""
    raw = summary.get("breakers") if isinstance(summary, Mapping) else None
    if not isinstance(raw, dict):
        return {}
    return {str(kind): Breaker.from_json(data) for kind, data in raw.items()}
