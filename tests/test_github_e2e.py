"""GitHub as organisations run it, end to end: the real PyGithub client over HTTP to the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.base import ItemKey, ItemStatus
from connectors.markers import find_item_marker
from tests.e2e import CERT, NO_OVERDUE_LABEL, PAYMENT, World, github_number, issue_of, kinds, make_world


def test_a_transferred_issue_is_followed_to_its_new_repository_before_anything_is_written(world: World) -> None:
    emu = world.emulator
    emu.add_github_repo("acme/payments-archive")
    engine = world.engine()
    engine.run_cycle()
    old = issue_of(engine, PAYMENT, "AI-3")
    repo, number = github_number(old)
    new_number = emu.github_transfer_issue(repo, number, "acme/payments-archive")
    new = f"acme/payments-archive#{new_number}"

    emu.clear_request_log()
    result = engine.run_cycle()
    assert result.ok, [e.message for e in result.events if e.kind == "error"]
    assert "moved" in kinds(result)
    stored = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-3")]
    assert (stored.issue_key, stored.target, stored.issue_id) == (new, "acme/payments-archive", str(new_number))
    # Nothing but reads went to the old address.
    old_path = f"/repos/{repo}/issues/{number}"
    assert all(r.method == "GET" for r in emu.request_log if r.path.startswith(old_path))

    # An edit of the definition is written to the issue where it is now, once.
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    path.write_text(path.read_text().replace("    deadline: 2024-04-02\n", "    deadline: 2024-04-16\n"))
    emu.clear_request_log()
    edited = engine.run_cycle()
    assert "updated" in kinds(edited)
    assert "2024-04-16" in emu.github_issue("acme/payments-archive", new_number)["body"]
    assert not [r for r in emu.request_log if r.method != "GET" and r.path.startswith(old_path)]

    # Its status is read from there, and the old repository files nothing in its place.
    emu.github_set_state("acme/payments-archive", new_number, state="closed", state_reason="completed")
    engine.run_cycle()
    assert engine.store.snapshot().items[ItemKey(PAYMENT, "AI-3")].status is ItemStatus.COMPLETED
    marked = [i for i in emu.github_issues("acme/payments") if f"{PAYMENT}/AI-3" in (i["body"] or "")]
    assert marked == []
    engine.store.close()


def test_a_deleted_issue_is_gone_never_done_and_never_filed_again(world: World) -> None:
    emu = world.emulator
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    emu.github_delete_issue(repo, number)
    before = len(emu.github_issues(repo))
    result = engine.run_cycle()
    assert not result.ok
    assert result.attention[f"{CERT}/AI-1"].startswith(f"{repo}#{number} is gone from its tracker")
    assert engine.store.snapshot().items[ItemKey(CERT, "AI-1")].status is ItemStatus.GONE
    engine.run_cycle()
    assert len(emu.github_issues(repo)) == before
    status = json.loads(world.cli("status", "--json").stdout)
    cert = next(pm for pm in status["postmortems"] if pm["id"] == CERT)
    assert next(i for i in cert["items"] if i["id"] == "AI-1")["status"] == "gone"
    engine.store.close()


def test_an_issue_out_of_the_tokens_sight_is_gone(world: World) -> None:
    emu = world.emulator
    emu.add_github_repo("acme/secret")
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, PAYMENT, "AI-3"))
    # Transferred to a repository the worker's token cannot read: the redirect leads to a 404.
    emu.github_transfer_issue(repo, number, "acme/secret")
    emu.github_set_repo("acme/secret", visible=False)
    engine.run_cycle()
    stored = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-3")]
    assert stored.status is ItemStatus.GONE and stored.issue_key == f"{repo}#{number}"
    engine.store.close()


def test_enterprise_server_works_under_api_v3_and_its_bare_address_is_told_apart(tmp_path: Path) -> None:
    world = make_world(tmp_path, github_enterprise=True)
    try:
        assert world.emulator.github_url.endswith("/api/v3")
        out = world.cli("sync", "--once")
        assert out.returncode == 0, out.stdout + out.stderr
        assert len(world.emulator.github_issues("acme/payments")) > 1
        # The usual mistake: the host without /api/v3 answers with web pages.
        bare = world.emulator.github_url.removesuffix("/api/v3")
        wrong = world.cli("sync", "--once", PMSYNC_GITHUB_URL=bare)
        assert wrong.returncode == 2
        assert "GitHub Enterprise Server: https://HOST/api/v3" in wrong.stderr
    finally:
        world.emulator.stop()


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"has_issues": False}, "repository acme/edge of Edge Team has issues turned off"),
        ({"visible": False}, "repository acme/edge of Edge Team: not found, or this token cannot see it"),
    ],
)
def test_a_repository_that_cannot_take_issues_stops_start_up_naming_the_team(
    world: World, settings: dict[str, bool], says: str
) -> None:
    world.emulator.github_set_repo("acme/edge", **settings)
    out = world.cli("sync", "--once")
    assert out.returncode == 2, out.stdout + out.stderr
    assert says in out.stderr
    assert world.issue_count() == 0


def test_labels_the_token_may_not_create_are_left_off_and_the_issue_is_filed_once(world: World) -> None:
    emu = world.emulator
    # The worker's own label exists (made once by hand); the rest cannot be created.
    emu.github_create_issue("acme/edge", "seed", labels=["postmortem-sync", "postmortem"])
    emu.github_set_repo("acme/edge", labels_writable=False)
    engine = world.engine()
    emu.clear_request_log()
    result = engine.run_cycle()
    assert result.ok, [e.message for e in result.events if e.kind == "error"]
    filed = [i for i in emu.github_issues("acme/edge") if CERT in (i["body"] or "")]
    assert len(filed) == 2
    for issue in filed:
        assert {label["name"] for label in issue["labels"]} == {"postmortem-sync", "postmortem"}
    # Each label the repository lacks was tried once, not once per issue.
    tries = [r for r in emu.request_log if r.method == "POST" and r.path == "/repos/acme/edge/labels"]
    assert sorted(r.status for r in tries) == [403, 403, 403]  # tls, priority: high, priority: medium
    engine.store.close()


def test_without_the_workers_own_label_nothing_is_filed_and_the_message_says_why(world: World) -> None:
    world.emulator.github_set_repo("acme/edge", labels_writable=False)
    engine = world.engine()
    result = engine.run_cycle()
    errors = [e.message for e in result.events if e.kind == "error"]
    assert errors and all("cannot create the label 'postmortem-sync' in acme/edge" in m for m in errors)
    assert [i for i in world.emulator.github_issues("acme/edge") if CERT in (i["body"] or "")] == []
    # Once the label exists, the items are filed, once each.
    world.emulator.github_create_issue("acme/edge", "seed", labels=["postmortem-sync"])
    engine.run_cycle()
    assert len([i for i in world.emulator.github_issues("acme/edge") if CERT in (i["body"] or "")]) == 2
    engine.store.close()


def test_a_content_limit_hit_mid_cycle_is_waited_out_and_nothing_is_skipped_or_doubled(tmp_path: Path) -> None:
    # At most 2 issues or comments every 2 seconds: the cycle files 5 GitHub issues.
    world = make_world(tmp_path, github_content_limit=(2, 2.0))
    try:
        engine = world.engine()
        result = engine.run_cycle()
        assert result.ok, [e.message for e in result.events if e.kind == "error"]
        limited = [r for r in world.emulator.request_log if r.method == "POST" and r.status == 403]
        assert limited, "the limit was never reached"
        for repo in ("acme/payments", "acme/edge"):
            markers = [find_item_marker(i["body"]) for i in world.emulator.github_issues(repo)]
            markers = [m for m in markers if m is not None]
            assert len(markers) == len(set(markers))
        assert world.issue_count() == 9
        engine.store.close()
    finally:
        world.emulator.stop()


def test_a_github_tracking_issue_ticks_its_task_list_and_holds_its_items_as_sub_issues(world: World) -> None:
    emu = world.emulator
    path = world.postmortems / "inc-2024-031-certificate-expiry.yaml"
    path.write_text(path.read_text() + "create_tracking_issue: Edge Team\n")
    engine = world.engine()
    engine.run_cycle()  # the tracking issue first, then the items
    tracking = engine.store.snapshot().tracking[CERT].issue_key or ""
    repo, number = github_number(tracking)
    assert repo == "acme/edge"
    engine.run_cycle()  # items are attached and linked from the task list once filed
    items = {i: issue_of(engine, CERT, i) for i in ("AI-1", "AI-2", "AI-3", "AI-4")}
    # acme/edge and acme/payments share their owner: sub-issues; the Jira item is only listed.
    assert sorted(emu.github_sub_issues(repo, number)) == sorted([items["AI-1"], items["AI-3"], items["AI-4"]])
    body = emu.github_issue(repo, number)["body"]
    for item_id, key in items.items():
        assert f"- [ ] {item_id}: " in body and key in body
    # Finishing an item ticks it, once.
    r, n = github_number(items["AI-3"])
    emu.github_set_state(r, n, state="closed", state_reason="completed")
    emu.clear_request_log()
    engine.run_cycle()
    body = emu.github_issue(repo, number)["body"]
    assert "- [x] AI-3: " in body and "- [ ] AI-1: " in body
    assert emu.github_issue(repo, number)["sub_issues_summary"]["completed"] == 1
    patches = [r for r in emu.request_log if r.method == "PATCH" and r.path.endswith(f"/issues/{number}")]
    assert len(patches) == 1
    emu.clear_request_log()
    engine.run_cycle()
    assert not [r for r in emu.request_log if r.method != "GET"]
    engine.store.close()


def test_overdue_open_issues_carry_the_overdue_label_until_they_close(world: World) -> None:
    emu = world.emulator
    world.teams_file.write_text(world.teams_file.read_text().replace(NO_OVERDUE_LABEL, "    tracker: github\n"))
    engine = world.engine()  # today is long past the examples' 2024 deadlines
    engine.run_cycle()  # filed late: labelled from the start (Jira shows its due dates)
    for item_id in ("AI-1", "AI-3", "AI-4"):
        labels = {
            label["name"] for label in emu.github_issue(*github_number(issue_of(engine, CERT, item_id)))["labels"]
        }
        assert "overdue" in labels
    assert "overdue" not in kinds(engine.run_cycle())  # nothing more to do
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    # A person takes it off while the item is still late: it goes back on, once.
    emu.github_state.remove_label(emu.github_state.any_repo(repo), number, "overdue")
    assert kinds(engine.run_cycle()).count("overdue") == 1
    assert "overdue" not in kinds(engine.run_cycle())
    emu.github_set_state(repo, number, state="closed", state_reason="completed")
    result = engine.run_cycle()
    assert kinds(result).count("unlabelled") == 1
    assert "overdue" not in {label["name"] for label in emu.github_issue(repo, number)["labels"]}
    engine.store.close()


def test_deadlines_can_be_carried_by_milestones_named_for_them(world: World) -> None:
    emu = world.emulator
    teams = world.teams_file.read_text()
    world.teams_file.write_text(
        teams.replace("    repo: acme/edge\n", "    repo: acme/edge\n    deadline_milestones: true\n")
    )
    engine = world.engine()
    engine.run_cycle()
    issues = {i: emu.github_issue(*github_number(issue_of(engine, CERT, i))) for i in ("AI-1", "AI-3")}
    assert issues["AI-1"]["milestone"]["title"] == "Due 2024-03-08"
    assert issues["AI-3"]["milestone"]["title"] == "Due 2024-04-12"
    # Payments Team asked for none.
    assert emu.github_issue(*github_number(issue_of(engine, CERT, "AI-4")))["milestone"] is None
    # A new deadline moves the issue to the milestone of that day, made once.
    path = world.postmortems / "inc-2024-031-certificate-expiry.yaml"
    text = path.read_text()
    assert "    deadline: 2024-03-08\n" in text
    path.write_text(text.replace("    deadline: 2024-03-08\n", "    deadline: 2024-06-28\n", 1))
    engine.run_cycle()
    moved = emu.github_issue(*github_number(issue_of(engine, CERT, "AI-1")))
    assert moved["milestone"]["title"] == "Due 2024-06-28"
    assert moved["milestone"]["due_on"].startswith("2024-06-28")
    engine.store.close()


def test_a_transferred_issue_keeps_its_teams_rules_where_no_team_files(world: World) -> None:
    emu = world.emulator
    emu.add_github_repo("acme/edge-archive")
    teams = world.teams_file.read_text()
    world.teams_file.write_text(
        teams.replace("    repo: acme/edge\n", "    repo: acme/edge\n    closed_without_reason: unknown\n")
    )
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    moved = emu.github_transfer_issue(repo, number, "acme/edge-archive")
    engine.run_cycle()
    # Closed there with no reason: Edge Team says that is not known to be done.
    emu.github_set_state("acme/edge-archive", moved, state="closed", state_reason="")
    engine.run_cycle()
    assert engine.store.snapshot().items[ItemKey(CERT, "AI-1")].status is ItemStatus.UNKNOWN
    engine.store.close()


def _with_edge(world: World, setting: str) -> None:
    teams = world.teams_file.read_text()
    world.teams_file.write_text(teams.replace("    repo: acme/edge\n", f"    repo: acme/edge\n{setting}", 1))


def test_a_milestone_whose_answer_was_lost_is_found_instead_of_left_off(world: World) -> None:
    _with_edge(world, "    deadline_milestones: true\n")
    world.emulator.faults.add(method="POST", path=r"/milestones$", mode="commit_then_fail", status=502, times=1)
    engine = world.engine()
    engine.run_cycle()
    issue = world.emulator.github_issue(*github_number(issue_of(engine, CERT, "AI-1")))
    assert issue["milestone"] is not None and issue["milestone"]["title"] == "Due 2024-03-08"
    engine.store.close()


def test_a_priority_label_people_capitalised_is_swapped_not_doubled(world: World) -> None:
    emu = world.emulator
    emu.github_create_issue("acme/edge", "seed", labels=["Priority: Critical"])
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    path = world.postmortems / "inc-2024-031-certificate-expiry.yaml"
    text = path.read_text()
    ai1 = text.index("  - id: AI-1")
    at = text.index("    priority: ", ai1)
    end = text.index("\n", at)
    path.write_text(text[:at] + "    priority: low" + text[end:])
    engine.run_cycle()
    names = [label["name"].casefold() for label in emu.github_issue(repo, number)["labels"]]
    assert [n for n in names if n.startswith("priority:")] == ["priority: low"]
    engine.store.close()


def test_a_withdrawn_item_loses_its_overdue_label(world: World) -> None:
    world.teams_file.write_text(world.teams_file.read_text().replace(NO_OVERDUE_LABEL, "    tracker: github\n"))
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    assert "overdue" in {label["name"] for label in world.emulator.github_issue(repo, number)["labels"]}
    path = world.postmortems / "inc-2024-031-certificate-expiry.yaml"
    text = path.read_text()
    at = text.index("\n", text.index("    priority: ", text.index("  - id: AI-1")))
    path.write_text(text[:at] + "\n    withdrawn: replaced by the certificate inventory" + text[at:])
    result = engine.run_cycle()
    assert "withdrawn" in kinds(result) and "unlabelled" in kinds(result)
    issue = world.emulator.github_issue(repo, number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert "overdue" not in {label["name"] for label in issue["labels"]}
    engine.store.close()


def test_while_github_says_to_wait_no_write_is_sent(world: World) -> None:
    emu = world.emulator
    emu.faults.add(method="POST", path=r"^/repos/acme/edge/issues$", mode="status", status=403, times=1)
    # A secondary limit: 403 with a long Retry-After.
    emu.faults.rules[-1].retry_after = 600
    engine = world.engine()
    emu.clear_request_log()
    result = engine.run_cycle()
    assert "waiting" in kinds(result)
    after = False
    for record in emu.request_log:
        if record.server == "github" and record.status == 403:
            after = True
        elif after and record.server == "github":
            assert record.method == "GET", record
    engine.store.close()


def test_a_repository_the_start_up_check_missed_is_checked_before_use(world: World) -> None:
    world.emulator.github_set_repo("acme/edge", has_issues=False)
    engine = world.engine()  # an engine that never ran the start-up check (GitHub was down then)
    result = engine.run_cycle()
    problems = [message for key, message in result.read_errors.items() if key.startswith(CERT)]
    assert any("repository acme/edge of Edge Team has issues turned off" in m for m in problems)
    assert kinds(result).count("filed") == 9 - 2  # everything but Edge Team's items
    engine.store.close()
