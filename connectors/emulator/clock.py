"""The emulator's wall clock, and the timestamp formats GitHub and Jira put on the wire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Epoch-seconds wall clock that never runs backwards.

    ``source`` is injectable so tests can drive time; :meth:`advance` moves the emulator's
    notion of "now" forward (rate-limit windows, ``updated > -5m``) without sleeping.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._last = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current time in epoch seconds, never earlier than a previous answer."""
        with self._lock:
            # A stepped-back system clock must not make an edit look older than the one before it.
            self._last = max(self._last, self._source() + self._offset)
            return self._last

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds


def utc(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=UTC)


def github_time(ts: float) -> str:
    """GitHub's timestamp format, whole seconds: ``2024-03-12T14:47:00Z``."""
    return utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def jira_time(ts: float) -> str:
    """Jira's timestamp format with milliseconds: ``2024-03-12T14:47:00.000+0000``."""
    dt = utc(ts)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 timestamp (``Z`` or offset; naive means UTC) to epoch seconds."""
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
