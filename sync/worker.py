"""The long-running worker: one cycle every ``poll_interval`` seconds until SIGTERM.

``schedule`` runs jobs in this thread, one at a time, so cycles never overlap. A cycle that
takes longer than the interval is followed by exactly one cycle, not a burst of catch-ups:
``schedule`` plans the next run from when the job finished.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import schedule
import structlog

from connectors import waits
from sync.cycle import CycleResult, Engine

log = structlog.get_logger(__name__)

#: Items not read or not filed named in the log per cycle (a tracker that is down would
#: otherwise fill it with one line per item).
LOGGED_PER_CYCLE = 20


class Worker:
    def __init__(self, engine: Engine, poll_interval: int) -> None:
        self.engine = engine
        self.poll_interval = poll_interval
        self.stopping = threading.Event()
        engine.should_stop = self.stopping.is_set
        self.cycles = 0

    def cycle(self) -> None:
        """One cycle; an exception is logged and the loop goes on."""
        self.cycles += 1
        try:
            result = self.engine.run_cycle()
            # No terminal shows what a cycle did here: the log says it, one line each.
            for event in result.events:
                if event.kind != "error":  # failures are logged where they happen
                    log.info(event.message, what=event.kind, subject=event.subject, url=event.url)
            unread = sorted(result.read_errors.items())
            for subject, why in unread[:LOGGED_PER_CYCLE]:
                log.warning("not read or not filed", subject=subject, why=why)
            if len(unread) > LOGGED_PER_CYCLE:
                log.warning("more items not read or not filed", count=len(unread) - LOGGED_PER_CYCLE)
            for subject, why in sorted(result.attention.items()):
                log.warning("gone from the tracker", subject=subject, why=why)
            if not result.ok:
                log.warning("cycle finished with problems", **result.summary())
        except Exception:
            log.exception("cycle failed; the next one runs on schedule")

    def stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """First signal: finish the action in flight, then stop. Second: stop now (safe: every
        step is committed before the next, and a lost answer is settled by its marker)."""
        if self.stopping.is_set():
            log.warning("stopping now", signal=signum)
            raise SystemExit(1)
        log.info("stopping after the action in flight", signal=signum)
        self.stopping.set()
        waits.interrupt()  # a tracker's Retry-After is not waited out

    def run_once(self, *, dry_run: bool = False) -> CycleResult:
        """One cycle (``sync --once``), stopped by SIGTERM or Ctrl-C as ``run`` is: after the
        action in flight, the rest left for the next cycle."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            return self.engine.run_cycle(dry_run=dry_run)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            waits.resume()

    def run(self, max_cycles: int | None = None) -> None:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        scheduler = schedule.Scheduler()
        log.info("worker started", poll_interval=self.poll_interval)
        try:
            self.cycle()
            # Scheduled only now, so a long first cycle is not followed by another at once.
            scheduler.every(self.poll_interval).seconds.do(self.cycle)
            while not self.stopping.is_set() and (max_cycles is None or self.cycles < max_cycles):
                scheduler.run_pending()
                idle = scheduler.idle_seconds
                self.stopping.wait(timeout=min(1.0, max(idle if idle is not None else 1.0, 0.05)))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            waits.resume()
            log.info("worker stopped", cycles=self.cycles)
