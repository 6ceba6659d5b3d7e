"""The circuit breaker per tracker: pure decisions in a table, then end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.retry import RetryPolicy
from sync.breaker import Breaker, breakers_from, next_breaker, pause_after
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
    engine = world.engine()
    for tracker in engine.trackers.values():
        tracker._edge.retry = RetryPolicy(attempts=2, base=0.01)  # type: ignore[attr-defined]
    clock = [datetime.now(UTC)]
    engine.clock = lambda: clock[0]
    engine.run_cycle()
    emu.faults.add(mode="status", status=503, server="github", times=None)
    for _ in range(3):
        clock[0] += timedelta(minutes=1)
        engine.run_cycle()
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
