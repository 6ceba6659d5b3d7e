"""Issues that move, vanish or hide from the bot, and edits through either API version."""

from __future__ import annotations

from typing import Any

import jira
import pytest
import requests

from connectors.emulator import Emulator
from tests.emulator_fixtures import JIRA_EMAIL, JIRA_TOKEN, PROJECT, adf, dc_emulator, emulator, jc, jdc

__all__ = ["dc_emulator", "emulator", "jc", "jdc"]

NOT_FOUND = "Issue does not exist or you do not have permission to see it."
FORBIDDEN = "You do not have the permission to see the specified issue."


def _fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}, "summary": summary, **extra}


def _keys(jc: jira.JIRA, query: str) -> list[str]:
    return sorted(i.key for i in jc.enhanced_search_issues(query, fields=["summary"]))


def _status(call: Any) -> tuple[int, list[str]]:
    with pytest.raises(jira.JIRAError) as exc:
        call()
    return exc.value.status_code, exc.value.response.json()["errorMessages"]


def test_moved_issues_keep_their_id_and_answer_to_old_keys(emulator: Emulator, jc: jira.JIRA) -> None:
    emulator.add_jira_project("OPS", "Operations")
    emulator.jira_create_issue("OPS", "already there")
    moved = jc.create_issue(fields=_fields("moving"))
    jc.create_issue(fields=_fields("staying"), prefetch=False)
    assert emulator.jira_move_issue(moved.key, "OPS") == "OPS-2"
    for ref in ("PLAT-1", "plat-1", moved.id, "OPS-2"):
        fetched = jc.issue(ref)
        assert (fetched.key, fetched.id, fetched.fields.project.key) == ("OPS-2", moved.id, "OPS")
    assert _keys(jc, "project = OPS") == ["OPS-1", "OPS-2"]
    assert _keys(jc, "project = PLAT") == ["PLAT-2"]
    assert _keys(jc, "key = PLAT-1") == ["OPS-2"]
    jc.issue("PLAT-1").update(fields={"summary": "edited through the old key"})
    jc.add_comment("PLAT-1", adf("commented through the old key"))
    done = next(t["id"] for t in jc.transitions("PLAT-1") if t["name"] == "Done")
    jc.transition_issue("PLAT-1", done)
    after = jc.issue("OPS-2").fields
    assert (after.summary, after.comment.total, after.status.name) == ("edited through the old key", 1, "Done")
    assert jc.create_issue(fields=_fields("next"), prefetch=False).key == "PLAT-3"  # numbers are not reused


def test_deleted_issues_are_gone_everywhere(emulator: Emulator, jc: jira.JIRA) -> None:
    emulator.add_jira_project("OPS")
    gone = jc.create_issue(fields=_fields("doomed"))
    jc.create_issue(fields=_fields("kept"), prefetch=False)
    emulator.jira_move_issue(gone.key, "OPS")
    emulator.jira_delete_issue("OPS-1")
    for ref in ("PLAT-1", "OPS-1", gone.id):
        assert _status(lambda ref=ref: jc.issue(ref)) == (404, [NOT_FOUND])
    assert _status(lambda: jc.add_comment("OPS-1", adf("x"))) == (404, [NOT_FOUND])
    assert _keys(jc, "project in (PLAT, OPS)") == ["PLAT-2"]
    assert [i["key"] for i in emulator.jira_issues(PROJECT)] == ["PLAT-2"]
    with pytest.raises(jira.JIRAError):
        jc.enhanced_search_issues("key = OPS-1")
    with pytest.raises(Exception, match="Issue does not exist"):
        emulator.jira_delete_issue("OPS-1")


def test_restricted_issues_hide_from_the_bot(emulator: Emulator, jc: jira.JIRA) -> None:
    secret = jc.create_issue(fields=_fields("secret")).key
    jc.create_issue(fields=_fields("open"), prefetch=False)
    emulator.jira_restrict_issue(secret)
    for call in (
        lambda: jc.issue(secret),
        lambda: jc.issue("10001"),
        lambda: jc.issue(secret).update(fields={"summary": "x"}),
        lambda: jc.add_comment(secret, adf("x")),
        lambda: jc.transitions(secret),
        lambda: jc.comments(secret),
    ):
        assert _status(call) == (404, [NOT_FOUND])
    edit = requests.put(
        f"{emulator.jira_url}/rest/api/3/issue/{secret}",
        json={"fields": {"summary": "x"}},
        auth=(JIRA_EMAIL, JIRA_TOKEN),
        timeout=5,
    )
    assert (edit.status_code, edit.json()["errorMessages"]) == (404, [NOT_FOUND])
    assert _keys(jc, "project = PLAT") == ["PLAT-2"]
    assert emulator.jira_issue(secret)["fields"]["summary"] == "secret"  # people still see it

    emulator.jira_restrict_issue(secret, status=403)
    assert _status(lambda: jc.issue(secret)) == (403, [FORBIDDEN])
    assert _status(lambda: jc.transitions(secret)) == (403, [FORBIDDEN])
    assert _status(lambda: jc.add_comment(secret, adf("x"))) == (404, [NOT_FOUND])
    assert _keys(jc, "project = PLAT") == ["PLAT-2"]

    emulator.jira_restrict_issue(secret, status=None)
    assert jc.issue(secret).fields.summary == "secret"
    assert _keys(jc, "project = PLAT") == ["PLAT-1", "PLAT-2"]
    with pytest.raises(ValueError):
        emulator.jira_restrict_issue(secret, status=500)


def test_edits_take_every_field_and_keep_dates_as_sent(emulator: Emulator, jc: jira.JIRA) -> None:
    issue = jc.create_issue(fields=_fields("old", duedate="2024-12-31"))
    emulator.advance_clock(1)
    issue.update(
        fields={
            "summary": "new",
            "description": adf("new body"),
            "duedate": "2024-02-29",
            "priority": {"id": "2"},
            "labels": ["a", "b"],
        }
    )
    fresh = jc.issue(issue.key).raw["fields"]
    assert (fresh["summary"], fresh["duedate"], fresh["priority"]["name"], fresh["labels"]) == (
        "new",
        "2024-02-29",
        "High",
        ["a", "b"],
    )
    assert fresh["description"] == adf("new body")
    assert _keys(jc, 'duedate = "2024-02-29"') == [issue.key]
    issue.update(fields={"duedate": None, "priority": {"name": "Low"}})
    assert (jc.issue(issue.key).fields.duedate, jc.issue(issue.key).fields.priority.name) == (None, "Low")
    for bad in ("2024-02-30", "2024-03-26T00:00:00+01:00", "20240326", 20240326):
        with pytest.raises(jira.JIRAError) as exc:
            issue.update(fields={"duedate": bad})
        assert exc.value.response.json()["errors"] == {"duedate": f"Error parsing date string: {bad}"}
    answer = requests.put(
        f"{emulator.jira_url}/rest/api/3/issue/{issue.id}",
        json={"fields": {"summary": "by id"}},
        auth=(JIRA_EMAIL, JIRA_TOKEN),
        timeout=5,
    )
    assert (answer.status_code, answer.content) == (204, b"")


def test_data_center_edits_and_identity(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    dc_emulator.add_jira_project("OPS")
    issue = jdc.create_issue(fields=_fields("dc", duedate="2025-01-01"))
    issue.update(
        fields={"summary": "dc2", "description": "wiki", "duedate": "2025-06-30", "priority": {"name": "High"}}
    )
    raw = jdc.issue(issue.key).raw["fields"]
    assert (raw["summary"], raw["description"], raw["duedate"], raw["priority"]["name"]) == (
        "dc2",
        "wiki",
        "2025-06-30",
        "High",
    )
    with pytest.raises(jira.JIRAError) as empty:
        issue.update(fields={"priority": {"id": ""}})
    assert set(empty.value.response.json()["errors"]) == {"priority"}
    new_key = dc_emulator.jira_move_issue(issue.key, "OPS")
    assert jdc.issue(issue.key).key == new_key == "OPS-1"
    assert [i.key for i in jdc.search_issues("project = OPS")] == ["OPS-1"]
    dc_emulator.jira_restrict_issue(new_key, status=403)
    assert _status(lambda: jdc.issue(new_key)) == (403, [FORBIDDEN])
    assert jdc.search_issues("project = OPS").total == 0
    dc_emulator.jira_delete_issue(new_key)
    assert _status(lambda: jdc.issue(issue.id)) == (404, [NOT_FOUND])
