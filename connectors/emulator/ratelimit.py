"""Fixed-window request counters, one per caller, as both vendors' rate limits behave."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class Quota:
    """A caller's standing in its current window, after the request being answered."""

    limit: int
    remaining: int
    used: int
    #: When the window ends, epoch seconds.
    reset: float
    allowed: bool

    @property
    def reset_epoch(self) -> int:
        """The window end rounded up to whole seconds, as GitHub sends it."""
        return math.ceil(self.reset)


class RateLimiter:
    """Counts requests per key in windows of ``window`` seconds starting at first use."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _current(self, key: str) -> tuple[float, int]:
        now = self._clock.now()
        start, used = self._windows.get(key, (now, 0))
        if now >= start + self.window:
            start, used = now, 0
        return start, used

    def consume(self, key: str) -> Quota:
        """Count one request for ``key`` if there is room; say whether it may proceed."""
        with self._lock:
            start, used = self._current(key)
            allowed = used < self.limit
            if allowed:
                used += 1
            self._windows[key] = (start, used)
            return Quota(self.limit, self.limit - used, used, start + self.window, allowed)

    def refund(self, key: str) -> Quota:
        """Give back one request (a 304 answer does not count on GitHub)."""
        with self._lock:
            start, used = self._current(key)
            used = max(0, used - 1)
            self._windows[key] = (start, used)
            return Quota(self.limit, self.limit - used, used, start + self.window, True)

    def peek(self, key: str) -> Quota:
        """The standing of ``key`` without counting anything."""
        with self._lock:
            start, used = self._current(key)
            allowed = used < self.limit
            return Quota(self.limit, self.limit - used, used, start + self.window, allowed)
