"""The emulator as a Jira Data Center site: REST v2, bearer tokens, wiki strings, offset search."""

from __future__ import annotations

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
    dc_emulator,
    dc_headers,
    jdc,
    make_jira_dc,
    start_emulator,
)

__all__ = ["dc_emulator", "jdc"]

USER_KEYS = {"self", "key", "name", "emailAddress", "displayName", "active", "timeZone", "avatarUrls"}


def _fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}, "summary": summary, **extra}


def _url(emu: Emulator, path: str, version: str = "2") -> str:
    return f"{emu.jira_url}/rest/api/{version}{path}"


def test_server_info_says_server_9_12(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    info = jdc.server_info()
    assert info["deploymentType"] == "Server"
    assert (info["version"], info["versionNumbers"], info["buildNumber"]) == ("9.12.15", [9, 12, 15], 9120015)
    assert set(info) == {
        "baseUrl",
        "version",
        "versionNumbers",
        "deploymentType",
        "buildNumber",
        "buildDate",
        "serverTime",
        "scmInfo",
        "serverTitle",
    }
    assert info["baseUrl"] == dc_emulator.jira_url
    assert dc_emulator.jira_deployment == "datacenter"
    anonymous = requests.get(_url(dc_emulator, "/serverInfo"), timeout=5)
    assert anonymous.status_code == 200


def test_only_a_bearer_personal_access_token_is_accepted(dc_emulator: Emulator) -> None:
    ok = requests.get(_url(dc_emulator, "/myself"), headers=dc_headers(), timeout=5)
    assert ok.status_code == 200
    assert ok.headers["X-AUSERNAME"] == "bot"
    for attempt in (
        {"headers": dc_headers("wrong")},
        {"auth": (JIRA_EMAIL, JIRA_TOKEN)},
        {"headers": {"Authorization": f"token {JIRA_TOKEN}"}},
        {},
    ):
        refused = requests.get(_url(dc_emulator, "/myself"), timeout=5, **attempt)  # type: ignore[arg-type]
        assert refused.status_code == 401
        assert refused.json() == {
            "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
            "errors": {},
        }
    with pytest.raises(jira.JIRAError) as exc:
        make_jira_dc(dc_emulator, token="wrong").myself()
    assert exc.value.status_code == 401


def test_v3_and_cloud_search_routes_do_not_exist(dc_emulator: Emulator) -> None:
    for method, path, version in [
        ("GET", "/myself", "3"),
        ("GET", "/serverInfo", "3"),
        ("POST", "/issue", "3"),
        ("GET", "/search/jql?jql=project%3DPLAT", "2"),
        ("POST", "/search/jql", "2"),
        ("POST", "/search/approximate-count", "2"),
    ]:
        answer = requests.request(method, _url(dc_emulator, path, version), headers=dc_headers(), json={}, timeout=5)
        assert answer.status_code == 404, (method, path, version)
        assert answer.json()["errorMessages"][0].startswith("null for uri")
    anonymous = requests.get(_url(dc_emulator, "/serverInfo", "3"), timeout=5)
    assert anonymous.status_code == 404  # a client probing for Cloud learns it is not
    latest = requests.get(_url(dc_emulator, "/myself", "latest"), headers=dc_headers(), timeout=5)
    assert latest.status_code == 200
    assert latest.json()["self"].startswith(f"{dc_emulator.jira_url}/rest/api/2/")


def test_users_have_names_and_keys_not_account_ids(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    me = jdc.myself()
    assert USER_KEYS <= set(me)
    assert "accountId" not in me
    assert (me["name"], me["emailAddress"], me["active"]) == ("bot", JIRA_EMAIL, True)
    key = jdc.create_issue(fields=_fields("mine", assignee={"name": "alice"}), prefetch=False).key
    dc_emulator.jira_add_comment(key, "from a person")
    jdc.add_comment(key, "from the bot")
    raw = jdc.issue(key).raw["fields"]
    for user in (raw["reporter"], raw["assignee"], raw["creator"], *(c["author"] for c in raw["comment"]["comments"])):
        assert set(user) == USER_KEYS
    assert raw["reporter"]["name"] == "bot"
    assert raw["assignee"]["name"] == "alice"
    assert [c["author"]["name"] for c in raw["comment"]["comments"]] == ["jira.user", "bot"]
    with pytest.raises(jira.JIRAError) as exc:
        jdc.create_issue(fields=_fields("x", assignee={"accountId": "5b10abc"}), prefetch=False)
    assert exc.value.response.json()["errors"] == {"assignee": "Specify a valid value for assignee"}


def test_text_fields_are_wiki_strings(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    issue = jdc.create_issue(fields=_fields("wiki", description="h2. Marker\n* pm-1/a1"))
    assert issue.fields.description == "h2. Marker\n* pm-1/a1"
    comment = jdc.add_comment(issue.key, "see *this*")
    assert comment.body == "see *this*"
    assert [c.body for c in jdc.comments(issue.key)] == ["see *this*"]
    issue.update(fields={"description": "changed"})
    assert jdc.issue(issue.key).fields.description == "changed"
    person = dc_emulator.jira_create_issue(PROJECT, "by a person", "plain words")
    assert jdc.issue(person).fields.description == "plain words"


def test_adf_bodies_are_refused(dc_emulator: Emulator) -> None:
    created = requests.post(
        _url(dc_emulator, "/issue"),
        json={"fields": _fields("x", description=adf("no"))},
        headers=dc_headers(),
        timeout=5,
    )
    assert created.status_code == 400
    assert created.json() == {"errorMessages": [], "errors": {"description": "Operation value must be a string"}}
    key = dc_emulator.jira_create_issue(PROJECT, "target")
    edited = requests.put(
        _url(dc_emulator, f"/issue/{key}"), json={"fields": {"description": adf("no")}}, headers=dc_headers(), timeout=5
    )
    assert edited.status_code == 400
    assert edited.json()["errors"] == {"description": "Operation value must be a string"}
    comment = requests.post(
        _url(dc_emulator, f"/issue/{key}/comment"), json={"body": adf("no")}, headers=dc_headers(), timeout=5
    )
    assert comment.status_code == 400
    body = comment.json()
    assert body["errors"] == {}
    assert body["errorMessages"][0].startswith("Can not deserialize instance of java.lang.String")
    empty = requests.post(
        _url(dc_emulator, f"/issue/{key}/comment"), json={"body": ""}, headers=dc_headers(), timeout=5
    )
    assert empty.status_code == 400
    assert empty.json()["errors"] == {"comment": "Comment body can not be empty!"}


def test_offset_search_pages_with_totals(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    for n in range(120):
        dc_emulator.jira_create_issue(PROJECT, f"item {n}")
    dc_emulator.clear_request_log()
    everything = jdc.search_issues(f"project = {PROJECT} ORDER BY key ASC", maxResults=False, fields="summary")
    assert [i.key for i in everything] == [f"PLAT-{n}" for n in range(1, 121)]
    assert everything.total == 120
    paths = [r.path for r in dc_emulator.request_log]
    assert paths.count("/rest/api/2/search") == 2  # the client's batch size is 100: 100 + 20
    assert "/rest/api/2/field" in paths  # the client translates field names first

    page = jdc.search_issues(f"project = {PROJECT} ORDER BY key DESC", startAt=110, maxResults=50, json_result=True)
    assert isinstance(page, dict)
    assert (page["startAt"], page["maxResults"], page["total"]) == (110, 50, 120)
    assert [i["key"] for i in page["issues"]] == [f"PLAT-{n}" for n in range(10, 0, -1)]
    assert "comment" in page["issues"][0]["fields"]  # the client asks for *all
    assert "nextPageToken" not in page and "isLast" not in page
    default = requests.get(
        _url(dc_emulator, "/search"), params={"jql": "key = PLAT-1"}, headers=dc_headers(), timeout=5
    )
    assert "comment" not in default.json()["issues"][0]["fields"]  # the server's default is *navigable
    assert "summary" in default.json()["issues"][0]["fields"]

    posted = jdc.search_issues(f"project = {PROJECT}", maxResults=5, fields=["summary"], use_post=True)
    assert len(posted) == 5 and posted.total == 120

    raw = requests.get(
        _url(dc_emulator, "/search"),
        params={"jql": "project = PLAT", "maxResults": 5000, "fields": "summary", "expand": "names,schema"},
        headers=dc_headers(),
        timeout=5,
    ).json()
    assert (raw["maxResults"], raw["total"], len(raw["issues"])) == (1000, 120, 120)
    assert raw["names"] == {"summary": "Summary"}
    assert raw["schema"]["summary"] == {"type": "string", "system": "summary"}
    unbounded = requests.get(_url(dc_emulator, "/search"), headers=dc_headers(), timeout=5).json()
    assert (unbounded["total"], unbounded["maxResults"], len(unbounded["issues"])) == (120, 50, 50)


def test_search_validation_can_warn_instead_of_failing(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    dc_emulator.jira_create_issue(PROJECT, "one")
    with pytest.raises(jira.JIRAError) as exc:
        jdc.search_issues("project = NOPE")
    assert exc.value.status_code == 400
    assert exc.value.response.json()["errorMessages"] == ["The value 'NOPE' does not exist for the field 'project'."]
    lenient = jdc.search_issues("project in (NOPE, PLAT)", validate_query=False, json_result=True)
    assert isinstance(lenient, dict)
    assert [i["key"] for i in lenient["issues"]] == ["PLAT-1"]
    assert lenient["warningMessages"] == ["The value 'NOPE' does not exist for the field 'project'."]
    with pytest.raises(jira.JIRAError) as syntax:
        jdc.search_issues("project = ", validate_query=False)
    assert syntax.value.status_code == 400


def test_post_search_rejects_unknown_body_keys(dc_emulator: Emulator) -> None:
    answer = requests.post(
        _url(dc_emulator, "/search"),
        json={"jql": "project = PLAT", "nextPageToken": "x"},
        headers=dc_headers(),
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["errorMessages"] == ['Unrecognized field "nextPageToken"']


def test_epics_link_through_epic_link_and_epic_name(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    link, name = dc_emulator.jira_epic_link_field, dc_emulator.jira_epic_name_field
    assert (link, name) == ("customfield_10100", "customfield_10101")
    listed = {f["id"]: f for f in jdc.fields()}
    assert listed[link]["name"] == "Epic Link"
    assert listed[link]["schema"] == {
        "type": "any",
        "custom": "com.pyxis.greenhopper.jira:gh-epic-link",
        "customId": 10100,
    }
    assert listed[name]["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-epic-label"
    assert listed[link]["clauseNames"] == ["cf[10100]", "Epic Link"]
    assert "parent" not in listed

    with pytest.raises(jira.JIRAError) as nameless:
        jdc.create_issue(fields={**_fields("epic"), "issuetype": {"name": "Epic"}}, prefetch=False)
    assert nameless.value.response.json()["errors"] == {name: "Epic Name is required."}
    epic = jdc.create_issue(fields={**_fields("epic"), "issuetype": {"name": "Epic"}, name: "Reliability"}).key
    task = jdc.create_issue(fields=_fields("child", **{link: epic})).key
    other = jdc.create_issue(fields=_fields("later"), prefetch=False).key
    jdc.issue(other).update(fields={link: epic})
    assert jdc.issue(task).raw["fields"][link] == epic
    assert jdc.issue(epic).raw["fields"][name] == "Reliability"
    assert dc_emulator.jira_children(epic) == [task, other]
    assert sorted(i.key for i in jdc.search_issues(f'"Epic Link" = {epic}')) == [task, other]
    assert [i.key for i in jdc.search_issues(f"cf[10100] = {epic}")] == [other, task]

    for bad in (task, "PLAT-99"):
        with pytest.raises(jira.JIRAError) as exc:
            jdc.create_issue(fields=_fields("x", **{link: bad}), prefetch=False)
        assert exc.value.response.json()["errors"] == {link: f"Issue '{bad}' does not exist or is not an Epic."}
    with pytest.raises(jira.JIRAError) as parent:
        jdc.create_issue(fields=_fields("x", parent={"key": epic}), prefetch=False)
    assert "parent" in parent.value.response.json()["errors"]
    jdc.issue(other).update(fields={link: None})
    assert dc_emulator.jira_children(epic) == [task]


def test_workflow_transitions_have_the_data_center_shape(dc_emulator: Emulator, jdc: jira.JIRA) -> None:
    dc_emulator.jira_set_workflow(
        PROJECT,
        [("Open", "new"), ("Closed", "done")],
        [{"name": "Close", "to": "Closed", "from": ["Open"], "id": "2", "screen": ["resolution"]}],
    )
    key = jdc.create_issue(fields=_fields("x"), prefetch=False).key
    (close,) = jdc.transitions(key, expand="transitions.fields")
    assert set(close) == {"id", "name", "to", "fields"}
    assert "untranslatedName" not in close["to"]
    meta = close["fields"]["resolution"]
    assert meta["fieldId"] == "resolution" and "key" not in meta
    jdc.transition_issue(key, "2", fields={"resolution": {"name": "Won't Do"}}, comment="closing")
    fields = jdc.issue(key).fields
    assert (fields.status.name, fields.resolution.name) == ("Closed", "Won't Do")
    assert fields.comment.comments[-1].body == "closing"


def test_rate_limit_faults_and_request_log_work_on_data_center() -> None:
    emu = start_emulator(jira_deployment="datacenter", jira_rate_limit=2)
    try:
        jdc = make_jira_dc(emu)
        jdc.myself()
        jdc.project(PROJECT)
        with pytest.raises(jira.JIRAError) as limited:
            jdc.myself()
        assert limited.value.status_code == 429
        headers = limited.value.response.headers
        assert int(headers["Retry-After"]) >= 1
        assert headers["X-RateLimit-Remaining"] == "0" and headers["X-RateLimit-Limit"] == "2"
        emu.advance_clock(61)
        emu.faults.add(method="POST", path=r"^/rest/api/2/issue$", mode="commit_then_fail")
        with pytest.raises(jira.JIRAError) as failed:
            jdc.create_issue(fields=_fields("lost answer"), prefetch=False)
        assert failed.value.status_code == 502
        assert [i["key"] for i in emu.jira_issues(PROJECT)] == ["PLAT-1"]
        assert emu.request_log[-1] == ("jira", "POST", "/rest/api/2/issue", 502)
    finally:
        emu.stop()


def test_person_views_are_v2_json(dc_emulator: Emulator) -> None:
    key = dc_emulator.jira_create_issue(PROJECT, "seen by a person", "wiki *text*", labels=["a"])
    issue = dc_emulator.jira_issue(key)
    assert issue["self"].startswith(f"{dc_emulator.jira_url}/rest/api/2/issue/")
    assert issue["fields"]["description"] == "wiki *text*"
    assert issue["fields"]["reporter"]["name"] == "bot"
    assert dc_emulator.jira_add_comment(key, "hi")["body"] == "hi"
    epic = dc_emulator.jira_create_issue(PROJECT, "An epic", issuetype="Epic")
    child = dc_emulator.jira_create_issue(PROJECT, "child", parent=epic)
    assert dc_emulator.jira_children(epic) == [child]
    assert dc_emulator.jira_issue(epic)["fields"][str(dc_emulator.jira_epic_name_field)] == "An epic"
