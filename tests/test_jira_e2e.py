"""Jira as teams run it, end to end: the real ``jira`` client over HTTP against the emulator
as Jira Cloud and as Jira Data Center."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.base import ItemKey, ItemStatus
from connectors.emulator import jql
from connectors.jira_tracker import JiraTracker
from sync.cycle import Engine
from tests.e2e import CERT, JIRA_EMAIL, JIRA_TOKEN, PAYMENT, World, kinds, make_world

PAYMENT_FILE = "inc-2024-042-payment-pipeline.yaml"
#: The example's Jira items and what the definitions say of them.
JIRA_ITEMS = {
    (PAYMENT, "AI-1"): ("2024-03-26", "critical"),
    (PAYMENT, "AI-2"): ("2024-03-19", "critical"),
    (PAYMENT, "AI-4"): ("2024-03-22", "high"),
    (PAYMENT, "AI-5"): ("2024-03-29", "medium"),
    (CERT, "AI-2"): ("2024-03-15", "high"),
}


@pytest.fixture(params=["cloud", "datacenter"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The example world with its Jira as Cloud or as Data Center."""
    w = make_world(tmp_path, jira_deployment=request.param)
    try:
        yield w
    finally:
        w.emulator.stop()


def jira_issue(world: World, engine_or_key: Any, item: tuple[str, str] | None = None) -> dict[str, Any]:
    key = engine_or_key if item is None else engine_or_key.store.snapshot().items[ItemKey(*item)].issue_key
    return world.emulator.jira_issue(key)


def text_of(description: Any) -> str:
    if isinstance(description, str):
        return description
    return json.dumps(description)


def edit_definition(world: World, old: str, new: str, name: str = PAYMENT_FILE) -> None:
    path = world.postmortems / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def platform_team(world: World, extra: str) -> None:
    """Add keys to the Platform Team (the Jira team) of the teams file."""
    text = world.teams_file.read_text()
    anchor = "    project: PLAT\n"
    assert anchor in text
    world.teams_file.write_text(text.replace(anchor, anchor + extra, 1))


def requests_to(world: World, method: str, fragment: str) -> int:
    return sum(
        1 for r in world.emulator.request_log if r.method == method and fragment in r.path and r.server == "jira"
    )


# -- 1. Cloud and Data Center -----------------------------------------------------------


def test_items_are_filed_in_the_sites_own_format_and_found_again(site: World) -> None:
    engine = site.engine()
    result = engine.run_cycle()
    assert result.ok, result.read_errors
    deployment = site.emulator.jira_deployment
    for item, (deadline, _priority) in JIRA_ITEMS.items():
        issue = jira_issue(site, engine, item)
        fields = issue["fields"]
        assert fields["duedate"] == deadline
        description = fields["description"]
        if deployment == "cloud":
            assert isinstance(description, dict) and description["type"] == "doc"
        else:
            # Wiki markup: a table of facts and the marker in a monospace span.
            assert isinstance(description, str)
            assert "{{postmortem-sync:item " + f"{item[0]}/{item[1]}" + "}}" in description
            assert "|Owning team|Platform Team|" in description and "**" not in description
    api = "/rest/api/3/" if deployment == "cloud" else "/rest/api/2/"
    assert all(api in r.path or "serverInfo" in r.path for r in site.emulator.request_log if r.server == "jira")
    assert requests_to(site, "GET", "/search/jql" if deployment == "cloud" else "/rest/api/2/search") >= 1
    engine.store.close()

    # A lost store: every issue is found again by its marker, through the site's own search.
    (site.workdir / "state.db").unlink()
    again = site.engine()
    again.run_cycle()
    assert site.issue_count() == 9
    assert all(i.linked for i in again.store.snapshot().items.values())
    again.store.close()


def test_data_center_signs_in_with_a_personal_access_token(tmp_path: Path) -> None:
    world = make_world(tmp_path, jira_deployment="datacenter")
    try:
        out = world.cli("sync", "--once")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "jira: " in out.stdout and "Server/Data Center" in out.stdout
        # With an email the token would be sent as a password; Data Center refuses that.
        refused = world.cli("sync", "--once", PMSYNC_JIRA_EMAIL="someone@example.com")
        assert refused.returncode == 1
        assert "401" in refused.stdout + refused.stderr
    finally:
        world.emulator.stop()


def test_the_old_search_on_cloud_is_reported_loudly_and_never_retried(world: World) -> None:
    # Told it is Data Center, the worker uses the offset search Cloud has removed. (The
    # settings refuse an email with datacenter; a Cloud site signing in some other way,
    # e.g. OAuth, could still be told so.)
    engine = world.engine()
    engine.trackers = {
        **engine.trackers,
        "jira": JiraTracker(world.emulator.jira_url, email=JIRA_EMAIL, token=JIRA_TOKEN, deployment="datacenter"),
    }
    result = engine.run_cycle()
    assert not result.ok
    assert world.emulator.jira_issues("PLAT") == []
    messages = " ".join(result.read_errors.values())
    assert "410" in messages and "PMSYNC_JIRA_DEPLOYMENT=cloud" in messages
    assert requests_to(world, "GET", "/rest/api/2/search") == 1  # once: refused, not retried
    # GitHub's items are filed all the same.
    assert world.issue_count() == 4
    engine.store.close()


def test_a_search_that_misses_a_filed_issue_is_not_taken_as_nothing_found(
    site: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = site.engine()
    engine.run_cycle()
    edit_definition(
        site,
        "lessons_learned:",
        "  - id: AI-6\n    description: Rehearse the rollback\n    owner: Platform Team\n"
        "    deadline: 2024-04-30\n    priority: low\nlessons_learned:",
    )
    real = jql.search

    def lagging(*args: Any, **kwargs: Any) -> list[Any]:
        return real(*args, **kwargs)[1:]  # the index has not caught up with the first issue

    monkeypatch.setattr(jql, "search", lagging)
    result = engine.run_cycle()
    assert "incomplete" in result.read_errors[f"{PAYMENT}/AI-6"]
    assert len(site.emulator.jira_issues("PLAT")) == 5
    monkeypatch.setattr(jql, "search", real)
    engine.run_cycle()
    assert len(site.emulator.jira_issues("PLAT")) == 6
    engine.store.close()


def test_due_dates_are_the_definitions_calendar_dates_in_any_time_zone(site: World) -> None:
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        env = {**site.env(), "TZ": zone}
        out = subprocess.run(
            [sys.executable, "-m", "sync.cli", "sync", "--once"],
            env=env,
            cwd=site.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert out.returncode == 0, out.stdout + out.stderr
    dates = sorted(i["fields"]["duedate"] for i in site.emulator.jira_issues("PLAT"))
    assert dates == sorted(d for d, _ in JIRA_ITEMS.values())


# -- 2. Priorities and fields -----------------------------------------------------------


def test_priorities_follow_the_sites_scheme_and_the_teams_overrides(site: World) -> None:
    site.emulator.jira_set_priorities(["Blocker", "Critical", "Major", "Minor", "Trivial"])
    platform_team(site, "    priorities: {critical: Blocker}\n")
    engine = site.engine()
    engine.run_cycle()
    expected = {"critical": "Blocker", "high": "Major", "medium": "Major", "low": "Minor"}
    for item, (_deadline, priority) in JIRA_ITEMS.items():
        assert jira_issue(site, engine, item)["fields"]["priority"]["name"] == expected[priority]
    engine.store.close()


def test_fields_named_by_the_team_are_set_on_every_issue(site: World) -> None:
    category = site.emulator.jira_add_field(
        "Root cause category",
        schema_type="option",
        allowed_values=["Process", "Tooling"],
        custom="com.atlassian.jira.plugin.system.customfieldtypes:select",
    )
    points = site.emulator.jira_add_field(
        "Story Points", schema_type="number", custom="com.atlassian.jira.plugin.system.customfieldtypes:float"
    )
    platform_team(site, f'    fields: {{"Root cause category": Process, {points}: 3}}\n')
    engine = site.engine()
    assert engine.run_cycle().ok
    fields = jira_issue(site, engine, (PAYMENT, "AI-1"))["fields"]
    assert fields[category]["value"] == "Process" and fields[points] == 3
    engine.store.close()


@pytest.mark.parametrize(
    ("setup", "team_keys", "named"),
    [
        (lambda emu: None, "    priorities: {high: Urgent}\n", ['"Urgent"', "Platform Team", "Highest"]),
        (
            lambda emu: [
                emu.jira_add_field("Team"),
                emu.jira_add_field("Team", schema_type="option", allowed_values=["SRE"]),
            ],
            "    fields: {Team: SRE}\n",
            ['"Team" is ambiguous', "customfield_10", "write the id instead"],
        ),
        (lambda emu: None, "    fields: {Squad: SRE}\n", ['no field called "Squad"']),
    ],
    ids=["unknown priority", "ambiguous field", "unknown field"],
)
def test_a_team_setting_the_site_lacks_stops_start_up(
    site: World, setup: Any, team_keys: str, named: list[str]
) -> None:
    setup(site.emulator)
    platform_team(site, team_keys)
    for command in (("sync", "--once"), ("run", "--max-cycles", "1")):
        out = site.cli(*command)
        assert out.returncode == 2, out.stdout + out.stderr
        for fragment in named:
            assert fragment in out.stdout + out.stderr, (fragment, out.stdout + out.stderr)
    assert site.issue_count() == 0


# -- 3. Workflows ------------------------------------------------------------------------

STRICT_WORKFLOW: dict[str, Any] = {
    "statuses": [("Open", "new"), ("In Progress", "indeterminate"), ("Closed", "done")],
    "transitions": [
        {"name": "Start", "to": "In Progress", "from": ["Open"]},
        {"name": "Stop", "to": "Open", "from": ["In Progress"]},
        {
            "name": "Close",
            "to": "Closed",
            "from": None,
            "screen": ["resolution"],
            "resolutions": ["Done", "Won't Do", "Duplicate"],
            "required": ["resolution"],
        },
    ],
}


def test_a_withdrawn_item_is_closed_as_wont_do_through_the_projects_workflow(site: World) -> None:
    site.emulator.jira_set_workflow("PLAT", **STRICT_WORKFLOW)
    engine = site.engine()
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-5")].issue_key
    site.emulator.jira_transition(key, "In Progress")
    edit_definition(
        site, "    priority: medium\n", "    priority: medium\n    withdrawn: superseded by the queue redesign\n"
    )
    result = engine.run_cycle()
    assert result.ok, [e.message for e in result.events if e.kind == "error"]
    fields = site.emulator.jira_issue(key)["fields"]
    assert (fields["status"]["name"], fields["resolution"]["name"]) == ("Closed", "Won't Do")
    assert "superseded by the queue redesign" in text_of(fields["comment"])
    assert engine.store.snapshot().items[ItemKey(PAYMENT, "AI-5")].status is ItemStatus.WONT_FIX
    # Once: reopened by a person, it stays theirs.
    site.emulator.jira_transition(key, "Open")
    site.emulator.clear_request_log()
    engine.run_cycle()
    assert requests_to(site, "POST", "/transitions") == 0
    engine.store.close()


def test_no_fitting_transition_fails_clearly_then_the_team_says_what_fits(site: World) -> None:
    site.emulator.jira_set_workflow(
        "PLAT",
        statuses=[("Open", "new"), ("Done", "done"), ("Abandoned", "done")],
        transitions=[
            {"id": "101", "name": "Finish", "to": "Done", "from": None},
            {"id": "102", "name": "Abandon", "to": "Abandoned", "from": None},
        ],
    )
    engine = site.engine()
    engine.run_cycle()
    engine.store.close()
    edit_definition(site, "    priority: medium\n", "    priority: medium\n    withdrawn: dropped\n")
    result = site.engine().run_cycle()
    errors = [e.message for e in result.events if e.kind == "error"]
    assert len(errors) == 1
    assert "no transition leads to a won't-do status" in errors[0]
    assert "Abandon [id 102] -> Abandoned" in errors[0] and "Finish [id 101] -> Done" in errors[0]
    assert (
        "list it in wont_fix_statuses (a resolution: wont_fix_resolutions) of every team filing into PLAT "
        "(Platform Team)" in errors[0]
    )

    # Pinning the transition alone is not enough: Abandoned would read back as completed.
    platform_team(site, '    transitions: {wont_fix: "102"}\n')
    result = site.engine().run_cycle()
    errors = [e.message for e in result.events if e.kind == "error"]
    assert "reads back as completed, not wont-fix" in errors[0]
    assert "add that status to wont_fix_statuses" in errors[0] and "Platform Team" in errors[0]
    assert "withdrawn" in [e.kind for e in result.events]
    # The issue did move; saying what the status means settles it.
    platform_team(site, "    wont_fix_statuses: [Abandoned]\n")
    engine = site.engine()
    engine.run_cycle()
    item = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-5")]
    assert item.status is ItemStatus.WONT_FIX
    # Three tries, one comment saying why.
    comments = site.emulator.jira_issue(item.issue_key)["fields"]["comment"]["comments"]
    assert sum("dropped" in text_of(c["body"]) for c in comments) == 1
    engine.store.close()


# -- 4. Identity -------------------------------------------------------------------------


def test_a_moved_issue_is_followed_under_its_new_key(site: World) -> None:
    site.emulator.add_jira_project("OPS", name="Operations")
    engine = site.engine()
    engine.run_cycle()
    old = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-1")].issue_key
    new = site.emulator.jira_move_issue(old, "OPS")
    site.emulator.jira_transition(new, "In Progress")
    result = engine.run_cycle()
    assert "moved" in kinds(result)
    stored = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-1")]
    assert (stored.issue_key, stored.target, stored.status) == (new, "OPS", ItemStatus.IN_PROGRESS)
    assert site.issue_count() + len(site.emulator.jira_issues("OPS")) == 9
    engine.store.close()


@pytest.mark.parametrize("how", ["deleted", "hidden", "forbidden"])
def test_a_deleted_or_hidden_issue_is_gone_never_done_never_refiled(site: World, how: str) -> None:
    engine = site.engine()
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey(CERT, "AI-2")].issue_key
    # Everything else of the certificate post-mortem is finished...
    for item in ("AI-1", "AI-3", "AI-4"):
        repo, number = engine.store.snapshot().items[ItemKey(CERT, item)].issue_key.split("#")
        site.emulator.github_set_state(repo, int(number), state="closed", state_reason="completed")
    # ...and its Jira issue disappears.
    if how == "deleted":
        site.emulator.jira_delete_issue(key)
    else:
        site.emulator.jira_restrict_issue(key, status=404 if how == "hidden" else 403)
    for _ in range(2):
        engine.run_cycle()
    stored = engine.store.snapshot()
    assert stored.items[ItemKey(CERT, "AI-2")].status is ItemStatus.GONE
    assert stored.postmortems[CERT].state == "open"
    assert len([i for i in site.emulator.jira_issues("PLAT")]) == (4 if how == "deleted" else 5)
    out = site.cli("sync", "--once")
    assert out.returncode == 1
    assert f"{CERT}/AI-2: {key} is gone from its tracker: restore it, or withdraw the item" in out.stdout
    status = json.loads(site.cli("status", "--json").stdout)
    cert = next(pm for pm in status["postmortems"] if pm["id"] == CERT)
    assert next(i for i in cert["items"] if i["id"] == "AI-2")["status"] == "gone"
    # Withdrawing the item lets the post-mortem close.
    edit_definition(
        site,
        "    priority: high\n",
        "    priority: high\n    withdrawn: issue removed\n",
        name="inc-2024-031-certificate-expiry.yaml",
    )
    engine.run_cycle()
    assert engine.store.snapshot().postmortems[CERT].state == "closed"
    engine.store.close()


# -- 5/7. Due dates and definition edits -------------------------------------------------


def test_definition_edits_reach_the_issue_once_and_never_its_status(site: World) -> None:
    engine = site.engine()
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-4")].issue_key
    site.emulator.jira_transition(key, "In Progress")
    edit_definition(
        site, "    deadline: 2024-03-22\n    priority: high\n", "    deadline: 2024-04-05\n    priority: low\n"
    )
    site.emulator.clear_request_log()
    result = engine.run_cycle()
    assert "updated" in kinds(result)
    fields = site.emulator.jira_issue(key)["fields"]
    assert fields["duedate"] == "2024-04-05"
    assert fields["priority"]["name"] == "Low"
    assert "2024-04-05" in text_of(fields["description"])
    assert f"postmortem-sync:item {PAYMENT}/AI-4" in text_of(fields["description"])
    assert fields["status"]["name"] == "In Progress"
    assert requests_to(site, "PUT", "/issue/") == 1
    site.emulator.clear_request_log()
    engine.run_cycle()
    assert requests_to(site, "PUT", "/issue/") == 0
    engine.store.close()


# -- 6. Tracking issue -------------------------------------------------------------------


def test_a_created_tracking_issue_holds_the_items_gets_the_report_and_is_done_at_the_end(site: World) -> None:
    edit_definition(site, "tracking_issue: acme/payments#1", "create_tracking_issue: Platform Team")
    engine = site.engine()
    assert engine.run_cycle().ok
    snapshot = engine.store.snapshot()
    epic = snapshot.tracking[PAYMENT].issue_key
    assert epic is not None
    epic_fields = site.emulator.jira_issue(epic)["fields"]
    assert epic_fields["issuetype"]["name"] == "Epic"
    assert epic_fields["duedate"] == "2024-04-02"  # when the last item is due
    jira_children = {snapshot.items[ItemKey(PAYMENT, i)].issue_key for i in ("AI-1", "AI-2", "AI-4", "AI-5")}
    assert set(site.emulator.jira_children(epic)) == jira_children
    # Everyone finishes.
    for key, item in snapshot.items.items():
        if key.postmortem_id != PAYMENT:
            continue
        if item.tracker == "jira":
            site.emulator.jira_transition(item.issue_key, "Done")
        else:
            repo, number = item.issue_key.split("#")
            site.emulator.github_set_state(repo, int(number), state="closed", state_reason="completed")
    result = engine.run_cycle()
    assert result.ok, [e.message for e in result.events if e.kind == "error"]
    epic_fields = site.emulator.jira_issue(epic)["fields"]
    assert epic_fields["status"]["statusCategory"]["key"] == "done"
    assert "postmortem-sync:report" in text_of(epic_fields["comment"])
    assert engine.store.snapshot().postmortems[PAYMENT].state == "closed"
    site.emulator.clear_request_log()
    engine.run_cycle()
    assert requests_to(site, "POST", "") == 0
    # An item reopens: so do the post-mortem and its Epic; both close again when it is done.
    reopened = snapshot.items[ItemKey(PAYMENT, "AI-1")].issue_key
    site.emulator.jira_transition(reopened, "To Do")
    result = engine.run_cycle()
    assert kinds(result).count("reopened") == 2, [e.message for e in result.events]
    assert site.emulator.jira_issue(epic)["fields"]["status"]["statusCategory"]["key"] != "done"
    site.emulator.jira_transition(reopened, "Done")
    engine.run_cycle()
    assert site.emulator.jira_issue(epic)["fields"]["status"]["statusCategory"]["key"] == "done"
    assert engine.store.snapshot().postmortems[PAYMENT].state == "closed"
    engine.store.close()


def test_the_tracking_issue_follows_edits_and_withdrawals_once(site: World) -> None:
    edit_definition(site, "tracking_issue: acme/payments#1", "create_tracking_issue: Platform Team")
    engine = site.engine()
    engine.run_cycle()
    epic = engine.store.snapshot().tracking[PAYMENT].issue_key
    assert site.emulator.jira_issue(epic)["fields"]["duedate"] == "2024-04-02"  # AI-3, the last one due
    edit_definition(
        site,
        "    deadline: 2024-04-02\n    priority: high\n",
        "    deadline: 2024-04-02\n    priority: high\n    withdrawn: moved to the payments roadmap\n",
    )
    site.emulator.clear_request_log()
    engine.run_cycle()
    fields = site.emulator.jira_issue(epic)["fields"]
    assert fields["duedate"] == "2024-03-29"  # AI-5 is the last live one now
    assert "withdrawn: moved to the payments roadmap" in text_of(fields["description"])
    assert requests_to(site, "PUT", "/issue/") == 1
    site.emulator.clear_request_log()
    engine.run_cycle()
    assert requests_to(site, "PUT", "/issue/") == 0
    engine.store.close()


def test_items_filed_before_the_tracking_issue_was_asked_for_are_put_under_it(site: World) -> None:
    engine = site.engine()
    engine.run_cycle()
    edit_definition(site, "tracking_issue: acme/payments#1", "create_tracking_issue: Platform Team")
    engine.run_cycle()  # creates the epic, then puts the items under it
    snapshot = engine.store.snapshot()
    epic = snapshot.tracking[PAYMENT].issue_key
    assert len(site.emulator.jira_children(epic)) == 4
    site.emulator.clear_request_log()
    engine.run_cycle()
    assert requests_to(site, "PUT", "/issue/") == 0
    engine.store.close()


def test_a_project_or_issue_type_the_site_lacks_stops_start_up(site: World) -> None:
    text = site.teams_file.read_text()
    site.teams_file.write_text(text.replace("    issue_type: Task\n", "    issue_type: Storry\n", 1))
    out = site.cli("sync", "--once")
    assert out.returncode == 2
    assert (
        'Platform Team (Jira project PLAT): issue type "Storry" is not one of the project\'s' in out.stdout + out.stderr
    )
    site.teams_file.write_text(text.replace("    project: PLAT\n", "    project: PLATT\n", 1))
    out = site.cli("sync", "--once")
    assert out.returncode == 2
    assert "the project PLATT does not exist, or this account cannot see it" in out.stdout + out.stderr
    assert site.issue_count() == 0


def test_a_refused_field_value_names_the_field_and_the_teams_file(site: World) -> None:
    site.emulator.jira_add_field(
        "Root cause category",
        schema_type="option",
        allowed_values=["Process"],
        custom="com.atlassian.jira.plugin.system.customfieldtypes:select",
    )
    platform_team(site, '    fields: {"Root cause category": Proces}\n')
    engine = site.engine()
    result = engine.run_cycle()
    errors = [e.message for e in result.events if e.kind == "error"]
    assert errors and all('("Root cause category")' in e and "Platform Team" in e for e in errors)
    engine.store.close()


def test_a_moved_issue_is_found_again_after_a_lost_store(site: World) -> None:
    site.emulator.add_jira_project("OPS", name="Operations")
    engine = site.engine()
    engine.run_cycle()
    moved = site.emulator.jira_move_issue(engine.store.snapshot().items[ItemKey(PAYMENT, "AI-1")].issue_key, "OPS")
    engine.store.close()
    (site.workdir / "state.db").unlink()
    again = site.engine()
    again.run_cycle()
    assert again.store.snapshot().items[ItemKey(PAYMENT, "AI-1")].issue_key == moved
    assert len(site.emulator.jira_issues("PLAT")) == 4  # nothing filed again
    again.store.close()


def _a_create_whose_answer_was_lost(site: World) -> Engine:
    """An engine whose last cycle filed AI-6 of the payment outage, but never heard back."""
    engine = site.engine(grace=0)
    engine.run_cycle()
    edit_definition(
        site,
        "lessons_learned:",
        "  - id: AI-6\n    description: Rehearse the rollback\n    owner: Platform Team\n"
        "    deadline: 2024-04-30\n    priority: low\nlessons_learned:",
    )
    api = "3" if site.emulator.jira_deployment == "cloud" else "2"
    site.emulator.faults.add(
        method="POST", path=rf"^/rest/api/{api}/issue$", mode="commit_then_fail", times=1, server="jira"
    )
    engine.run_cycle()
    return engine


def test_an_empty_search_after_a_lost_create_files_nothing(site: World, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _a_create_whose_answer_was_lost(site)
    assert len(site.emulator.jira_issues("PLAT")) == 6
    monkeypatch.setattr(jql, "search", lambda *args, **kwargs: [])  # the index is being rebuilt
    result = engine.run_cycle()
    assert "incomplete" in result.read_errors[f"{PAYMENT}/AI-6"]
    assert len(site.emulator.jira_issues("PLAT")) == 6
    monkeypatch.undo()
    engine.run_cycle()
    assert len(site.emulator.jira_issues("PLAT")) == 6
    assert engine.store.snapshot().items[ItemKey(PAYMENT, "AI-6")].linked
    engine.store.close()


def test_a_search_answer_without_descriptions_files_nothing(site: World, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _a_create_whose_answer_was_lost(site)
    tracker = engine.trackers["jira"]
    assert isinstance(tracker, JiraTracker)
    search = tracker._search

    def without_descriptions(jql_text: str, what: str) -> Iterator[dict[str, Any]]:
        for issue in search(jql_text, what):  # a proxy, or a site that hides the field
            yield {**issue, "fields": {k: v for k, v in issue["fields"].items() if k != "description"}}

    monkeypatch.setattr(tracker, "_search", without_descriptions)
    result = engine.run_cycle()
    assert "without its description" in result.read_errors[f"{PAYMENT}/AI-6"]
    assert len(site.emulator.jira_issues("PLAT")) == 6
    monkeypatch.undo()
    engine.run_cycle()
    assert len(site.emulator.jira_issues("PLAT")) == 6
    engine.store.close()


def test_an_issue_deleted_between_two_search_pages_does_not_hide_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(tmp_path, jira_deployment="datacenter")
    try:
        older = [
            world.emulator.jira_create_issue(
                "PLAT", f"older follow-up {n}", "filed earlier", labels=["postmortem-sync"]
            )
            for n in range(100)
        ]
        engine = world.engine()
        engine.run_cycle()
        engine.store.close()
        (world.workdir / "state.db").unlink()  # the store is lost: the markers rebuild it
        real, calls = jql.search, []

        def person_deletes_one_between_pages(state: Any, query: str, *args: Any, **kwargs: Any) -> list[Any]:
            calls.append(query)
            if len(calls) == 2:
                world.emulator.jira_delete_issue(older[0])
            return real(state, query, *args, **kwargs)

        monkeypatch.setattr(jql, "search", person_deletes_one_between_pages)
        again = world.engine()
        result = again.run_cycle()
        assert "filed" not in kinds(result)
        assert len(calls) == 4  # two pages, then the whole search again
        assert len(world.emulator.jira_issues("PLAT")) == 104
        again.store.close()
    finally:
        world.emulator.stop()


def test_items_are_filed_even_when_the_tracking_issue_cannot_hold_them(site: World) -> None:
    edit_definition(site, "tracking_issue: acme/payments#1", "create_tracking_issue: Platform Team")
    platform_team(site, "    tracking_issue_type: Task\n")
    engine = site.engine()
    engine.run_cycle()
    snapshot = engine.store.snapshot()
    assert all(item.linked for item in snapshot.items.values())
    assert site.issue_count() == 10  # the nine items and the tracking issue, once each
    result = engine.run_cycle()
    errors = [e.message for e in result.events if e.kind == "error"]
    assert errors and all("a tracking issue must be an Epic here" in e for e in errors)
    engine.store.close()


def test_a_typo_fix_leaves_the_due_date_and_priority_the_team_set(site: World) -> None:
    engine = site.engine()
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-4")].issue_key
    assert site.emulator.jira_issue(key)["fields"]["duedate"] == "2024-03-22"
    # The team moves the due date and lowers the priority in Jira...
    cloud = site.emulator.jira_deployment == "cloud"
    answer = requests.put(
        f"{site.emulator.jira_url}/rest/api/{3 if cloud else 2}/issue/{key}",
        json={"fields": {"duedate": "2024-06-30", "priority": {"name": "Lowest"}}},
        auth=(JIRA_EMAIL, JIRA_TOKEN) if cloud else None,
        headers={} if cloud else {"Authorization": f"Bearer {JIRA_TOKEN}"},
        timeout=5,
    )
    assert answer.status_code == 204
    # ...and the author fixes a word of the description.
    edit_definition(site, "held for more than 60 seconds", "held for longer than 60 seconds")
    assert "updated" in kinds(engine.run_cycle())
    fields = site.emulator.jira_issue(key)["fields"]
    assert (fields["duedate"], fields["priority"]["name"]) == ("2024-06-30", "Lowest")
    assert "longer than 60 seconds" in fields["summary"]
    engine.store.close()


def test_an_edit_whose_answer_was_lost_is_not_written_again(site: World) -> None:
    engine = site.engine()
    engine.run_cycle()
    edit_definition(
        site, "    deadline: 2024-03-22\n    priority: high\n", "    deadline: 2024-04-05\n    priority: high\n"
    )
    api = "3" if site.emulator.jira_deployment == "cloud" else "2"
    site.emulator.faults.add(
        method="PUT", path=rf"^/rest/api/{api}/issue/", mode="commit_then_fail", times=1, server="jira"
    )
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-4")].issue_key
    assert site.emulator.jira_issue(key)["fields"]["duedate"] == "2024-04-05"
    site.emulator.clear_request_log()
    engine.run_cycle()
    assert requests_to(site, "PUT", "/issue/") == 0
    engine.store.close()


def test_text_longer_than_jira_takes_is_cut_before_the_marker(site: World) -> None:
    engine = site.engine()
    engine.run_cycle()
    key = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-1")].issue_key
    long_report = "\n\n".join(f"Paragraph {n}: " + "words " * 60 for n in range(200))
    assert len(long_report) > 40_000
    engine.trackers["jira"].post_comment(key, long_report, "postmortem-sync:report[TEST][0]")
    body = site.emulator.jira_issue(key)["fields"]["comment"]["comments"][-1]["body"]
    text = text_of(body)
    assert "postmortem-sync:report[TEST][0]" in text and "cut here" in text
    assert len(body if isinstance(body, str) else json.dumps(body)) < 40_000
    # Posting again finds it by its marker.
    assert engine.trackers["jira"].post_comment(key, long_report, "postmortem-sync:report[TEST][0]").already_there
    engine.store.close()


def test_cloud_without_an_email_is_told_to_set_one(world: World) -> None:
    out = world.cli("sync", "--once", PMSYNC_JIRA_EMAIL="")
    assert out.returncode == 2
    assert "this site is Jira Cloud, which signs in with an email and an API token" in out.stdout + out.stderr


def test_validate_refuses_teams_that_disagree_on_a_shared_project(world: World) -> None:
    platform_team(world, "    priorities: {critical: Highest}\n")
    text = world.teams_file.read_text()
    world.teams_file.write_text(text + "  SRE Team:\n    tracker: jira\n    project: PLAT\n")
    out = world.cli("validate", str(world.postmortems))
    assert out.returncode == 2
    assert "set priorities differently" in out.stdout + out.stderr
