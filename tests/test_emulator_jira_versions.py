"""A Cloud site's REST v2 beside v3: same routes, rich text as wiki strings, old search gone."""

from __future__ import annotations

from typing import Any

import jira
import pytest
import requests

from connectors.emulator import Emulator
from tests.emulator_fixtures import JIRA_EMAIL, JIRA_TOKEN, PROJECT, adf, emulator, jc, make_jira

__all__ = ["emulator", "jc"]

AUTH = (JIRA_EMAIL, JIRA_TOKEN)


def _fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}, "summary": summary, **extra}


@pytest.fixture
def jc2(emulator: Emulator) -> jira.JIRA:
    """The jira client speaking REST v2 to the Cloud site."""
    return make_jira(emulator, rest_api_version="2")


def test_v2_server_info_is_anonymous_and_matches_v3(emulator: Emulator) -> None:
    v2 = requests.get(f"{emulator.jira_url}/rest/api/2/serverInfo", timeout=5)
    v3 = requests.get(f"{emulator.jira_url}/rest/api/3/serverInfo", timeout=5)
    assert v2.status_code == v3.status_code == 200
    strip = {"serverTime"}
    assert {k: v for k, v in v2.json().items() if k not in strip} == {
        k: v for k, v in v3.json().items() if k not in strip
    }
    assert v2.json()["deploymentType"] == "Cloud"


def test_v2_search_is_gone_like_v3(emulator: Emulator) -> None:
    v3 = requests.get(f"{emulator.jira_url}/rest/api/3/search", params={"jql": "project = PLAT"}, auth=AUTH, timeout=5)
    for method in ("GET", "POST"):
        v2 = requests.request(
            method, f"{emulator.jira_url}/rest/api/2/search", json={"jql": "project = PLAT"}, auth=AUTH, timeout=5
        )
        assert v2.status_code == 410
        assert v2.json() == v3.json()
        assert v2.json()["errorMessages"][0].startswith("The requested API has been removed.")


def test_v2_on_cloud_takes_and_returns_strings(emulator: Emulator, jc2: jira.JIRA, jc: jira.JIRA) -> None:
    issue = jc2.create_issue(fields=_fields("v2", description="h3. from v2"))
    assert issue.raw["self"].startswith(f"{emulator.jira_url}/rest/api/2/issue/")
    assert issue.fields.description == "h3. from v2"
    assert issue.fields.reporter.accountId == emulator.jira_account_id  # Cloud users, even on v2
    assert jc2.add_comment(issue.key, "plain").body == "plain"
    with pytest.raises(jira.JIRAError) as exc:
        jc2.create_issue(fields=_fields("x", description=adf("rich")), prefetch=False)
    assert exc.value.response.json()["errors"] == {"description": "Operation value must be a string"}
    # v3 readers see the same description as a one-paragraph document
    assert jc.issue(issue.key).raw["fields"]["description"] == adf("h3. from v2")
    assert jc.comments(issue.key)[0].raw["body"] == adf("plain")


def test_v2_readers_see_adf_as_text(emulator: Emulator, jc2: jira.JIRA, jc: jira.JIRA) -> None:
    key = jc.create_issue(fields=_fields("v3", description=adf("marker pm-1/a1")), prefetch=False).key
    jc.add_comment(key, adf("rich comment"))
    fetched = jc2.issue(key)
    assert fetched.fields.description == "marker pm-1/a1"
    assert fetched.fields.comment.comments[0].body == "rich comment"
    jc2.issue(key).update(fields={"description": "now a string"})
    assert jc.issue(key).raw["fields"]["description"] == adf("now a string")
    assert emulator.jira_issue(key)["fields"]["description"] == adf("now a string")


def test_text_search_finds_both_formats(emulator: Emulator, jc2: jira.JIRA, jc: jira.JIRA) -> None:
    jc.create_issue(fields=_fields("a", description=adf("needle in adf")), prefetch=False)
    jc2.create_issue(fields=_fields("b", description="needle in wiki"), prefetch=False)
    third = jc2.create_issue(fields=_fields("c"), prefetch=False).key
    jc2.add_comment(third, "a needle in a v2 comment")

    def keys(query: str) -> list[str]:
        return sorted(i.key for i in jc.enhanced_search_issues(query, fields=["summary"]))

    assert keys('description ~ "needle"') == ["PLAT-1", "PLAT-2"]
    assert keys("text ~ needle") == ["PLAT-1", "PLAT-2", "PLAT-3"]
    assert keys('description ~ "wiki"') == ["PLAT-2"]
    assert keys("comment ~ needle") == ["PLAT-3"]


def test_v2_search_jql_works_on_cloud(emulator: Emulator, jc2: jira.JIRA) -> None:
    emulator.jira_create_issue(PROJECT, "one", "described")
    page = jc2._get_json("search/jql", params={"jql": "project = PLAT", "fields": "description"})
    assert page["issues"][0]["fields"]["description"] == "described"
    count = requests.post(
        f"{emulator.jira_url}/rest/api/2/search/approximate-count", json={"jql": "project = PLAT"}, auth=AUTH, timeout=5
    )
    assert count.json() == {"count": 1}
