"""Fault soak: a fifth of all requests fail (errors, 429s, lost answers after the tracker
acted, reset connections, slow answers) while people work their items over many cycles.
The sync must converge with no duplicate issue, no lost status and no post-mortem closed
while one of its items is still open.

The figures go to ``test-artifacts/fault-soak.json``; docs/reliability.md records them.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.adf import adf_to_text
from connectors.base import ItemKey, ItemStatus
from connectors.markers import find_item_marker
from connectors.retry import RetryPolicy
from tests.e2e import World, make_world

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[1]
FAULT_RATE = 0.2
EXTRA_POSTMORTEMS = 8
#: Retries as the worker makes them, with short waits so the soak runs in minutes.
FAST_RETRY = RetryPolicy(attempts=3, max_wait=30.0, total=10.0, base=0.02)

TEAMS = [("Platform Team", None), ("Payments Team", "acme/payments"), ("Edge Team", "acme/edge")]


def _extra_definitions(world: World, rng: random.Random) -> None:
    for n in range(EXTRA_POSTMORTEMS):
        lines = [
            f"id: INC-SOAK-{n:02d}",
            f"title: Soak incident {n}",
            "severity: P3",
            "detected_at: 2024-05-01T10:00:00Z",
            "action_items:",
        ]
        for i in range(5):
            team = rng.choice(TEAMS)[0]
            lines += [
                f"  - id: AI-{i + 1}",
                f"    description: Follow-up {i + 1} of soak incident {n}",
                f"    owner: {team}",
                "    deadline: 2030-06-01",
                f"    priority: {rng.choice(['critical', 'high', 'medium', 'low'])}",
            ]
        (world.postmortems / f"soak-{n:02d}.yaml").write_text("\n".join(lines) + "\n")


def _issues(world: World) -> dict[ItemKey, list[tuple[str, bool]]]:
    """Issues per item marker, with whether each is finished in its tracker."""
    found: dict[ItemKey, list[tuple[str, bool]]] = {}
    for issue in world.emulator.jira_issues("PLAT"):
        key = find_item_marker(adf_to_text(issue["fields"].get("description")))
        if key is not None:
            done = issue["fields"]["status"]["statusCategory"]["key"] == "done"
            found.setdefault(key, []).append((issue["key"], done))
    for repo in ("acme/payments", "acme/edge"):
        for issue in world.emulator.github_issues(repo):
            key = find_item_marker(issue.get("body"))
            if key is not None:
                found.setdefault(key, []).append((f"{repo}#{issue['number']}", issue["state"] == "closed"))
    return found


def _close_some(world: World, rng: random.Random, share: float) -> None:
    for _key, issues in sorted(_issues(world).items(), key=lambda kv: str(kv[0])):
        ref, done = issues[0]
        if done or rng.random() >= share:
            continue
        if "#" in ref:
            repo, number = ref.split("#")
            world.emulator.github_set_state(repo, int(number), state="closed", state_reason="completed")
        else:
            world.emulator.jira_transition(ref, "Done")


def test_a_fifth_of_requests_failing_never_duplicates_loses_or_closes_early(tmp_path: Path) -> None:
    rng = random.Random(20261204)
    world = make_world(tmp_path, fault_rate=FAULT_RATE, seed=7)
    started = time.monotonic()
    early: list[str] = []
    cycles = 0
    try:
        _extra_definitions(world, rng)
        engine = world.engine(grace=0)
        for tracker in engine.trackers.values():
            tracker._edge.retry = FAST_RETRY  # type: ignore[attr-defined]
        world.emulator.clear_request_log()
        # People work while the faults go on; every closed post-mortem must really be finished.
        for cycles in range(1, 41):
            engine.run_cycle()
            truth = _issues(world)
            for pm_id, pm in engine.store.snapshot().postmortems.items():
                if pm.state != "closed":
                    continue
                items = [k for k in truth if k.postmortem_id == pm_id]
                if any(not any(done for _, done in truth[k]) for k in items):
                    early.append(f"cycle {cycles}: {pm_id} closed while an item is open")
            _close_some(world, rng, 0.15)
            if len(world.emulator.request_log) >= 1500 and cycles >= 20:
                break
        requests = len(world.emulator.request_log)
        faults_injected = sum(1 for r in world.emulator.request_log if r.status in (0, 429) or r.status >= 500)
        # The faults stop; everything settles.
        world.emulator.faults.set_rate(0.0)
        _close_some(world, rng, 1.0)
        for _ in range(4):
            engine.run_cycle()
        truth = _issues(world)
        snapshot = engine.store.snapshot()
        expected = [k for k in snapshot.items if not k.is_tracking]
        duplicates = sum(max(0, len(truth.get(k, [])) - 1) for k in expected)
        losses = sum(1 for k in expected if not truth.get(k))
        wrong_status = [str(k) for k in expected if snapshot.items[k].status is not ItemStatus.COMPLETED]
        open_postmortems = [p for p, pm in snapshot.postmortems.items() if pm.state != "closed"]
        totals: dict[str, Any] = {
            "cycles_with_faults": cycles,
            "requests_with_faults": requests,
            "fault_rate": FAULT_RATE,
            "faults_seen_by_the_worker": faults_injected,
            "action_items": len(expected),
            "duplicates": duplicates,
            "losses": losses,
            "statuses_not_mirrored": len(wrong_status),
            "postmortems_closed_early": len(early),
            "postmortems_left_open": len(open_postmortems),
            "seconds": round(time.monotonic() - started, 1),
        }
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "fault-soak.json").write_text(json.dumps(totals, indent=2))
        print("fault soak:", json.dumps(totals))
        engine.store.close()
    finally:
        world.emulator.stop()
    assert requests >= 1000, totals
    assert (duplicates, losses, early, wrong_status, open_postmortems) == (0, 0, [], [], []), totals
