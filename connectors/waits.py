"""Waits a stopping worker does not sit through.

The retry layer and the GitHub pacer may wait (a tracker's ``Retry-After``, room under a
creation limit) for up to half a minute. When the worker is asked to stop, those waits end
at once: the call fails with the error it had, or the creation is deferred, and the worker
stops after the action in flight as promised. One event per process, since a stop request
(SIGTERM) is one per process too.
"""

from __future__ import annotations

import threading

_stopping = threading.Event()


def pause(seconds: float) -> None:
    """Sleep ``seconds``, or less when the process is stopping."""
    _stopping.wait(max(seconds, 0.0))


def stopping() -> bool:
    """Whether waits are being cut short."""
    return _stopping.is_set()


def interrupt() -> None:
    """End every wait now, and make later ones return at once."""
    _stopping.set()


def resume() -> None:
    """Waits last as long as asked again (after a stopped worker, in the same process)."""
    _stopping.clear()


def stop_event() -> threading.Event:
    """The event itself, for a retry policy's stop condition."""
    return _stopping
