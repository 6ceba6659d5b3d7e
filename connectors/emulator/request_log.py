"""A thread-safe record of the requests the emulator answered, for tests to count."""

from __future__ import annotations

import threading
from typing import NamedTuple


class RequestRecord(NamedTuple):
    """One answered request. ``status`` is 0 when the connection was dropped instead."""

    server: str
    method: str
    path: str
    status: int


class RequestLog:
    """Append-only list of :class:`RequestRecord`; control-API calls are not recorded."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, server: str, method: str, path: str, status: int) -> None:
        """Record one request."""
        with self._lock:
            self._records.append(RequestRecord(server, method, path, status))

    def snapshot(self) -> list[RequestRecord]:
        """A copy of everything recorded so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._records.clear()
