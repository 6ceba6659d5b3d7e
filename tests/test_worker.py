"""The long-running loop: failures do not kill it, cycles never overlap, SIGTERM stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.emulator import RequestRecord
from sync.cycle import CycleResult
from sync.worker import Worker
from tests.e2e import World, make_world


class FlakyEngine:
    """Raises on its first cycle, then works; records the cycles it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def run_cycle(self, **_: Any) -> CycleResult:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("database went away")
        return CycleResult(started_at=datetime.now(UTC))


def test_an_exception_in_a_cycle_does_not_stop_the_loop() -> None:
    engine = FlakyEngine()
    worker = Worker(engine, poll_interval=1)  # type: ignore[arg-type]
    started = time.monotonic()
    worker.run(max_cycles=3)
    assert engine.calls == 3
    assert time.monotonic() - started < 5


def test_engine_never_runs_two_cycles_at_once(tmp_path: Path) -> None:
    world = make_world(tmp_path, latency=0.05)
    try:
        engine = world.engine()
        results: list[CycleResult] = []
        threads = [threading.Thread(target=lambda: results.append(engine.run_cycle())) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.skipped for r in results) == [False, True]
        assert world.issue_count() == 9
    finally:
        world.emulator.stop()


def test_run_stops_cleanly_on_sigterm(world: World) -> None:
    stopped = _sigterm(world, ["run"], until=lambda: world.issue_count() == 9, settle=0)
    assert world.issue_count() == 9
    assert stopped.returncode == 0, stopped.err
    assert "worker stopped" in stopped.err


def test_a_second_process_on_the_same_store_skips_its_cycle(world: World) -> None:
    from sqlalchemy import create_engine

    from sync.cycle_lock import cycle_lock

    with cycle_lock(create_engine(world.database_url)) as held:
        assert held
        out = world.cli("sync", "--once")
    assert out.returncode == 1 and "another cycle is running" in out.stdout
    assert world.issue_count() == 0
    assert world.cli("sync", "--once").returncode == 0
    assert world.issue_count() == 9


def test_two_processes_started_together_file_each_item_once(tmp_path: Path) -> None:
    world = make_world(tmp_path, latency=0.02)
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "sync.cli", "sync", "--once"],
                env=world.env(),
                cwd=world.workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for proc in procs:
            proc.communicate(timeout=60)
        # One runs the cycle; the other skips it (exit 1) or, if it started late, finds
        # everything filed (exit 0). Either way each item has exactly one issue.
        codes = sorted(p.returncode for p in procs)
        assert codes in ([0, 1], [0, 0]), codes
        assert world.issue_count() == 9
    finally:
        world.emulator.stop()


class SlowEngine:
    """Each cycle takes longer than the poll interval; records when cycles start and end."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spans: list[tuple[float, float]] = []

    def run_cycle(self, **_: Any) -> CycleResult:
        started = time.monotonic()
        time.sleep(self.seconds)
        self.spans.append((started, time.monotonic()))
        return CycleResult(started_at=datetime.now(UTC))


def test_a_long_cycle_is_followed_by_one_cycle_an_interval_later_never_a_burst() -> None:
    engine = SlowEngine(seconds=1.5)
    Worker(engine, poll_interval=1).run(max_cycles=3)  # type: ignore[arg-type]
    gaps = [nxt[0] - prev[1] for prev, nxt in zip(engine.spans, engine.spans[1:], strict=False)]
    assert len(gaps) == 2
    # Each cycle starts a whole interval after the previous one ended: no catch-up run at once.
    assert all(gap >= 0.9 for gap in gaps), gaps


def test_sigterm_during_a_trackers_retry_after_stops_the_worker_at_once(world: World) -> None:
    # Every GitHub issue creation is refused with a 25-second Retry-After, which the retry
    # layer accepts to wait (it is under its 30-second cap).
    world.emulator.faults.add(method="POST", path=r"/issues$", server="github", status=429, retry_after=25, times=None)
    github_issues_before = _github_issues(world)
    stopped = _sigterm(world, ["run"], until=_saw(world, lambda r: r.method == "POST" and r.status == 429))
    assert stopped.returncode == 0, stopped.err
    assert "worker stopped" in stopped.err
    assert stopped.took < 10, f"the worker sat through the tracker's wait ({stopped.took:.1f}s)"
    # The refused creation was not made, and no other was started after the stop request.
    assert _github_issues(world) == github_issues_before


def _github_issues(world: World) -> int:
    return sum(len(world.emulator.github_issues(repo)) for repo in ("acme/payments", "acme/edge"))


def test_sigterm_during_the_pause_between_github_writes_stops_the_worker_at_once(world: World) -> None:
    writes: list[int] = []
    stopped = _sigterm(
        world,
        ["run"],
        until=_saw(world, lambda r: r.server == "github" and r.method == "POST"),
        before=lambda: writes.append(_github_writes(world)),
        PMSYNC_GITHUB_SECONDS_BETWEEN_WRITES="60",
    )
    assert stopped.returncode == 0, stopped.err
    assert stopped.took < 10, f"the worker sat through the pause between writes ({stopped.took:.1f}s)"
    assert _github_writes(world) == writes[0]  # nothing written after the stop request


def _github_writes(world: World) -> int:
    return sum(1 for r in world.emulator.request_log if r.server == "github" and r.method != "GET")


def test_github_writes_are_spaced_as_configured(world: World, monkeypatch: Any) -> None:
    from connectors import waits

    pauses: list[float] = []
    monkeypatch.setattr(waits, "pause", lambda seconds: pauses.append(seconds))
    world.engine(github_seconds_between_writes=30).run_cycle()
    assert [p for p in pauses if p > 25], pauses  # each write after the first waited its turn


def test_sync_once_stops_after_the_action_in_flight_on_sigterm(world: World) -> None:
    world.emulator.faults.add(mode="delay", method="POST", path=r"^/rest/api/3/issue$", server="jira", delay=2.0)
    # SIGTERM while the slow create is in flight.
    in_flight = _saw(world, lambda r: r.server == "jira" and r.method == "POST")
    stopped = _sigterm(world, ["sync", "--once"], until=in_flight, settle=0)
    assert stopped.returncode == 1, stopped.out + stopped.err
    assert "stopped before the end" in stopped.out and "Traceback" not in stopped.err
    assert 1 <= world.issue_count() < 9  # the create in flight was finished and recorded
    again = world.cli("sync", "--once")
    assert again.returncode == 0, again.stdout + again.stderr
    assert world.issue_count() == 9


@dataclass
class Stopped:
    returncode: int
    out: str
    err: str
    #: Seconds from SIGTERM to the process's exit.
    took: float


def _sigterm(
    world: World,
    args: list[str],
    until: Callable[[], bool],
    settle: float = 0.5,
    before: Callable[[], object] = lambda: None,
    **settings: str,
) -> Stopped:
    """Start ``postmortem-sync ARGS``, wait ``until`` it holds (30 s at most), then ``settle``
    seconds, then send SIGTERM and wait for the process to end."""
    env = {**world.env(), "PMSYNC_POLL_INTERVAL": "5", **settings}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", *args],
        env=env,
        cwd=world.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not until():
            time.sleep(0.05)
        time.sleep(settle)
        before()
        proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        out, err = proc.communicate(timeout=20)
        return Stopped(proc.returncode, out, err, time.monotonic() - stopped_at)
    finally:
        if proc.poll() is None:
            proc.kill()


def _saw(world: World, request: Callable[[RequestRecord], bool]) -> Callable[[], bool]:
    """Whether the emulator has had a request that ``request`` matches."""
    return lambda: any(request(r) for r in world.emulator.request_log)
