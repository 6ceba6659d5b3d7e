"""The emulator's Jira Cloud API, driven only through the real jira client."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jira
import pytest
import requests

from connectors.emulator import Emulator
from tests.emulator_fixtures import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    PROJECT,
    adf,
    emulator,
    jc,
    make_jira,
    start_emulator,
)

__all__ = ["emulator", "jc"]


def _fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "project": {"key": PROJECT},
        "issuetype": {"name": "Task"},
        "summary": summary,
        **extra,
    }


def _create(jc: jira.JIRA, summary: str, **extra: Any) -> Any:
    return jc.create_issue(fields=_fields(summary, **extra), prefetch=False)


def _jql_time(emu: Emulator) -> str:
    return datetime.fromtimestamp(emu.clock.now(), UTC).strftime("%Y-%m-%d %H:%M")


def test_client_connects_and_reads_metadata(jc: jira.JIRA) -> None:
    assert jc.server_info()["deploymentType"] == "Cloud"
    assert jc.myself()["emailAddress"] == JIRA_EMAIL
    assert jc.project(PROJECT).name == "Platform"
    assert {p.name for p in jc.priorities()} == {"Highest", "High", "Medium", "Low", "Lowest"}
    assert {c.key for c in jc.statuscategories()} == {"undefined", "new", "indeterminate", "done"}
    assert {"summary", "labels", "duedate", "resolution"} <= {f["id"] for f in jc.fields()}


def test_create_and_get_issue(emulator: Emulator, jc: jira.JIRA) -> None:
    created = jc.create_issue(
        fields=_fields(
            "Add alert on queue depth",
            description=adf("marker pm-1/a1"),
            labels=["pm-item", "sev2"],
            priority={"name": "High"},
            duedate="2024-03-26",
        )
    )
    assert created.key == "PLAT-1"
    assert created.id == "10001"
    by_id = jc.issue("10001")
    assert by_id.key == "PLAT-1"
    f = by_id.fields
    assert f.summary == "Add alert on queue depth"
    assert by_id.raw["fields"]["description"] == adf("marker pm-1/a1")
    assert f.labels == ["pm-item", "sev2"]
    assert f.priority.name == "High"
    assert f.duedate == "2024-03-26"
    assert f.status.name == "To Do"
    assert f.status.statusCategory.key == "new"
    assert f.resolution is None
    assert f.resolutiondate is None
    assert f.issuetype.name == "Task"
    assert f.project.key == PROJECT
    assert f.created.endswith("+0000")
    limited = jc.issue("PLAT-1", fields="summary,status")
    assert set(limited.raw["fields"]) == {"summary", "status"}
    assert _create(jc, "second").key == "PLAT-2"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"description": "plain text is not ADF"}, "description"),
        ({"priority": {"name": "Urgent"}}, "priority"),
        ({"duedate": "2024-02-30"}, "duedate"),
        ({"labels": ["has space"]}, "labels"),
        ({"summary": ""}, "summary"),
        ({"project": {"key": "NOPE"}}, "project"),
        ({"issuetype": {"name": "Saga"}}, "issuetype"),
    ],
)
def test_create_validation_errors(emulator: Emulator, jc: jira.JIRA, extra: dict[str, Any], field: str) -> None:
    with pytest.raises(jira.JIRAError) as exc:
        jc.create_issue(fields={**_fields("x"), **extra}, prefetch=False)
    assert exc.value.status_code == 400
    assert field in exc.value.response.json()["errors"]
    assert emulator.jira_issues(PROJECT) == []


def test_enhanced_search_pages_with_next_page_token(emulator: Emulator, jc: jira.JIRA) -> None:
    for n in range(120):
        emulator.jira_create_issue(PROJECT, f"item {n}")
    emulator.clear_request_log()

    everything = jc.enhanced_search_issues(
        f"project = {PROJECT} ORDER BY key ASC", maxResults=0, fields=["summary", "status"]
    )
    assert [i.key for i in everything] == [f"PLAT-{n}" for n in range(1, 121)]
    assert everything[0].fields.status.statusCategory.key == "new"
    searches = [r for r in emulator.request_log if r.path.endswith("/search/jql")]
    assert len(searches) == 2  # the client asks for 100 per page when fetching all

    keys: list[str] = []
    token = None
    for _ in range(3):
        page = jc.enhanced_search_issues(
            f"project = {PROJECT} ORDER BY key DESC",
            nextPageToken=token,
            maxResults=50,
            fields=["summary"],
            use_post=True,
        )
        keys += [i.key for i in page]
        token = page.nextPageToken
    assert token is None
    assert len(keys) == 120
    assert keys[0] == "PLAT-120"


def test_search_jql_defaults_to_id_only_and_has_no_totals(emulator: Emulator, jc: jira.JIRA) -> None:
    emulator.jira_create_issue(PROJECT, "one")
    raw = jc._session.get(jc._get_url("search/jql"), params={"jql": f"project = {PROJECT}"}).json()
    assert raw == {"issues": [{"id": "10001"}], "isLast": True}


def test_jql_filters(emulator: Emulator, jc: jira.JIRA) -> None:
    a = _create(jc, "a", labels=["pm-item", "sev1"])
    _create(jc, "b", labels=["pm-item"])
    c = _create(jc, "c")
    emulator.advance_clock(600)
    cutoff = _jql_time(emulator)
    emulator.advance_clock(60)
    jc.issue(a.key).update(fields={"summary": "a2"})
    emulator.jira_transition(c.key, "Done")

    def keys(query: str) -> list[str]:
        return sorted(i.key for i in jc.enhanced_search_issues(query, fields=["summary"]))

    assert keys(f'project = {PROJECT} AND updated >= "{cutoff}"') == ["PLAT-1", "PLAT-3"]
    assert keys(f"project = {PROJECT} AND updated > -5m") == ["PLAT-1", "PLAT-3"]
    iso = cutoff.replace(" ", "T") + ":00Z"
    assert keys(f'project = {PROJECT} AND updated >= "{iso}"') == ["PLAT-1", "PLAT-3"]
    assert keys("labels = sev1") == ["PLAT-1"]
    assert keys("project in (PLAT) AND labels in (sev1, pm-item)") == ["PLAT-1", "PLAT-2"]
    assert keys("key in (PLAT-1, PLAT-3)") == ["PLAT-1", "PLAT-3"]
    assert keys("id in (10002)") == ["PLAT-2"]
    assert keys("project = PLAT AND statusCategory = Done") == ["PLAT-3"]
    assert keys("project = PLAT AND statusCategory != Done") == ["PLAT-1", "PLAT-2"]
    assert keys("project = PLAT AND (labels = sev1 OR statusCategory = done)") == [
        "PLAT-1",
        "PLAT-3",
    ]
    assert keys('summary ~ "a2"') == ["PLAT-1"]
    ordered = jc.enhanced_search_issues("project = PLAT ORDER BY updated ASC", fields=["summary"])
    assert [i.key for i in ordered] == ["PLAT-2", "PLAT-1", "PLAT-3"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("project = PLAT AND", "Error in the JQL Query"),
        ("project == PLAT", "Error in the JQL Query"),
        ("bogus = 1", "Field 'bogus' does not exist"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key in (PLAT-99)", "An issue with key 'PLAT-99' does not exist"),
        ('updated >= "yesterday"', "Date value 'yesterday' for field 'updated' is invalid"),
        ("ORDER BY key", "Unbounded JQL queries are not allowed"),
    ],
)
def test_invalid_jql_is_a_400(jc: jira.JIRA, query: str, message: str) -> None:
    with pytest.raises(jira.JIRAError) as exc:
        jc.enhanced_search_issues(query, fields=["summary"])
    assert exc.value.status_code == 400
    body = exc.value.response.json()
    assert body["errors"] == {}
    assert message in body["errorMessages"][0]


def test_comments_create_and_list(emulator: Emulator, jc: jira.JIRA) -> None:
    issue = _create(jc, "with comments")
    before = jc.issue(issue.key).fields.updated
    emulator.advance_clock(1)
    for n in range(3):
        comment = jc.add_comment(issue.key, adf(f"note {n}"))
    assert comment.raw["body"] == adf("note 2")
    assert comment.author.accountId == emulator.jira_account_id

    comments = jc.comments(issue.key)
    assert [c.raw["body"]["content"][0]["content"][0]["text"] for c in comments] == [
        "note 0",
        "note 1",
        "note 2",
    ]
    fetched = jc.issue(issue.key)
    assert fetched.fields.comment.total == 3
    assert fetched.fields.updated > before
    with pytest.raises(jira.JIRAError) as exc:
        jc.add_comment(issue.key, "plain text")
    assert exc.value.status_code == 400


def test_status_changes_in_tracker_are_seen_by_client(emulator: Emulator, jc: jira.JIRA) -> None:
    key = _create(jc, "to be resolved").key
    emulator.jira_transition(key, "In Progress")
    assert jc.issue(key).fields.status.statusCategory.key == "indeterminate"

    emulator.jira_transition(key, "Done", resolution="Won't Do")
    done = jc.issue(key).fields
    assert done.status.statusCategory.key == "done"
    assert done.resolution.name == "Won't Do"
    assert done.resolutiondate is not None

    emulator.jira_transition(key, "In Progress")
    reopened = jc.issue(key).fields
    assert reopened.resolution is None
    assert reopened.resolutiondate is None

    emulator.jira_transition(key, "Won't Do", category="done")
    custom = jc.issue(key).fields
    assert custom.status.name == "Won't Do"
    assert custom.status.statusCategory.key == "done"
    assert custom.resolution.name == "Done"


def test_transition_through_client(jc: jira.JIRA) -> None:
    key = _create(jc, "close me").key
    transitions = {t["name"]: t["id"] for t in jc.transitions(key)}
    assert set(transitions) == {"In Progress", "Done"}

    jc.transition_issue(key, transitions["Done"], fields={"resolution": {"name": "Duplicate"}})
    fields = jc.issue(key).fields
    assert fields.status.name == "Done"
    assert fields.resolution.name == "Duplicate"
    with pytest.raises(jira.JIRAError) as exc:
        jc.transition_issue(key, "999")
    assert exc.value.status_code == 400


def test_edit_issue(emulator: Emulator, jc: jira.JIRA) -> None:
    issue = jc.issue(_create(jc, "old", labels=["a"]).key)
    before = issue.fields.updated
    emulator.advance_clock(1)
    issue.update(fields={"summary": "new", "labels": ["a", "b"], "duedate": "2024-04-01"})
    fresh = jc.issue(issue.key).fields
    assert (fresh.summary, fresh.labels, fresh.duedate) == ("new", ["a", "b"], "2024-04-01")
    assert fresh.updated > before
    with pytest.raises(jira.JIRAError) as exc:
        issue.update(fields={"description": "not adf"})
    assert exc.value.status_code == 400


def test_auth_not_found_and_removed_search(emulator: Emulator, jc: jira.JIRA) -> None:
    with pytest.raises(jira.JIRAError) as bad:
        make_jira(emulator, token="wrong")
    assert bad.value.status_code == 401
    with pytest.raises(jira.JIRAError) as missing:
        jc.issue("PLAT-404")
    assert missing.value.status_code == 404
    assert missing.value.response.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]
    with pytest.raises(jira.JIRAError) as gone:
        jc._get_json("search", params={"jql": f"project = {PROJECT}"})
    assert gone.value.status_code == 410
    assert "/rest/api/3/search/jql" in gone.value.response.json()["errorMessages"][0]


def test_rate_limit_answers_429_with_retry_after() -> None:
    emu = start_emulator(jira_rate_limit=3)
    try:
        jc = make_jira(emu)  # serverInfo: 1
        jc.myself()
        jc.project(PROJECT)
        with pytest.raises(jira.JIRAError) as exc:
            jc.myself()
        assert exc.value.status_code == 429
        headers = exc.value.response.headers
        assert int(headers["Retry-After"]) >= 1
        assert headers["X-RateLimit-Remaining"] == "0"
        emu.advance_clock(61)
        assert jc.myself()["emailAddress"] == JIRA_EMAIL
    finally:
        emu.stop()


def test_commit_then_fail_creates_exactly_one_issue(emulator: Emulator, jc: jira.JIRA) -> None:
    emulator.faults.add(method="POST", path=r"^/rest/api/3/issue$", mode="commit_then_fail")

    with pytest.raises(jira.JIRAError) as exc:
        _create(jc, "lost answer")
    assert exc.value.status_code == 502
    assert [i["key"] for i in emulator.jira_issues(PROJECT)] == ["PLAT-1"]


def test_reset_raises_connection_error(emulator: Emulator, jc: jira.JIRA) -> None:
    emulator.faults.add(method="POST", path=r"/issue$", mode="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        _create(jc, "never made")
    assert emulator.jira_issues(PROJECT) == []
    assert _create(jc, "made").key == "PLAT-1"


def test_wrong_password_is_rejected_even_for_server_info(emulator: Emulator) -> None:
    response = requests.get(f"{emulator.jira_url}/rest/api/3/serverInfo", auth=(JIRA_EMAIL, "nope"), timeout=5)
    assert response.status_code == 401
    assert response.json()["errorMessages"][0].startswith("You are not authenticated")
    anonymous = requests.get(f"{emulator.jira_url}/rest/api/3/serverInfo", timeout=5)
    assert anonymous.status_code == 200
    authed = requests.get(f"{emulator.jira_url}/rest/api/3/myself", auth=(JIRA_EMAIL, JIRA_TOKEN), timeout=5)
    assert authed.status_code == 200
