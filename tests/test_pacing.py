"""Pacing content creation: the waits are decided by a pure function, tested with a table."""

from __future__ import annotations

import threading

import pytest

from connectors import waits
from connectors.base import Deferred
from connectors.pacing import ContentPacer, wait_before_next

LIMITS = ((3, 60.0), (5, 3600.0))


@pytest.mark.parametrize(
    ("times", "now", "wait"),
    [
        ([], 100.0, 0.0),
        ([10.0, 20.0], 100.0, 0.0),  # room in both windows
        ([50.0, 60.0, 70.0], 100.0, 10.0),  # three in the last minute: the first must age out
        ([30.0, 60.0, 70.0], 100.0, 0.0),  # the first is out of the minute already
        ([0.0, 500.0, 1000.0, 1500.0, 2000.0], 2010.0, 1590.0),  # five in the hour
        ([0.0, 500.0, 1000.0, 1500.0, 2000.0], 3601.0, 0.0),
    ],
)
def test_wait_before_next(times: list[float], now: float, wait: float) -> None:
    assert wait_before_next(times, now, LIMITS) == pytest.approx(wait)


def test_the_pacer_sleeps_short_waits_and_defers_long_ones() -> None:
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    pacer = ContentPacer(((2, 10.0), (3, 100.0)), max_wait=30, clock=lambda: clock[0], sleep=sleep)
    pacer.acquire("a")
    pacer.acquire("b")
    pacer.acquire("c")  # the minute-like window is full: sleeps until it frees
    assert sleeps == [10.0]
    with pytest.raises(Deferred) as deferred:
        pacer.acquire("d")  # the long window is full for ~90 s: not slept through
    assert deferred.value.not_processed and deferred.value.retry_after == pytest.approx(90.0)
    clock[0] += 100
    pacer.acquire("e")
    pacer.hold(45)  # GitHub said so
    with pytest.raises(Deferred):
        pacer.acquire("f")


def test_a_stopping_worker_defers_a_creation_instead_of_waiting_for_room() -> None:
    pacer = ContentPacer(((1, 60.0),), max_wait=120.0)
    pacer.acquire("first issue")
    timer = threading.Timer(0.2, waits.interrupt)
    timer.start()
    try:
        with pytest.raises(Deferred, match="stopping"):
            pacer.acquire("second issue")
    finally:
        timer.cancel()
        waits.resume()
