"""Pacing content creation (issues, comments) under GitHub's secondary limits.

GitHub asks integrations to create at most about 80 pieces of content a minute and 500 an
hour. The pacer keeps the times of recent creations and makes the next one wait until it
fits every window; a wait longer than a cycle may block is not slept through: the create is
deferred (:class:`connectors.base.Deferred`) and tried again in a later cycle. When GitHub
answers a limit anyway, :meth:`ContentPacer.hold` stops further creations until it said.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from connectors import waits
from connectors.base import Deferred
from connectors.errors import MAX_RETRY_AFTER

#: (how many, per how many seconds): GitHub's documented content-creation limits.
GITHUB_CONTENT_LIMITS: tuple[tuple[int, float], ...] = ((80, 60.0), (500, 3600.0))


def wait_before_next(times: Sequence[float], now: float, limits: Iterable[tuple[int, float]]) -> float:
    """Seconds until one more creation fits every ``(count, window)`` limit, given the
    ``times`` (ascending) of earlier ones (pure)."""
    wait = 0.0
    for count, window in limits:
        recent = [t for t in times if t > now - window]
        if len(recent) >= count:
            # The oldest creation that must leave the window first.
            wait = max(wait, recent[len(recent) - count] + window - now)
    return max(wait, 0.0)


class ContentPacer:
    """Content creations of one process against one GitHub endpoint."""

    def __init__(
        self,
        limits: Sequence[tuple[int, float]] = GITHUB_CONTENT_LIMITS,
        *,
        max_wait: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = waits.pause,
    ) -> None:
        self.limits = tuple(limits)
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._times: deque[float] = deque()
        self._held_until = 0.0
        self._lock = threading.Lock()

    def acquire(self, what: str) -> None:
        """Wait until ``what`` (one creation) may go, or raise :class:`Deferred`."""
        with self._lock:
            now = self._clock()
            longest = max((window for _, window in self.limits), default=0.0)
            while self._times and self._times[0] <= now - longest:
                self._times.popleft()
            wait = max(wait_before_next(self._times, now, self.limits), self._held_until - now)
            if wait > self.max_wait:
                raise Deferred(
                    f"{what} waits for GitHub's content-creation limit ({wait:.0f}s); it is made in a later cycle",
                    retry_after=wait,
                )
            if wait > 0:
                self._sleep(wait)
                if waits.stopping():
                    raise Deferred(f"{what} is made in a later cycle: the worker is stopping", retry_after=wait)
            self._times.append(self._clock())

    def held_for(self) -> float:
        """Seconds left of a wait GitHub asked for (0: none)."""
        with self._lock:
            return max(0.0, self._held_until - self._clock())

    def hold(self, seconds: float) -> None:
        """GitHub answered a limit and asked to wait ``seconds``: no creation before then."""
        seconds = min(seconds, MAX_RETRY_AFTER) if seconds == seconds else 0.0  # NaN: no hold
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + seconds)
