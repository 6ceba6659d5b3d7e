"""Explicit per-project workflows: available transitions, screens, resolutions."""

from __future__ import annotations

from typing import Any

import jira
import pytest
import requests

from connectors.emulator import Emulator
from tests.emulator_fixtures import JIRA_EMAIL, JIRA_TOKEN, PROJECT, emulator, jc

__all__ = ["emulator", "jc"]

NOT_ON_SCREEN = "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
STATUSES = [("Open", "new"), ("In Progress", "indeterminate"), ("Resolved", "done"), ("Closed", "done")]
TRANSITIONS: list[dict[str, Any]] = [
    {"name": "Start", "to": "In Progress", "from": ["Open"], "id": "11"},
    {
        "name": "Resolve",
        "to": "Resolved",
        "from": ["Open", "In Progress"],
        "id": "21",
        "screen": ["resolution"],
        "resolutions": ["Done", "Won't Do"],
        "required": ["resolution"],
    },
    {"name": "Close", "to": "Closed", "from": None, "id": "31"},
    {"name": "Reopen", "to": "Open", "from": ["Resolved", "Closed"], "id": "41", "screen": ["resolution"]},
]


@pytest.fixture
def workflow(emulator: Emulator) -> Emulator:
    """PLAT with a four-status workflow."""
    emulator.jira_set_workflow(PROJECT, STATUSES, TRANSITIONS)
    return emulator


def _create(jc: jira.JIRA, summary: str = "x") -> str:
    fields = {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}, "summary": summary}
    return str(jc.create_issue(fields=fields, prefetch=False).key)


def _errors(exc: pytest.ExceptionInfo[jira.JIRAError]) -> dict[str, Any]:
    assert exc.value.status_code == 400
    body: dict[str, Any] = exc.value.response.json()
    return body


def test_only_transitions_from_the_current_status_are_listed(workflow: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc)
    assert jc.issue(key).fields.status.name == "Open"
    listed = jc.transitions(key)
    assert [t["name"] for t in listed] == ["Start", "Resolve", "Close"]
    start, resolve, close = listed
    assert set(start) == {
        "id",
        "name",
        "to",
        "hasScreen",
        "isGlobal",
        "isInitial",
        "isAvailable",
        "isConditional",
        "looped",
    }
    assert start["to"]["name"] == "In Progress" and start["to"]["statusCategory"]["key"] == "indeterminate"
    assert (start["hasScreen"], start["isGlobal"]) == (False, False)
    assert (resolve["hasScreen"], close["isGlobal"]) == (True, True)
    assert "fields" not in resolve
    assert [t["name"] for t in jc.transitions(key, id="31")] == ["Close"]
    assert jc.transitions(key, id="41") == []

    jc.transition_issue(key, "11")
    assert [t["name"] for t in jc.transitions(key)] == ["Resolve", "Close"]
    jc.transition_issue(key, "31")
    assert [t["name"] for t in jc.transitions(key)] == ["Reopen"]


def test_transition_fields_describe_the_screen(workflow: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc)
    listed = {t["name"]: t for t in jc.transitions(key, expand="transitions.fields")}
    assert listed["Start"]["fields"] == {}
    meta = listed["Resolve"]["fields"]["resolution"]
    assert {k: meta[k] for k in ("required", "schema", "name", "key", "operations")} == {
        "required": True,
        "schema": {"type": "resolution", "system": "resolution"},
        "name": "Resolution",
        "key": "resolution",
        "operations": ["set"],
    }
    assert [(v["name"], set(v)) for v in meta["allowedValues"]] == [
        ("Done", {"self", "id", "name", "description"}),
        ("Won't Do", {"self", "id", "name", "description"}),
    ]
    jc.transition_issue(key, "21", fields={"resolution": {"name": "Done"}})
    after = {t["name"]: t for t in jc.transitions(key, expand="transitions.fields")}
    assert list(after) == ["Close", "Reopen"]
    reopen = after["Reopen"]["fields"]["resolution"]
    assert reopen["required"] is False
    assert len(reopen["allowedValues"]) == 6


def test_transitions_are_checked_against_workflow_and_screen(workflow: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc)
    with pytest.raises(jira.JIRAError) as unavailable:
        jc.transition_issue(key, "41")
    assert _errors(unavailable) == {"errorMessages": ["Transition id '41' is not valid for this issue."], "errors": {}}
    with pytest.raises(jira.JIRAError) as off_screen:
        jc.transition_issue(key, "31", fields={"resolution": {"name": "Done"}})
    assert _errors(off_screen)["errors"] == {"resolution": NOT_ON_SCREEN}
    with pytest.raises(jira.JIRAError) as not_offered:
        jc.transition_issue(key, "21", fields={"resolution": {"name": "Duplicate"}})
    assert set(_errors(not_offered)["errors"]) == {"resolution"}
    with pytest.raises(jira.JIRAError) as missing:
        jc.transition_issue(key, "21")
    assert _errors(missing)["errors"] == {"resolution": "Resolution is required."}
    with pytest.raises(jira.JIRAError) as comment:
        jc.transition_issue(key, "11", comment="no screen, no comment")
    assert set(_errors(comment)["errors"]) == {"comment"}
    assert jc.issue(key).fields.status.name == "Open"


def test_resolution_follows_the_screen(workflow: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc)
    jc.transition_issue(key, "31")  # global, no screen: team-managed style, no resolution
    closed = jc.issue(key).fields
    assert (closed.status.name, closed.status.statusCategory.key, closed.resolution) == ("Closed", "done", None)
    assert closed.resolutiondate is None
    jc.transition_issue(key, "41")
    jc.transition_issue(key, "21", fields={"resolution": {"name": "Won't Do"}})
    resolved = jc.issue(key).fields
    assert (resolved.status.name, resolved.resolution.name) == ("Resolved", "Won't Do")
    assert resolved.resolutiondate is not None
    jc.transition_issue(key, "31")  # done -> done keeps the resolution
    assert jc.issue(key).fields.resolution.name == "Won't Do"
    jc.transition_issue(key, "41")  # leaving done clears it
    reopened = jc.issue(key).fields
    assert (reopened.status.name, reopened.resolution, reopened.resolutiondate) == ("Open", None, None)


def test_people_bypass_transitions_but_not_the_status_list(workflow: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc)
    moved = workflow.jira_transition(key, "Resolved")
    assert (moved["fields"]["status"]["name"], moved["fields"]["resolution"]["name"]) == ("Resolved", "Done")
    with pytest.raises(ValueError, match="not in PLAT's workflow"):
        workflow.jira_transition(key, "Done")
    parked = workflow.jira_transition(key, "Parked", category="indeterminate")
    assert parked["fields"]["status"]["name"] == "Parked"
    assert jc.transitions(key) == [t for t in jc.transitions(key) if t["name"] == "Close"]


def test_projects_without_a_workflow_keep_all_to_all(workflow: Emulator, jc: jira.JIRA) -> None:
    workflow.add_jira_project("OPS")
    fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "free"}
    key = jc.create_issue(fields=fields, prefetch=False).key
    assert jc.issue(key).fields.status.name == "To Do"
    names = {t["name"]: t for t in jc.transitions(key, expand="transitions.fields")}
    assert {"In Progress", "Done"} <= set(names)
    assert all(not t["hasScreen"] and t["isGlobal"] and t["fields"] == {} for t in names.values())
    jc.transition_issue(key, names["Done"]["id"])
    assert jc.issue(key).fields.resolution.name == "Done"


def test_workflow_setup_errors_and_existing_issues(emulator: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc)
    emulator.jira_transition(key, "In Progress")
    with pytest.raises(ValueError, match="not in the workflow"):
        emulator.jira_set_workflow(PROJECT, [("Open", "new")], [{"name": "Go", "to": "Elsewhere"}])
    with pytest.raises(ValueError, match="exists in category"):
        emulator.jira_set_workflow(PROJECT, [("Done", "new")], [])
    described = emulator.jira_set_workflow(
        PROJECT, [("Backlog", "new"), ("Done", "done")], [{"name": "Finish", "to": "Done"}]
    )
    assert described == [{"id": described[0]["id"], "name": "Finish", "to": "Done", "from": None, "screen": []}]
    assert jc.issue(key).fields.status.name == "Backlog"  # moved off a status the workflow lacks
    statuses = requests.get(f"{emulator.jira_url}/rest/api/3/status", auth=(JIRA_EMAIL, JIRA_TOKEN), timeout=5).json()
    assert "Backlog" in {s["name"] for s in statuses}
