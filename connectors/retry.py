"""The one retry policy for tracker calls (tenacity), applied by the connectors.

Both client libraries are built with their own retries off, so this is the only layer
that repeats a request. What is retried:

- reads, after any :class:`TransientError` (5xx, 429, timeouts, lost connections);
- writes, only when the tracker certainly did not act (``not_processed``: a rate limit,
  or a connection that was never made). A write whose outcome is unknown is not repeated
  here: the engine looks for its marker in a later cycle instead.

A wait the tracker asks for that is longer than ``max_wait`` is not slept through: the
error goes up, and the tracker is tried again in a later cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_when_event_set,
)

from connectors import waits
from connectors.base import TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    #: Longest single wait accepted, in seconds.
    max_wait: float = 30.0
    #: Longest time spent on one call, waits included.
    total: float = 60.0
    #: First back-off when the tracker does not say how long to wait (doubles each time).
    base: float = 0.5
    #: Cut short when the worker is asked to stop (:mod:`connectors.waits`).
    sleep: Callable[[float], None] = field(default=waits.pause, compare=False)

    def worth_retrying(self, exc: BaseException, *, write: bool) -> bool:
        """Pure: is another attempt at this call worth making?"""
        if not isinstance(exc, TransientError):
            return False
        if write and not exc.not_processed:
            return False
        return exc.retry_after is None or exc.retry_after <= self.max_wait

    def wait_for(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after
        return float(min(self.base * 2 ** (state.attempt_number - 1), self.max_wait))

    def call(self, fn: Callable[[], T], *, write: bool = False) -> T:
        failed: list[BaseException] = []

        def remember(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            failed[:] = [exc] if exc is not None else []

        def sleep(seconds: float) -> None:
            self.sleep(seconds)
            if waits.stopping() and failed:
                raise failed[0]  # the worker is stopping: no further attempt, the call fails as it did

        retrying = Retrying(
            stop=(
                stop_after_attempt(self.attempts)
                | stop_after_delay(self.total)
                | stop_when_event_set(waits.stop_event())
            ),
            wait=self.wait_for,
            retry=retry_if_exception(lambda exc: self.worth_retrying(exc, write=write)),
            before_sleep=remember,
            sleep=sleep,
            reraise=True,
        )
        return retrying(fn)


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)
