"""The emulator's answers checked against the vendors' own OpenAPI descriptions.

Real client calls (PyGithub, jira, plus a few raw ``requests`` calls for error paths the
clients cannot provoke) run against the emulator; every request/response pair is recorded
at ``requests.Session.send`` and validated with ``openapi-core`` against the contract files
in the shared ``api-contracts`` folder beside the repository (or ``$PMSYNC_API_CONTRACTS``):
operation exists, status code declared, body matches the schema (required fields, enums,
``additionalProperties: false``). The Jira Cloud site is checked against
``jira-cloud.openapi.json``, the Jira Data Center site (REST v2) against
``jira-server.openapi.json`` (converted from Jira 8.15's WADL).
Skipped when the contracts are not there; nothing else in the project depends on them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import github
import jira
import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from connectors.emulator import Emulator
from tests.emulator_fixtures import (
    GITHUB_TOKEN,
    PROJECT,
    REPO,
    adf,
    dc_headers,
    make_github,
    make_jira,
    make_jira_dc,
    start_emulator,
)


def _contracts_dir() -> Path | None:
    configured = os.environ.get("PMSYNC_API_CONTRACTS")
    path = Path(configured) if configured else Path(__file__).resolve().parents[1] / ".." / "shared" / "api-contracts"
    return path if (path / "README.md").is_file() else None


CONTRACTS = _contracts_dir()
if CONTRACTS is None:
    pytest.skip("vendor API contracts not available", allow_module_level=True)

#: Where validated requests pretend to go, so one parsed spec serves every emulator port.
SPEC_SERVER = "http://emulator.invalid"

#: Answers that differ from the contract on purpose, with the reason. Errors of the named
#: kind are ignored for that operation and status; everything else is still checked.
KNOWN_DEVIATIONS: dict[tuple[str, str, int], tuple[str, str]] = {
    ("GET", "/rest/api/3/search", 410): (
        "ResponseNotFound",
        "Atlassian removed the old search (CHANGE-2046) after this description was published; "
        "live sites answer 410 Gone, which the description does not list yet.",
    ),
    ("POST", "/rest/api/3/search", 410): ("ResponseNotFound", "as above"),
    ("PUT", "/rest/api/3/issue/{issueIdOrKey}", 204): (
        "MissingData",
        "the description gives 204 a JSON media type, but a 204 has no body (RFC 9110).",
    ),
    ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", 204): ("MissingData", "as above"),
}

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def _jira_date_time(value: object) -> bool:
    """``date-time`` as Jira sends it: RFC 3339, or with a ``+0000`` offset (no colon).

    Jira Cloud's timestamps look like ``2021-01-17T12:34:00.000+0000``; the description's
    own examples use that form although strict RFC 3339 wants ``+00:00``.
    """
    return not isinstance(value, str) or _RFC3339.match(value) is not None


@dataclass
class Exchange:
    """One recorded request and the response it got."""

    request: requests.PreparedRequest
    response: requests.Response


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Exchange]:
    """Every request/response pair made through ``requests`` during the test."""
    exchanges: list[Exchange] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kw: Any) -> Any:
        response = original(self, request, **kw)
        exchanges.append(Exchange(request, response))
        return response

    monkeypatch.setattr(requests.Session, "send", send)
    return exchanges


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A started emulator with ``acme/payments`` and ``PLAT``."""
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


def _null_in_nullable_enums(node: object) -> None:
    """Let ``nullable: true`` admit ``null`` even where an ``enum`` leaves it out.

    OpenAPI 3.0.3 says an enum must list ``null`` for a nullable schema to accept it, and the
    validator is strict about that; GitHub's description (e.g. ``issue.state_reason``) marks
    such fields nullable without listing ``null``, while api.github.com does send ``null``.
    """
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list):
            if None not in node["enum"]:
                node["enum"].append(None)
        for value in node.values():
            _null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _null_in_nullable_enums(value)


@cache
def _spec(name: str) -> tuple[OpenAPI, list[tuple[str, re.Pattern[str]]]]:
    assert CONTRACTS is not None
    document = json.loads((CONTRACTS / name).read_text())
    document["servers"] = [{"url": SPEC_SERVER}]
    _null_in_nullable_enums(document)
    config = Config(extra_format_validators={"date-time": _jira_date_time})
    templates = [(path, re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$")) for path in document["paths"]]
    # Prefer literal paths (``/search/jql``) over templated ones (``/search/{x}``).
    templates.sort(key=lambda t: (t[0].count("{"), -len(t[0])))
    return OpenAPI.from_dict(document, config=config), templates


@dataclass
class Verdict:
    """The outcome of validating one exchange."""

    method: str
    template: str | None
    status: int
    errors: list[str]


def _validate(name: str, exchanges: list[Exchange], rewrite: Callable[[str], str] = lambda p: p) -> list[Verdict]:
    openapi, templates = _spec(name)
    verdicts = []
    for ex in exchanges:
        parts = urlsplit(ex.request.url or "")
        path = rewrite(parts.path)
        method = ex.request.method or "GET"
        template = next((t for t, rx in templates if rx.match(path)), None)
        status = ex.response.status_code
        if template is None:
            verdicts.append(Verdict(method, template, status, []))
            continue
        tolerated = KNOWN_DEVIATIONS.get((method, template, status), ("", ""))[0]
        prepared = ex.request.copy()
        spec_url = urlsplit(SPEC_SERVER)
        prepared.url = urlunsplit((spec_url.scheme, spec_url.netloc, path, parts.query, parts.fragment))
        request = RequestsOpenAPIRequest(prepared)
        response = RequestsOpenAPIResponse(ex.response)
        errors = [
            f"{type(e).__name__}: {_describe(e)}"
            for e in openapi.iter_response_errors(request, response)
            if type(e).__name__ != tolerated
        ]
        verdicts.append(Verdict(method, template, status, errors))
    return verdicts


def _describe(error: BaseException) -> str:
    details = getattr(error, "schema_errors", None)
    cause = error.__cause__
    while not details and cause is not None:
        details = getattr(cause, "schema_errors", None)
        cause = cause.__cause__
    if not details:
        return str(error)[:300]
    return " | ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in details)


def _assert_conforms(verdicts: list[Verdict], expected: set[tuple[str, str, int]]) -> None:
    failures = [f"{v.method} {v.template} -> {v.status}: {err}" for v in verdicts for err in v.errors]
    assert not failures, "responses that break the contract:\n" + "\n".join(failures)
    covered = {(v.method, v.template, v.status) for v in verdicts if v.template}
    missing = expected - covered
    assert not missing, f"scenario did not exercise: {sorted(missing)}"


# --- GitHub --------------------------------------------------------------------------------

GITHUB_EXPECTED = {
    ("GET", "/repos/{owner}/{repo}/issues", 200),
    ("POST", "/repos/{owner}/{repo}/issues", 201),
    ("POST", "/repos/{owner}/{repo}/issues", 422),
    ("POST", "/repos/{owner}/{repo}/issues", 410),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", 200),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", 304),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", 404),
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", 200),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 200),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 201),
    ("GET", "/repos/{owner}/{repo}/labels", 200),
    ("POST", "/repos/{owner}/{repo}/labels", 201),
    ("POST", "/repos/{owner}/{repo}/labels", 422),
    ("GET", "/repos/{owner}/{repo}/labels/{name}", 200),
    ("GET", "/repos/{owner}/{repo}/labels/{name}", 404),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels", 200),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", 200),
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels", 200),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", 200),
    ("GET", "/search/issues", 200),
    ("GET", "/rate_limit", 200),
}


def _github_scenario(emu: Emulator) -> None:
    gh = make_github(emu, per_page=2)
    repo = gh.get_repo(REPO)
    issues = [repo.create_issue(title=f"item {n}", body="pm-1/a1", labels=["pm-item"]) for n in range(5)]
    assert len(list(repo.get_issues(state="all", labels=["pm-item"]))) == 5
    first = repo.get_issue(1)
    assert first.update() is False  # 304
    first.edit(state="closed", state_reason="not_planned")
    first.edit(state="open")
    issues[1].edit(title="renamed", body="", labels=["x"], assignees=["alice"])
    for n in range(3):
        issues[2].create_comment(f"c{n}")
    assert len(list(issues[2].get_comments())) == 3
    repo.create_label("area/api", "00ff00", "API")
    repo.get_label("area/api")
    list(repo.get_labels())
    issues[3].add_to_labels("area/api")
    issues[3].set_labels("pm-item", "sev1")
    issues[3].remove_from_labels("sev1")
    list(issues[3].get_labels())
    assert gh.search_issues("pm-1/a1", repo=REPO, label="pm-item").totalCount == 4
    gh.get_rate_limit()
    with pytest.raises(github.GithubException):
        repo.create_label("AREA/API", "00ff00")
    with pytest.raises(github.UnknownObjectException):
        repo.get_label("nope")
    with pytest.raises(github.UnknownObjectException):
        repo.get_issue(404)
    auth = {"Authorization": f"token {GITHUB_TOKEN}"}
    missing_title = requests.post(f"{emu.github_url}/repos/{REPO}/issues", json={"body": "x"}, headers=auth, timeout=5)
    assert missing_title.status_code == 422
    emu.add_github_repo("acme/archive", has_issues=False)
    disabled = requests.post(
        f"{emu.github_url}/repos/acme/archive/issues",
        json={"title": "x"},
        headers=auth,
        timeout=5,
    )
    assert disabled.status_code == 410


def test_github_answers_match_the_openapi_description(emu: Emulator, recorded: list[Exchange]) -> None:
    _github_scenario(emu)
    repo_id = emu.add_github_repo(REPO)["id"]

    def rewrite(path: str) -> str:
        # Link headers point at /repositories/{id}/...; the description names /repos/o/r/...
        return path.replace(f"/repositories/{repo_id}", f"/repos/{REPO}")

    verdicts = _validate("github-issues.openapi.json", recorded, rewrite)
    _assert_conforms(verdicts, GITHUB_EXPECTED)


# --- Jira ----------------------------------------------------------------------------------

JIRA_EXPECTED = {
    ("GET", "/rest/api/3/serverInfo", 200),
    ("GET", "/rest/api/3/myself", 200),
    ("GET", "/rest/api/3/project/{projectIdOrKey}", 200),
    ("GET", "/rest/api/3/priority", 200),
    ("GET", "/rest/api/3/status", 200),
    ("GET", "/rest/api/3/statuscategory", 200),
    ("POST", "/rest/api/3/issue", 201),
    ("POST", "/rest/api/3/issue", 400),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}", 200),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}", 404),
    ("PUT", "/rest/api/3/issue/{issueIdOrKey}", 204),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions", 200),
    ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", 204),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}/comment", 200),
    ("POST", "/rest/api/3/issue/{issueIdOrKey}/comment", 201),
    ("GET", "/rest/api/3/search/jql", 200),
    ("POST", "/rest/api/3/search/jql", 200),
    ("GET", "/rest/api/3/search/jql", 400),
    ("POST", "/rest/api/3/search/approximate-count", 200),
    ("GET", "/rest/api/3/search", 410),
}


def _jira_scenario(emu: Emulator) -> None:
    jc = make_jira(emu)
    jc.myself()
    jc.project(PROJECT)
    jc.priorities()
    jc.statuses()
    jc.statuscategories()
    for n in range(5):
        jc.create_issue(
            fields={
                "project": {"key": PROJECT},
                "issuetype": {"name": "Task"},
                "summary": f"item {n}",
                "description": adf("pm-1/a1"),
                "labels": ["pm-item"],
                "priority": {"name": "High"},
                "duedate": "2024-03-26",
            }
        )
    with pytest.raises(jira.JIRAError):
        jc.create_issue(
            fields={
                "project": {"key": PROJECT},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "description": "plain",
            }
        )
    issue = jc.issue("PLAT-1", expand="names,schema,transitions")
    issue.update(fields={"labels": ["pm-item", "sev1"]})
    jc.add_comment("PLAT-1", adf("hello"))
    jc.comments("PLAT-1")
    done = next(t["id"] for t in jc.transitions("PLAT-1") if t["name"] == "Done")
    jc.transition_issue("PLAT-1", done, fields={"resolution": {"name": "Won't Do"}})
    jc.issue("PLAT-1")
    query = f"project = {PROJECT} AND labels = pm-item ORDER BY key ASC"
    assert len(jc.enhanced_search_issues(query, maxResults=2, fields=["summary"])) == 2
    assert len(jc.enhanced_search_issues(query, maxResults=0, fields=["*all"])) == 5
    assert len(jc.enhanced_search_issues(query, maxResults=2, use_post=True)) == 2
    jc.enhanced_search_issues(query, fields=["summary"], expand="names,schema", json_result=True)
    jc._get_json("search/jql", params={"jql": query})
    assert jc.approximate_issue_count(query) == 5
    with pytest.raises(jira.JIRAError):
        jc.enhanced_search_issues("project = NOPE")
    with pytest.raises(jira.JIRAError):
        jc.issue("PLAT-999")
    with pytest.raises(jira.JIRAError):
        jc._get_json("search", params={"jql": query})


def test_jira_answers_match_the_openapi_description(emu: Emulator, recorded: list[Exchange]) -> None:
    _jira_scenario(emu)
    verdicts = _validate("jira-cloud.openapi.json", recorded)
    _assert_conforms(verdicts, JIRA_EXPECTED)


def test_jira_search_jql_pages_carry_only_cursor_fields(emu: Emulator, recorded: list[Exchange]) -> None:
    for n in range(3):
        emu.jira_create_issue(PROJECT, f"item {n}")
    jc = make_jira(emu)
    jc.enhanced_search_issues(f"project = {PROJECT}", maxResults=1, fields=["summary"])
    token = None
    pages = []
    while True:
        page = jc.enhanced_search_issues(f"project = {PROJECT}", maxResults=2, nextPageToken=token, json_result=True)
        assert isinstance(page, dict)
        pages.append(page)
        token = page.get("nextPageToken")
        if token is None:
            break
    assert [set(p) for p in pages] == [{"issues", "isLast", "nextPageToken"}, {"issues", "isLast"}]
    assert [p["isLast"] for p in pages] == [False, True]
    _assert_conforms(_validate("jira-cloud.openapi.json", recorded), {("GET", "/rest/api/3/search/jql", 200)})


# --- Jira Data Center ------------------------------------------------------------------------

JIRA_DC_EXPECTED = {
    ("GET", "/rest/api/2/serverInfo", 200),
    ("GET", "/rest/api/2/myself", 200),
    ("GET", "/rest/api/2/project/{projectIdOrKey}", 200),
    ("GET", "/rest/api/2/priority", 200),
    ("GET", "/rest/api/2/priority/{id}", 200),
    ("GET", "/rest/api/2/status", 200),
    ("GET", "/rest/api/2/status/{idOrName}", 200),
    ("GET", "/rest/api/2/statuscategory", 200),
    ("POST", "/rest/api/2/issue", 201),
    ("POST", "/rest/api/2/issue", 400),
    ("GET", "/rest/api/2/issue/{issueIdOrKey}", 200),
    ("GET", "/rest/api/2/issue/{issueIdOrKey}", 404),
    ("PUT", "/rest/api/2/issue/{issueIdOrKey}", 204),
    ("PUT", "/rest/api/2/issue/{issueIdOrKey}", 400),
    ("GET", "/rest/api/2/issue/{issueIdOrKey}/transitions", 200),
    ("POST", "/rest/api/2/issue/{issueIdOrKey}/transitions", 204),
    ("POST", "/rest/api/2/issue/{issueIdOrKey}/transitions", 400),
    ("GET", "/rest/api/2/issue/{issueIdOrKey}/comment", 200),
    ("POST", "/rest/api/2/issue/{issueIdOrKey}/comment", 201),
    ("POST", "/rest/api/2/issue/{issueIdOrKey}/comment", 400),
    ("GET", "/rest/api/2/issue/{issueIdOrKey}/comment/{id}", 200),
    ("GET", "/rest/api/2/search", 200),
    ("POST", "/rest/api/2/search", 200),
    ("GET", "/rest/api/2/search", 400),
}


def _jira_dc_scenario(emu: Emulator) -> None:
    team = emu.jira_add_field("Team", schema_type="option", allowed_values=["SRE", "Payments"])
    emu.jira_set_workflow(
        "OPS",
        [("Open", "new"), ("Closed", "done")],
        [{"name": "Close", "to": "Closed", "screen": ["resolution", team], "required": ["resolution"]}],
    )
    jc = make_jira_dc(emu)
    jc.server_info()
    jc.myself()
    jc.project(PROJECT)
    jc.priorities()
    jc.priority("2")
    jc.statuses()
    jc.status("Done")
    jc.statuscategories()
    link, name = str(emu.jira_epic_link_field), str(emu.jira_epic_name_field)
    epic = jc.create_issue(
        fields={"project": {"key": PROJECT}, "issuetype": {"name": "Epic"}, "summary": "epic", name: "Reliability"}
    )
    for n in range(5):
        jc.create_issue(
            fields={
                "project": {"key": PROJECT},
                "issuetype": {"name": "Task"},
                "summary": f"item {n}",
                "description": "h2. pm-1/a1",
                "labels": ["pm-item"],
                "priority": {"name": "High"},
                "duedate": "2024-03-26",
                link: epic.key,
                team: {"value": "SRE"},
            }
        )
    with pytest.raises(jira.JIRAError):
        jc.create_issue(
            fields={
                "project": {"key": PROJECT},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "description": adf("no"),
            }
        )
    issue = jc.issue("PLAT-2", expand="names,schema,transitions")
    issue.update(fields={"labels": ["pm-item", "sev1"], "description": "changed"})
    with pytest.raises(jira.JIRAError):
        issue.update(fields={"duedate": "tomorrow"})
    comment = jc.add_comment("PLAT-2", "hello")
    jc.comments("PLAT-2")
    jc.comment("PLAT-2", comment.id)
    with pytest.raises(jira.JIRAError):
        jc._session.post(jc._get_url("issue/PLAT-2/comment"), data='{"body": {"type": "doc"}}')
    done = next(t["id"] for t in jc.transitions("PLAT-2") if t["name"] == "Done")
    jc.transition_issue("PLAT-2", done, fields={"resolution": {"name": "Won't Do"}}, comment="closing")
    with pytest.raises(jira.JIRAError):
        jc.transition_issue("PLAT-2", "999")
    ops = jc.create_issue(fields={"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "ops"})
    jc.transitions(ops.key, expand="transitions.fields")
    jc.issue(ops.key, expand="transitions.fields")
    jc.issue("PLAT-2")
    query = f"project = {PROJECT} AND labels = pm-item ORDER BY key ASC"
    assert len(jc.search_issues(query, maxResults=2, fields="summary")) == 2
    assert len(jc.search_issues(query, maxResults=False)) == 5
    assert len(jc.search_issues(query, maxResults=2, use_post=True)) == 2
    jc.search_issues(query, fields="summary", expand="names,schema", json_result=True)
    jc.search_issues("project in (NOPE, PLAT)", validate_query=False, json_result=True)
    with pytest.raises(jira.JIRAError):
        jc.search_issues("project = NOPE")
    with pytest.raises(jira.JIRAError):
        jc.issue("PLAT-999")
    raw = requests.get(f"{emu.jira_url}/rest/api/2/search", headers=dc_headers(), timeout=5)
    assert raw.status_code == 200


def test_jira_data_center_answers_match_the_server_description(recorded: list[Exchange]) -> None:
    emu = start_emulator(jira_deployment="datacenter")
    try:
        emu.add_jira_project("OPS")
        _jira_dc_scenario(emu)
    finally:
        emu.stop()
    verdicts = _validate("jira-server.openapi.json", recorded)
    _assert_conforms(verdicts, JIRA_DC_EXPECTED)


def test_jira_cloud_catalog_and_workflow_answers_match(emu: Emulator, recorded: list[Exchange]) -> None:
    team = emu.jira_add_field("Team", schema_type="option", allowed_values=["SRE"])
    emu.jira_set_priorities(["Blocker", "Major", "Minor"])
    emu.jira_set_workflow(
        PROJECT,
        [("Open", "new"), ("Closed", "done")],
        [{"name": "Close", "to": "Closed", "screen": ["resolution", team], "required": ["resolution"]}],
    )
    jc = make_jira(emu)
    jc.priorities()
    epic = jc.create_issue(fields={"project": {"key": PROJECT}, "issuetype": {"name": "Epic"}, "summary": "epic"})
    child = jc.create_issue(
        fields={
            "project": {"key": PROJECT},
            "issuetype": {"name": "Task"},
            "summary": "child",
            "parent": {"key": epic.key},
            team: {"value": "SRE"},
        }
    )
    jc.issue(child.key, expand="names,schema,transitions.fields")
    close = jc.transitions(child.key, expand="transitions.fields")[0]["id"]
    with pytest.raises(jira.JIRAError):
        jc.transition_issue(child.key, close)
    jc.transition_issue(child.key, close, fields={"resolution": {"name": "Done"}})
    child.update(fields={"parent": None, "priority": {"name": "Minor"}})
    with pytest.raises(jira.JIRAError):
        child.update(fields={"parent": {"key": child.key}})
    emu.jira_restrict_issue(child.key)
    with pytest.raises(jira.JIRAError):
        jc.issue(child.key)
    jc.enhanced_search_issues(f"project = {PROJECT}", fields=["*all"], expand="names,schema")
    expected = {
        ("GET", "/rest/api/3/priority", 200),
        ("POST", "/rest/api/3/issue", 201),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}", 200),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}", 404),
        ("PUT", "/rest/api/3/issue/{issueIdOrKey}", 204),
        ("PUT", "/rest/api/3/issue/{issueIdOrKey}", 400),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions", 200),
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", 204),
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", 400),
        ("GET", "/rest/api/3/search/jql", 200),
    }
    _assert_conforms(_validate("jira-cloud.openapi.json", recorded), expected)
