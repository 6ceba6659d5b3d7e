"""The whole life cycle, with the real jira and PyGithub clients talking HTTP to the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.adf import adf_to_text
from connectors.base import ItemKey, ItemStatus
from tests.e2e import CERT, PAYMENT, World, github_number, issue_of, kinds


def test_payment_outage_goes_through_its_whole_life(world: World) -> None:
    engine = world.engine()
    emu = world.emulator

    first = engine.run_cycle()
    assert first.ok, first.events
    assert kinds(first).count("filed") == 9

    # Filed in the owning team's tracker, with due date, priority, labels and marker.
    jira_issues = {i["key"]: i for i in emu.jira_issues("PLAT")}
    ai1 = jira_issues[issue_of(engine, PAYMENT, "AI-1")]["fields"]
    assert ai1["duedate"] == "2024-03-26"
    assert ai1["priority"]["name"] == "Highest"
    assert {"postmortem", "postmortem-sync"} <= set(ai1["labels"])
    text = adf_to_text(ai1["description"])
    assert "Platform Team" in text and "postmortem-sync:item INC-2024-042/AI-1" in text
    assert ai1["summary"].startswith("[INC-2024-042] ")

    repo, number = github_number(issue_of(engine, PAYMENT, "AI-3"))
    assert repo == "acme/payments"
    gh = emu.github_issue(repo, number)
    assert {label["name"] for label in gh["labels"]} >= {"postmortem", "postmortem-sync", "priority: high"}
    assert "2024-04-02" in gh["body"] and "Payments Team" in gh["body"]
    assert "<!-- postmortem-sync:item INC-2024-042/AI-3 -->" in gh["body"]

    # The teams work their items.
    emu.jira_transition(issue_of(engine, PAYMENT, "AI-1"), "In Progress")
    emu.jira_transition(issue_of(engine, PAYMENT, "AI-2"), "Done")
    second = engine.run_cycle()
    assert kinds(second) == ["mirrored", "mirrored"]
    items = engine.store.snapshot().items
    assert items[ItemKey(PAYMENT, "AI-1")].status is ItemStatus.IN_PROGRESS
    assert items[ItemKey(PAYMENT, "AI-2")].status is ItemStatus.COMPLETED
    assert engine.store.snapshot().postmortems[PAYMENT].state == "open"

    for item_id in ("AI-1", "AI-4"):
        emu.jira_transition(issue_of(engine, PAYMENT, item_id), "Done")
    emu.jira_transition(issue_of(engine, PAYMENT, "AI-5"), "Done", resolution="Won't Do")
    emu.github_set_state(repo, number, state="closed", state_reason="not_planned")
    third = engine.run_cycle()
    assert third.ok
    assert "closed" in kinds(third) and "posted" in kinds(third)

    snap = engine.store.snapshot()
    assert snap.items[ItemKey(PAYMENT, "AI-5")].status is ItemStatus.WONT_FIX
    assert snap.items[ItemKey(PAYMENT, "AI-3")].status is ItemStatus.WONT_FIX  # closed as not planned
    pm = snap.postmortems[PAYMENT]
    assert pm.state == "closed" and pm.report_posted_at is not None
    assert snap.postmortems[CERT].state == "open"

    report = Path(pm.report_path or "").read_text(encoding="utf-8")
    assert "| AI-5 |" in report and "wont-fix" in report and "Platform Team" in report
    assert emu.github_issue("acme/payments", 1)["comments"] == 1
    assert pm.report_url and pm.report_url.startswith(world.emulator.github_url)

    # Nothing more to do, and nothing is filed or posted twice.
    before = world.issue_count()
    fourth = engine.run_cycle()
    assert fourth.actions == [] and fourth.ok
    assert world.issue_count() == before == 9
    assert emu.github_issue("acme/payments", 1)["comments"] == 1


def test_restart_in_new_processes_creates_nothing_twice(world: World) -> None:
    first = world.cli("sync", "--once")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("filed") >= 9
    assert world.issue_count() == 9
    second = world.cli("sync", "--once")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "filed" not in second.stdout
    assert world.issue_count() == 9


def test_lost_database_is_rebuilt_from_markers(world: World) -> None:
    world.engine().run_cycle()
    assert world.issue_count() == 9
    (world.workdir / "state.db").unlink()
    for leftover in world.workdir.glob("state.db-*"):
        leftover.unlink()
    result = world.engine().run_cycle()
    assert kinds(result).count("linked") == 9 and "filed" not in kinds(result)
    assert world.issue_count() == 9


def test_a_store_deleted_under_a_running_worker_is_opened_again_and_rebuilt(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    for path in world.workdir.glob("state.db*"):
        path.unlink()
    result = engine.run_cycle()  # the same engine, as in a long-running worker
    assert kinds(result).count("linked") == 9 and "filed" not in kinds(result)
    assert world.issue_count() == 9
    # What the worker wrote is in the file on disk, where status reads it.
    status = world.cli("status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"issue": null' not in status.stdout and "acme/payments#" in status.stdout


@pytest.mark.parametrize(
    ("server", "path", "mode"),
    [
        ("jira", r"^/rest/api/3/issue$", "commit_then_fail"),
        ("jira", r"^/rest/api/3/issue$", "commit_then_drop"),
        ("github", r"^/repos/acme/payments/issues$", "commit_then_fail"),
        ("github", r"^/repos/acme/payments/issues$", "commit_then_drop"),
    ],
)
def test_answer_lost_after_the_tracker_created_the_issue(world: World, server: str, path: str, mode: str) -> None:
    world.emulator.faults.add(method="POST", path=path, mode=mode, times=1, server=server)
    engine = world.engine(grace=0)
    first = engine.run_cycle()
    assert not first.ok and "error" in kinds(first)
    # The tracker did create it; the worker does not know.
    assert world.issue_count() == 9
    second = engine.run_cycle()
    assert kinds(second).count("linked") == 1 and "filed" not in kinds(second)
    assert world.issue_count() == 9
    assert engine.run_cycle().actions == []
    assert all(item.linked for item in engine.store.snapshot().items.values())


def test_request_that_never_reached_the_tracker_is_filed_again(world: World) -> None:
    world.emulator.faults.add(method="POST", path=r"^/rest/api/3/issue$", mode="reset", times=1, server="jira")
    engine = world.engine(grace=0)
    engine.run_cycle()
    assert world.issue_count() == 8
    second = engine.run_cycle()
    assert kinds(second) == ["filed"]
    assert world.issue_count() == 9


def test_within_the_grace_period_the_worker_waits_instead_of_filing(world: World) -> None:
    world.emulator.faults.add(method="POST", path=r"^/rest/api/3/issue$", mode="reset", times=1, server="jira")
    engine = world.engine(grace=3600)
    engine.run_cycle()
    second = engine.run_cycle()
    assert kinds(second) == ["waiting"]
    assert world.issue_count() == 8


def test_failed_marker_search_files_nothing(world: World) -> None:
    world.emulator.faults.add(
        method="GET", path=r"^/rest/api/3/search/jql$", mode="status", status=503, times=3, server="jira"
    )
    engine = world.engine()
    first = engine.run_cycle()
    jira_items = [e for e in first.events if e.kind == "filed" and "PLAT-" in e.message]
    assert jira_items == []  # the search of PLAT failed: nothing filed there
    assert len(world.emulator.jira_issues("PLAT")) == 0
    engine.run_cycle()
    assert world.issue_count() == 9


def test_broken_definition_is_reported_and_the_others_still_sync(world: World) -> None:
    (world.postmortems / "broken.yaml").write_text(
        "id: INC-2024-099\ntitle: Broken\nseverity: P2\ndetected_at: 2024-03-01T10:00:00Z\n"
        "action_items:\n  - id: AI-1\n    description: Do it\n    owner: Platfrom Team\n"
        "    deadline: 2024-03-30\n    priority: high\n",
        encoding="utf-8",
    )
    result = world.engine().run_cycle()
    assert not result.ok
    assert len(result.definition_errors) == 1
    message = str(result.definition_errors[0])
    assert "broken.yaml:8" in message and "owner" in message and "Platform Team" in message
    assert kinds(result).count("filed") == 9


def test_tracker_down_keeps_the_other_syncing(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    world.emulator.faults.add(path=r"^/rest/api/3/", mode="status", status=503, times=1000, server="jira")
    world.emulator.github_set_state(
        *github_number(issue_of(engine, PAYMENT, "AI-3")), state="closed", state_reason="completed"
    )
    result = engine.run_cycle()
    assert not result.ok and result.read_errors
    assert [e.subject for e in result.events if e.kind == "mirrored"] == [f"{PAYMENT}/AI-3"]
    assert engine.store.snapshot().postmortems[PAYMENT].state == "open"


def test_dry_run_changes_nothing(world: World) -> None:
    engine = world.engine()
    result = engine.run_cycle(dry_run=True)
    assert sum(1 for a in result.actions if type(a).__name__ == "CreateIssue") == 9
    assert world.issue_count() == 0
    assert engine.store.snapshot().postmortems == {}
    out = world.cli("sync", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "would file INC-2024-042/AI-1 in jira PLAT for Platform Team" in out.stdout
    assert world.issue_count() == 0


def test_secrets_never_appear_in_output_or_reports(world: World) -> None:
    from tests.e2e import GITHUB_TOKEN, JIRA_TOKEN

    outputs = [world.cli("sync", "--once"), world.cli("status"), world.cli("status", "--json")]
    world.emulator.faults.add(path=r"^/", mode="status", status=401, times=100, server="github")
    outputs.append(world.cli("sync", "--once"))
    text = "".join(o.stdout + o.stderr for o in outputs)
    text += "".join(p.read_text() for p in world.workdir.glob("reports/*"))
    assert GITHUB_TOKEN not in text and JIRA_TOKEN not in text
    assert outputs[-1].returncode == 1


def test_changed_postmortem_id_is_refused_instead_of_filing_everything_again(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: INC-2024-042", "id: INC-2024-042b"), encoding="utf-8")
    result = engine.run_cycle()
    assert [str(e) for e in result.definition_errors] == [
        f'{path}:{_line_of(path, "id: INC-2024-042b")}: id: the post-mortem id changed from "INC-2024-042" to '
        '"INC-2024-042b", but its action items are already filed under "INC-2024-042": put the id back '
        "(ids are permanent), or the items would be filed a second time"
    ]
    assert "filed" not in kinds(result)
    assert world.issue_count() == 9


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(text))


def test_reopened_item_reopens_the_postmortem_and_a_new_report_follows(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    emu = world.emulator
    for item_id in ("AI-1", "AI-2", "AI-4", "AI-5"):
        emu.jira_transition(issue_of(engine, PAYMENT, item_id), "Done")
    repo, number = github_number(issue_of(engine, PAYMENT, "AI-3"))
    emu.github_set_state(repo, number, state="closed", state_reason="completed")
    assert "closed" in kinds(engine.run_cycle())

    emu.github_set_state(repo, number, state="open")
    reopened = engine.run_cycle()
    assert "reopened" in kinds(reopened)
    assert engine.store.snapshot().postmortems[PAYMENT].state == "open"

    emu.github_set_state(repo, number, state="closed", state_reason="completed")
    again = engine.run_cycle()
    assert "closed" in kinds(again) and "posted" in kinds(again)
    assert emu.github_issue("acme/payments", 1)["comments"] == 2
    assert engine.run_cycle().actions == []


def test_report_on_a_jira_tracking_issue_is_posted_once(world: World) -> None:
    key = world.emulator.jira_create_issue("PLAT", "Post-mortem INC-2024-042")
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    path.write_text(path.read_text().replace("tracking_issue: acme/payments#1", f"tracking_issue: {key}"))
    engine = world.engine()
    engine.run_cycle()
    for item_id in ("AI-1", "AI-2", "AI-4", "AI-5"):
        world.emulator.jira_transition(issue_of(engine, PAYMENT, item_id), "Done")
    world.emulator.github_set_state(*github_number(issue_of(engine, PAYMENT, "AI-3")), state="closed")
    world.emulator.faults.add(
        method="POST", path=rf"^/rest/api/3/issue/{key}/comment$", mode="commit_then_fail", times=1
    )
    first = engine.run_cycle()
    assert "closed" in kinds(first) and "posted" not in kinds(first)
    second = engine.run_cycle()
    assert [e.message for e in second.events if e.kind == "posted"] == [f"report was already there on {key}"]
    comments = world.emulator.jira_issue(key)["fields"]["comment"]["comments"]
    assert len(comments) == 1
    assert "postmortem-sync:report[INC-2024-042][0]" in adf_to_text(comments[0]["body"])


def test_unreachable_tracker_and_unknown_project_say_what_to_check(world: World) -> None:
    teams = world.teams_file
    teams.write_text(teams.read_text().replace("project: PLAT", "project: PLATX"))
    result = world.engine(github_url="http://127.0.0.1:9").run_cycle()
    messages = set(result.read_errors.values()) | {e.message for e in result.events if e.kind == "error"}
    assert any("Platform Team (Jira project PLATX): the project PLATX does not exist" in m for m in messages)
    assert any("could not connect to http://127.0.0.1:9 (check PMSYNC_GITHUB_URL)" in m for m in messages)
    assert world.issue_count() == 0


def test_a_tracking_issue_created_on_github_gets_the_report_and_is_closed(world: World) -> None:
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    path.write_text(path.read_text().replace("tracking_issue: acme/payments#1", "create_tracking_issue: Payments Team"))
    engine = world.engine()
    engine.run_cycle()
    tracking = engine.store.snapshot().tracking["INC-2024-042"]
    assert tracking.issue_key is not None
    repo, number = tracking.issue_key.split("#")
    issue = world.emulator.github_issue(repo, int(number))
    assert "postmortem-sync:tracking INC-2024-042" in issue["body"]
    for key, item in engine.store.snapshot().items.items():
        if key.postmortem_id != "INC-2024-042":
            continue
        if item.tracker == "jira":
            world.emulator.jira_transition(item.issue_key or "", "Done")
        else:
            r, n = (item.issue_key or "").split("#")
            world.emulator.github_set_state(r, int(n), state="closed", state_reason="completed")
    result = engine.run_cycle()
    assert result.ok, [e.message for e in result.events if e.kind == "error"]
    issue = world.emulator.github_issue(repo, int(number))
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert engine.store.snapshot().postmortems["INC-2024-042"].report_url
    # An item reopens: the tracking issue opens again, and closes again with the post-mortem.
    r, n = (engine.store.snapshot().items[ItemKey("INC-2024-042", "AI-3")].issue_key or "").split("#")
    world.emulator.github_set_state(r, int(n), state="open")
    engine.run_cycle()
    assert world.emulator.github_issue(repo, int(number))["state"] == "open"
    world.emulator.github_set_state(r, int(n), state="closed", state_reason="completed")
    engine.run_cycle()
    assert world.emulator.github_issue(repo, int(number))["state"] == "closed"
    # A lost store finds the tracking issue again by its marker instead of creating another.
    engine.store.close()
    (world.workdir / "state.db").unlink()
    again = world.engine()
    again.run_cycle()
    assert again.store.snapshot().tracking["INC-2024-042"].issue_key == tracking.issue_key
    again.store.close()


def test_definition_edits_reach_a_github_issue_once_with_its_priority_label(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey("INC-2024-042", "AI-3")].issue_key or ""
    repo, number = key.split("#")
    world.emulator.github_add_label(repo, int(number), "needs-design")
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    text = path.read_text()
    assert "    deadline: 2024-04-02\n    priority: high\n" in text
    path.write_text(
        text.replace(
            "    deadline: 2024-04-02\n    priority: high\n", "    deadline: 2024-04-09\n    priority: critical\n"
        )
    )
    assert "updated" in [e.kind for e in engine.run_cycle().events]
    issue = world.emulator.github_issue(repo, int(number))
    labels = {label["name"] for label in issue["labels"]}
    assert "priority: critical" in labels and "priority: high" not in labels
    assert {"needs-design", "postmortem-sync", "postmortem"} <= labels
    assert "2024-04-09" in issue["body"] and "postmortem-sync:item INC-2024-042/AI-3" in issue["body"]
    assert issue["state"] == "open"
    assert "updated" not in [e.kind for e in engine.run_cycle().events]
    engine.store.close()
