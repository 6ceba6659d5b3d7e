"""The circuit breaker per tracker: pure decisions in a table, then end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import Deferred
from connectors.retry import RetryPolicy
from sync.breaker import Breaker, LeftAlone, breakers_from, next_breaker, pause_after
from sync.cycle import Engine
from tests.e2e import World, kinds

NOW = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "outcome", "after"),
    [
        (Breaker(), "ok", Breaker()),
        (Breaker(), "unused", Breaker()),
        (Breaker(), "failed", Breaker(1, None, "boom")),
        (Breaker(1, None, "x"), "failed", Breaker(2, None, "boom")),
        (Breaker(2, None, "x"), "failed", Breaker(3, NOW + timedelta(minutes=5), "boom")),  # opens
        (Breaker(3, NOW, "x"), "skipped", Breaker(3, NOW, "x")),  # left alone: unchanged
        (Breaker(3, NOW, "x"), "failed", Breaker(4, NOW + timedelta(minutes=10), "boom")),  # probe failed
        (Breaker(3, NOW, "x"), "ok", Breaker()),  # probe answered: closed
        (Breaker(1, None, "x"), "ok", Breaker()),
    ],
)
def test_next_breaker(before: Breaker, outcome: str, after: Breaker) -> None:
    assert next_breaker(before, outcome, NOW, "boom") == after  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("failures", "pause"),
    [(3, timedelta(minutes=5)), (4, timedelta(minutes=10)), (6, timedelta(minutes=40)), (40, timedelta(hours=1))],
)
def test_pauses_double_up_to_an_hour(failures: int, pause: timedelta) -> None:
    assert pause_after(failures) == pause


def test_breakers_survive_the_summary_round_trip_and_bad_data() -> None:
    breaker = Breaker(4, NOW, "GET x answered HTTP 503")
    assert breakers_from({"breakers": {"github": breaker.to_json()}}) == {"github": breaker}
    assert breakers_from({"breakers": {"jira": {"failures": "many", "open_until": "soon"}}}) == {"jira": Breaker()}
    assert breakers_from(None) == {} and breakers_from({"breakers": []}) == {}


def test_a_tracker_that_keeps_failing_is_left_alone_and_tried_again_later(world: World) -> None:
    emu = world.emulator
    engine, clock = _open_github_breaker(world)
    # Three failed cycles: GitHub is left alone; Jira goes on.
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    path.write_text(
        path.read_text().replace(
            "lessons_learned:",
            "  - id: AI-6\n    description: Rehearse the rollback\n    owner: Platform Team\n"
            "    deadline: 2030-04-30\n    priority: low\nlessons_learned:",
        )
    )
    emu.clear_request_log()
    clock[0] += timedelta(minutes=1)
    result = engine.run_cycle()
    assert not [r for r in emu.request_log if r.server == "github"]
    assert "filed" in kinds(result)  # the new Jira item
    assert any("left alone until" in message for message in result.read_errors.values())
    status = json.loads(world.cli("status", "--json").stdout)
    assert status["trackers"]["github"]["failures"] == 3 and status["trackers"]["github"]["open_until"]
    assert "left alone until" in world.cli("status").stdout
    # After the pause, one cycle tries again: GitHub answers, and the breaker closes.
    emu.faults.reset()
    clock[0] += timedelta(minutes=6)
    again = engine.run_cycle()
    assert again.ok, (again.read_errors, [e.message for e in again.events if e.kind == "error"])
    assert [r for r in emu.request_log if r.server == "github"]
    assert "trackers" in json.loads(world.cli("status", "--json").stdout)
    assert json.loads(world.cli("status", "--json").stdout)["trackers"] == {}
    engine.store.close()


@pytest.mark.parametrize(
    ("breaker", "is_open"),
    [
        (Breaker(3, NOW + timedelta(minutes=5)), True),
        (Breaker(3, NOW), False),  # the pause is over
        (Breaker(3, NOW - timedelta(minutes=1)), False),
        (Breaker(9, NOW + timedelta(hours=1)), True),  # the longest pause
        (Breaker(3, NOW + timedelta(days=365)), False),  # the clock went back, or a hand edit
        (Breaker(2, None), False),
    ],
)
def test_is_open(breaker: Breaker, is_open: bool) -> None:
    assert breaker.is_open(NOW) is is_open


@pytest.mark.parametrize(
    "summary",
    [
        {"breakers": {"github": {"failures": 3, "open_until": "2024-01-01T00:00:00"}}},  # no time zone
        {"breakers": "github"},
        ["breakers"],
        "breakers",
        42,
    ],
)
def test_a_summary_the_worker_did_not_write_opens_no_breaker(summary: object) -> None:
    assert all(b.open_until is None for b in breakers_from(summary).values())  # type: ignore[arg-type]


def test_left_alone_defers_every_call() -> None:
    tracker = LeftAlone("github is left alone until 12:05")
    with pytest.raises(Deferred, match="left alone until 12:05") as deferred:
        tracker.post_comment("acme/payments#1", "report", "marker")
    assert deferred.value.not_processed


def _open_github_breaker(world: World) -> tuple[Engine, list[datetime]]:
    engine = world.engine()
    for tracker in engine.trackers.values():
        tracker._edge.retry = RetryPolicy(attempts=2, base=0.01)  # type: ignore[attr-defined]
    clock = [datetime.now(UTC)]
    engine.clock = lambda: clock[0]
    engine.run_cycle()
    world.emulator.faults.add(mode="status", status=503, server="github", times=None)
    for _ in range(3):
        clock[0] += timedelta(minutes=1)
        engine.run_cycle()
    return engine, clock


def test_an_open_breaker_holds_back_writes_too(world: World) -> None:
    # A post-mortem whose items are all on Jira, reported on a GitHub tracking issue.
    (world.postmortems / "inc-2024-042-payment-pipeline.yaml").unlink()
    (world.postmortems / "inc-2024-077.yaml").write_text(
        "id: INC-2024-077\ntitle: All on Jira\nseverity: P3\ndetected_at: 2024-03-12T14:47:00Z\n"
        "tracking_issue: acme/payments#1\naction_items:\n"
        "  - id: AI-1\n    description: Do it\n    owner: Platform Team\n    deadline: 2030-03-26\n    priority: low\n"
    )
    engine, clock = _open_github_breaker(world)
    for issue in world.emulator.jira_issues("PLAT"):
        if "INC-2024-077" in issue["fields"]["summary"]:
            world.emulator.jira_transition(issue["key"], "Done")
    world.emulator.clear_request_log()
    clock[0] += timedelta(minutes=1)
    result = engine.run_cycle()
    assert not [r for r in world.emulator.request_log if r.server == "github"]
    assert any(e.kind == "waiting" and "left alone until" in e.message for e in result.events)
    # After the pause the report is posted once.
    world.emulator.faults.reset()
    clock[0] += timedelta(minutes=6)
    result = engine.run_cycle()
    assert "posted" in kinds(result)
    assert world.emulator.github_issue("acme/payments", 1)["comments"] == 1
    engine.store.close()


def test_sync_once_does_not_probe_a_tracker_left_alone(world: World) -> None:
    engine, _ = _open_github_breaker(world)
    engine.store.close()
    world.emulator.clear_request_log()
    out = world.cli("sync", "--once")
    assert "left alone until" in out.stdout and "not checked" in out.stdout
    assert not [r for r in world.emulator.request_log if r.server == "github"]


def test_an_unreadable_cycle_summary_stops_neither_cycles_nor_status(world: World) -> None:
    from sqlalchemy import create_engine, text

    assert world.cli("sync", "--once").returncode == 0
    db = create_engine(world.database_url)
    with db.begin() as conn:
        conn.execute(text("UPDATE cycles SET summary = '{not json'"))
    db.dispose()
    again = world.cli("sync", "--once")
    assert again.returncode == 0, again.stdout + again.stderr
    status = world.cli("status")
    assert status.returncode == 0 and "Traceback" not in status.stderr


def test_a_cycle_cut_short_by_a_stop_request_leaves_the_breakers_as_they_were(world: World) -> None:
    engine = world.engine()
    for tracker in engine.trackers.values():
        tracker._edge.retry = RetryPolicy(attempts=2, base=0.01)  # type: ignore[attr-defined]
    engine.run_cycle()
    world.emulator.faults.add(mode="status", status=503, server="github", times=None)
    engine.run_cycle()
    assert engine.run_cycle().breakers["github"].failures == 2
    seen = len(world.emulator.request_log)
    # Asked to stop once GitHub failed again: the cycle ends early.
    engine.should_stop = lambda: any(r.status == 503 for r in world.emulator.request_log[seen:])
    stopped = engine.run_cycle()
    assert stopped.stopped and not stopped.ok
    assert stopped.breakers["github"].failures == 2 and stopped.breakers["github"].open_until is None
    engine.store.close()
