"""Never fail open: a read that errors, a search that is partial, or a tracker that answers
something other than its API never leads to filing an issue or closing a post-mortem.

Each case breaks one kind of request in one way for a whole cycle, checks that nothing was
filed or closed because of it, then lets the tracker heal and checks that the sync settles
with exactly one issue per action item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.base import ItemKey
from connectors.emulator.faults import FaultMode
from sync.cycle import Engine
from tests.e2e import PAYMENT, World, github_number, issue_of, make_world

CERT = "INC-2024-031"

#: (mode, status): the ways a request goes wrong.
BREAKAGES: list[tuple[FaultMode, int | None]] = [
    ("status", 500),
    ("status", 429),
    ("reset", None),
    ("html", None),
]


def _break(
    world: World, server: str, method: str, path: str, mode: FaultMode, status: int | None, times: int | None = None
) -> None:
    world.emulator.faults.add(
        mode=mode,
        method=method,
        path=path,
        server=server,  # type: ignore[arg-type]
        status=status,
        retry_after=1 if status == 429 else None,
        times=times,
    )


def _issues_per_item(world: World) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in world.all_issues():
        text = str(issue.get("body") or issue.get("fields", {}).get("description"))
        for marker in ("AI-1", "AI-2", "AI-3", "AI-4", "AI-5"):
            for pm in (PAYMENT, CERT):
                if f"{pm}/{marker}" in text:
                    counts[f"{pm}/{marker}"] = counts.get(f"{pm}/{marker}", 0) + 1
    return counts


def _settle(world: World, engine: Engine) -> None:
    world.emulator.faults.reset()
    for _ in range(3):
        engine.run_cycle()
    counts = _issues_per_item(world)
    assert sorted(counts.values()) == [1] * 9, counts


@pytest.fixture
def fresh(tmp_path: Path) -> Any:
    world = make_world(tmp_path)
    yield world
    world.emulator.stop()


@pytest.mark.parametrize(("mode", "status"), BREAKAGES, ids=[f"{m}-{s}" if s else m for m, s in BREAKAGES])
@pytest.mark.parametrize(
    ("server", "path"),
    [
        ("github", r"^/repos/acme/edge/issues$"),  # the marker search of one repository
        ("jira", r"^/rest/api/3/search/jql$"),  # the site-wide marker search on Jira Cloud
    ],
    ids=["github-search", "jira-search"],
)
def test_a_broken_marker_search_files_nothing_there(
    fresh: World, server: str, path: str, mode: FaultMode, status: int | None
) -> None:
    engine = fresh.engine(grace=0)
    _break(fresh, server, "GET", path, mode, status)
    result = engine.run_cycle()
    assert not result.ok
    if server == "github":
        assert fresh.emulator.github_issues("acme/edge") == []
        assert len(fresh.emulator.jira_issues("PLAT")) == 5  # the other tracker syncs
    else:
        assert fresh.emulator.jira_issues("PLAT") == []
        assert _issues_per_item(fresh)  # GitHub items were filed
    _settle(fresh, engine)


@pytest.mark.parametrize(("mode", "status"), BREAKAGES, ids=[f"{m}-{s}" if s else m for m, s in BREAKAGES])
@pytest.mark.parametrize("lost_store", [False, True], ids=["store", "lost-store"])
def test_a_broken_search_after_the_issues_exist_never_files_them_again(
    fresh: World, mode: FaultMode, status: int | None, lost_store: bool
) -> None:
    engine = fresh.engine(grace=0)
    engine.run_cycle()
    assert sorted(_issues_per_item(fresh).values()) == [1] * 9
    if lost_store:
        engine.store.close()
        (fresh.workdir / "state.db").unlink()
        engine = fresh.engine(grace=0)
    _break(fresh, "github", "GET", r"^/repos/acme/[a-z]+/issues$", mode, status)
    _break(fresh, "jira", "GET", r"^/rest/api/3/search/jql$", mode, status)
    engine.run_cycle()
    assert sorted(_issues_per_item(fresh).values()) == [1] * 9
    _settle(fresh, engine)


@pytest.mark.parametrize(("mode", "status"), BREAKAGES, ids=[f"{m}-{s}" if s else m for m, s in BREAKAGES])
def test_an_unreadable_item_never_lets_its_postmortem_close(fresh: World, mode: FaultMode, status: int | None) -> None:
    engine = fresh.engine(grace=0)
    engine.run_cycle()
    # People finish every item of the certificate post-mortem ...
    for item in ("AI-1", "AI-2", "AI-3", "AI-4"):
        key = issue_of(engine, CERT, item)
        if "#" in key:
            repo, number = github_number(key)
            fresh.emulator.github_set_state(repo, number, state="closed", state_reason="completed")
        else:
            fresh.emulator.jira_transition(key, "Done")
    # ... but one of its issues cannot be read this cycle.
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    _break(fresh, "github", "GET", rf"^/repos/{repo}/issues/{number}$", mode, status)
    engine.run_cycle()
    assert engine.store.snapshot().postmortems[CERT].state != "closed"
    assert engine.store.snapshot().items[ItemKey(CERT, "AI-1")].issue_key == f"{repo}#{number}"
    assert not list((fresh.workdir / "reports").glob(f"{CERT}*"))
    _settle(fresh, engine)
    assert engine.store.snapshot().postmortems[CERT].state == "closed"


@pytest.mark.parametrize(
    ("mode", "status"),
    [("html", None), ("commit_then_fail", 502), ("commit_then_drop", None)],
    ids=["html-nothing-done", "done-then-502", "done-then-no-answer"],
)
def test_a_create_answered_with_something_unusable_is_filed_once(
    fresh: World, mode: FaultMode, status: int | None
) -> None:
    engine = fresh.engine(grace=0)
    _break(fresh, "github", "POST", r"^/repos/acme/edge/issues$", mode, status, times=1)  # one create goes wrong
    result = engine.run_cycle()
    assert not result.ok
    _settle(fresh, engine)
