"""A measured process: one side of the benchmark, our worker or the naive poller.

Each side runs in a process of its own, started by :mod:`bench.polling`, so that its
``ru_maxrss`` and ``tracemalloc`` figures are its own (the emulator, with every issue, lives
in the driving process). Usage: ``python -m bench.side SPEC.json``. The driver writes one
JSON command per line on standard input and reads one JSON answer per line on standard
output; anything else the side prints goes to standard error.

* start-up: ``{"ready": true, "start_s": ...}`` once the side is built (ours: through
  ``sync.wiring.build_engine`` and each tracker's start-up check, as ``postmortem-sync run``
  does);
* ``{"op": "cycle", "trace": bool}``: one cycle (ours: ``Engine.run_cycle()``; naive: one
  poll), answered with its wall time, the ``tracemalloc`` peak when traced, the process's
  peak memory after it (:func:`peak_rss`), and what the cycle did;
* ``{"op": "quit"}``: close and exit.

A failure answers ``{"error": "..."}`` and exits 1.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any, Protocol, TextIO


class Side(Protocol):
    def cycle(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def ru_maxrss_bytes() -> int:
    """``ru_maxrss`` of this process (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def peak_rss() -> tuple[int, str]:
    """This process's peak resident set size so far, and where it was read.

    On Linux ``ru_maxrss`` survives ``execve``: a process started by a larger one reports
    that one's peak until it grows past it. ``VmHWM`` is the same high-water mark for the
    process's own memory only, so it is read where there is one."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except (OSError, ValueError, IndexError):
        pass
    return ru_maxrss_bytes(), "ru_maxrss"


def memory() -> dict[str, Any]:
    peak, source = peak_rss()
    return {"maxrss_bytes": peak, "maxrss_source": source, "ru_maxrss_bytes": ru_maxrss_bytes()}


class OursSide:
    """The worker as users run it: settings → ``build_engine`` → start-up checks → cycles."""

    def __init__(self, settings: dict[str, Any]) -> None:
        from config.settings import Settings
        from sync.logs import configure_logging
        from sync.wiring import build_engine

        configure_logging(level="warning")
        self.engine = build_engine(Settings(**settings))
        for tracker in self.engine.trackers.values():
            probe = getattr(tracker, "probe", None)
            if callable(probe):
                probe()

    def cycle(self) -> dict[str, Any]:
        result = self.engine.run_cycle()
        actions = Counter(type(action).__name__ for action in result.actions)
        events = Counter(event.kind for event in result.events)
        problems = [f"{k}: {v}" for k, v in list(result.read_errors.items())[:3]]
        problems += [f"{e.subject}: {e.message}" for e in result.events if e.kind == "error"][:3]
        problems += [str(e) for e in result.definition_errors[:3]]
        return {
            "ok": result.ok,
            "skipped": result.skipped,
            "actions": dict(sorted(actions.items())),
            "events": dict(sorted(events.items())),
            "read_errors": len(result.read_errors),
            "definition_errors": len(result.definition_errors),
            "postmortems": result.postmortems,
            "changes_seen": actions.get("RecordStatus", 0),
            "problems": problems,
        }

    def close(self) -> None:
        self.engine.store.close()
        for tracker in self.engine.trackers.values():
            close = getattr(tracker, "close", None)
            if callable(close):
                close()


class NaiveSide:
    """The baseline poller over the links it is given."""

    def __init__(self, naive: dict[str, Any]) -> None:
        from bench.link import Link
        from bench.naive import NaivePoller

        self.poller = NaivePoller(
            [Link.from_json(link) for link in naive["links"]],
            jira_url=naive["jira_url"],
            jira_email=naive["jira_email"],
            jira_token=naive["jira_token"],
            github_url=naive["github_url"],
            github_token=naive["github_token"],
        )

    def cycle(self) -> dict[str, Any]:
        polled = self.poller.poll()
        return {"ok": True, "read": polled.read, "changes_seen": polled.changed, "problems": []}

    def close(self) -> None:
        self.poller.close()


def measured_cycle(side: Side, *, trace: bool) -> dict[str, Any]:
    """One cycle, timed; with ``trace``, under ``tracemalloc`` (which slows it: its wall
    time is not a figure)."""
    gc.collect()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        info = side.cycle()
        wall = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    finally:
        if trace:
            tracemalloc.stop()
    return {"wall_s": wall, "tracemalloc_peak_bytes": peak, **memory(), "info": info}


def serve(spec: dict[str, Any], commands: TextIO, answers: TextIO) -> int:
    def answer(data: dict[str, Any]) -> None:
        answers.write(json.dumps(data) + "\n")
        answers.flush()

    started = time.perf_counter()
    try:
        side: Side = OursSide(spec["settings"]) if spec["side"] == "ours" else NaiveSide(spec["naive"])
    except Exception as exc:
        answer({"error": f"could not start the {spec['side']} side: {type(exc).__name__}: {exc}"})
        return 1
    answer({"ready": True, "start_s": time.perf_counter() - started, **memory()})
    try:
        for line in commands:
            command = json.loads(line)
            if command["op"] == "quit":
                break
            if command["op"] != "cycle":
                answer({"error": f"unknown command {command['op']!r}"})
                return 1
            answer(measured_cycle(side, trace=bool(command.get("trace"))))
    except Exception as exc:
        answer({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    finally:
        side.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.side SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    # Answers go to the real standard output; whatever else is printed goes to standard error.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return serve(spec, sys.stdin, answers)


if __name__ == "__main__":
    sys.exit(main())
