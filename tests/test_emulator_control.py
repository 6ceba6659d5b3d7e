"""The emulator's control API, process entry point, fault rules and JQL parser."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.emulator import Emulator, Faults
from connectors.emulator.jql import JqlError, parse
from tests.emulator_fixtures import (
    GITHUB_TOKEN,
    JIRA_EMAIL,
    JIRA_TOKEN,
    PROJECT,
    REPO,
    emulator,
    make_github,
    make_jira,
)

__all__ = ["emulator"]

ROOT = Path(__file__).resolve().parents[1]


def _post(base: str, path: str, body: dict[str, Any]) -> Any:
    response = requests.post(f"{base}/_emulator{path}", json=body, timeout=5)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_control_api_drives_both_trackers(emulator: Emulator) -> None:
    gh_base, jira_base = emulator.github_url, emulator.jira_url
    _post(gh_base, "/github/repos", {"full_name": "acme/web"})
    issue = _post(gh_base, "/github/repos/acme/web/issues", {"title": "tracking", "labels": ["x"]})
    assert issue["number"] == 1
    closed = _post(
        gh_base,
        "/github/repos/acme/web/issues/1/state",
        {"state": "closed", "state_reason": "not_planned"},
    )
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    listed = requests.get(f"{gh_base}/_emulator/github/repos/acme/web/issues", timeout=5).json()
    assert [i["title"] for i in listed] == ["tracking"]

    # The control API answers on either server and reaches the other tracker's data too.
    _post(gh_base, "/jira/projects", {"key": "OPS", "name": "Operations"})
    created = _post(jira_base, "/jira/projects/OPS/issues", {"summary": "tracking"})
    assert created["key"] == "OPS-1"
    moved = _post(jira_base, "/jira/issues/OPS-1/transition", {"status": "Done", "resolution": "Declined"})
    assert moved["fields"]["resolution"]["name"] == "Declined"
    assert make_jira(emulator).issue("OPS-1").fields.status.statusCategory.key == "done"
    assert make_github(emulator).get_repo("acme/web").get_issue(1).state_reason == "not_planned"

    bad = requests.post(
        f"{jira_base}/_emulator/jira/issues/OPS-1/transition",
        json={"status": "Nowhere"},
        timeout=5,
    )
    assert bad.status_code == 400


def test_control_api_faults_and_request_counts(emulator: Emulator) -> None:
    base = emulator.github_url
    rule = _post(base, "/faults", {"method": "GET", "path": "/issues$", "status": 500})
    assert rule["mode"] == "status"
    gh = make_github(emulator)
    with pytest.raises(Exception, match="500"):
        gh.get_repo(REPO).get_issues().totalCount  # noqa: B018
    counts = requests.get(f"{base}/_emulator/requests", timeout=5).json()["requests"]
    assert counts[-1] == {
        "server": "github",
        "method": "GET",
        "path": "/repos/acme/payments/issues",
        "status": 500,
    }
    assert requests.get(f"{base}/_emulator/faults", timeout=5).json()["rules"][0]["hits"] == 1
    assert requests.delete(f"{base}/_emulator/faults", timeout=5).status_code == 200
    assert requests.delete(f"{base}/_emulator/requests", timeout=5).status_code == 200
    assert emulator.request_log == []
    assert requests.get(f"{base}/_emulator/nope", timeout=5).status_code == 404


def test_fault_rules_match_and_expire() -> None:
    faults = Faults()
    rule = faults.add(method="post", path=r"/issues$", mode="commit_then_fail", times=2)
    assert faults.pick("github", "GET", "/repos/a/b/issues") is None
    assert faults.pick("jira", "POST", "/rest/api/3/issue") is None
    assert faults.pick("github", "POST", "/repos/a/b/issues") is rule
    assert faults.pick("github", "POST", "/repos/a/b/issues") is rule
    assert faults.pick("github", "POST", "/repos/a/b/issues") is None
    assert rule.answer_status == 502
    forever = faults.add(server="jira", mode="delay", delay=0.01, times=None)
    for _ in range(5):
        assert faults.pick("jira", "GET", "/x") is forever
    with pytest.raises(ValueError):
        faults.add(mode="explode")  # type: ignore[arg-type]
    faults.reset()
    assert faults.rules == []


def test_random_faults_are_reproducible() -> None:
    def sequence(seed: int) -> list[str | None]:
        faults = Faults(rate=0.5, seed=seed)
        picks = [faults.pick("github", "GET", "/x") for _ in range(50)]
        return [p.mode if p else None for p in picks]

    first = sequence(7)
    assert first == sequence(7)
    assert 10 < sum(m is not None for m in first) < 40
    assert first != sequence(8)


def test_random_fault_rate_against_real_clients() -> None:
    emu = Emulator(fault_rate=1.0, seed=3, github_token=GITHUB_TOKEN)
    emu.add_github_repo(REPO)
    emu.start()
    try:
        outcomes = set()
        gh = make_github(emu)
        for _ in range(12):
            try:
                gh.get_repo(REPO)
                outcomes.add("ok")
            except requests.exceptions.ConnectionError:
                outcomes.add("dropped")
            except Exception as exc:  # the library's own exception types
                outcomes.add(type(exc).__name__)
        assert "dropped" in outcomes
        assert len(outcomes) >= 2
    finally:
        emu.stop()


def test_latency_and_stop_cut_keep_alive_connections() -> None:
    emu = Emulator(latency=0.05, github_token=GITHUB_TOKEN)
    emu.add_github_repo(REPO)
    emu.start()
    gh = make_github(emu)
    started = time.monotonic()
    gh.get_repo(REPO)
    assert time.monotonic() - started >= 0.05
    emu.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        gh.get_repo(REPO)


@pytest.mark.parametrize(
    "query",
    [
        'project = PLAT AND labels in (a, "b c") ORDER BY updated DESC, key',
        "updated >= '2024-03-12 14:30' and statusCategory != Done",
        "(project in (A, B) OR key in (A-1)) AND NOT labels = x",
        "resolution is EMPTY && assignee is not empty",
        'updated > "-1w 2d"',
    ],
)
def test_jql_parser_accepts(query: str) -> None:
    assert parse(query).where is not None


@pytest.mark.parametrize("query", ["project = ", "project PLAT", "project = PLAT ORDER key", "a = b)", "a = %"])
def test_jql_parser_rejects(query: str) -> None:
    with pytest.raises(JqlError, match=r"^Error in the JQL Query"):
        parse(query)


def test_module_runs_as_a_process(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "github": {"repos": [REPO], "issues": [{"repo": REPO, "title": "seeded"}]},
                "jira": {
                    "projects": [{"key": PROJECT, "name": "Platform"}],
                    "issues": [{"project": PROJECT, "summary": "seeded", "status": "Done"}],
                },
            }
        )
    )
    urls_file = tmp_path / "urls.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connectors.emulator",
            "--seed",
            str(seed),
            "--github-token",
            GITHUB_TOKEN,
            "--jira-email",
            JIRA_EMAIL,
            "--jira-token",
            JIRA_TOKEN,
            "--urls-file",
            str(urls_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        assert json.loads(urls_file.read_text()) == {
            "github_url": lines["GITHUB_URL"],
            "jira_url": lines["JIRA_URL"],
        }
        health = requests.get(f"{lines['JIRA_URL']}/_emulator/health", timeout=5).json()
        assert health["ok"] is True
        issues = requests.get(
            f"{lines['GITHUB_URL']}/repos/{REPO}/issues",
            headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
            timeout=5,
        ).json()
        assert [i["title"] for i in issues] == ["seeded"]
        found = requests.get(
            f"{lines['JIRA_URL']}/rest/api/3/search/jql",
            params={"jql": "statusCategory = Done", "fields": "summary"},
            auth=(JIRA_EMAIL, JIRA_TOKEN),
            timeout=5,
        ).json()
        assert [i["key"] for i in found["issues"]] == ["PLAT-1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_control_api_administers_the_jira_site(emulator: Emulator) -> None:
    base = emulator.jira_url
    jc = make_jira(emulator)
    assert requests.get(f"{base}/_emulator/health", timeout=5).json()["jira_deployment"] == "cloud"
    priorities = _post(base, "/jira/priorities", {"names": ["P1", "P2", "P3"]})
    assert [p["name"] for p in priorities] == ["P1", "P2", "P3"]
    field = _post(base, "/jira/fields", {"name": "Team", "schema_type": "option", "allowed_values": ["SRE"]})
    assert field == {"id": "customfield_10100"}
    workflow = requests.put(
        f"{base}/_emulator/jira/projects/{PROJECT}/workflow",
        json={
            "statuses": [["Open", "new"], {"name": "Closed", "category": "done"}],
            "transitions": [{"name": "Close", "to": "Closed", "id": "7", "screen": ["resolution"]}],
        },
        timeout=5,
    )
    assert workflow.status_code == 200
    assert workflow.json()["transitions"][0]["id"] == "7"

    epic = _post(base, f"/jira/projects/{PROJECT}/issues", {"summary": "tracking"})["key"]
    issue = jc.create_issue(
        fields={
            "project": {"key": PROJECT},
            "issuetype": {"name": "Task"},
            "summary": "x",
            field["id"]: {"value": "SRE"},
        }
    )
    assert (issue.fields.priority.name, issue.fields.status.name) == ("P2", "Open")
    assert requests.get(f"{base}/_emulator/jira/issues/{epic}/children", timeout=5).json() == {"children": []}

    _post(base, "/jira/projects", {"key": "OPS"})
    assert _post(base, f"/jira/issues/{issue.key}/move", {"project": "OPS"}) == {"key": "OPS-1"}
    assert jc.issue(issue.key).key == "OPS-1"
    _post(base, "/jira/issues/OPS-1/restrict", {"status": 403})
    with pytest.raises(Exception, match="403"):
        jc.issue("OPS-1")
    _post(base, "/jira/issues/OPS-1/restrict", {})  # default: 404
    with pytest.raises(Exception, match="404"):
        jc.issue("OPS-1")
    _post(base, "/jira/issues/OPS-1/restrict", {"status": None})
    assert jc.issue("OPS-1").key == "OPS-1"
    assert requests.delete(f"{base}/_emulator/jira/issues/OPS-1", timeout=5).status_code == 200
    assert requests.delete(f"{base}/_emulator/jira/issues/OPS-1", timeout=5).status_code == 404

    bad = [
        ("POST", "/jira/priorities", {"names": "P1"}),
        ("POST", "/jira/fields", {"name": "X", "schema_type": "user"}),
        ("PUT", f"/jira/projects/{PROJECT}/workflow", {"statuses": [["Open"]]}),
        ("POST", f"/jira/issues/{epic}/restrict", {"status": 500}),
        ("POST", f"/jira/issues/{epic}/move", {}),
    ]
    for method, path, body in bad:
        answer = requests.request(method, f"{base}/_emulator{path}", json=body, timeout=5)
        assert answer.status_code == 400, (path, answer.text)


def test_module_runs_a_data_center_site(tmp_path: Path) -> None:
    urls_file = tmp_path / "urls.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connectors.emulator",
            "--jira-deployment",
            "datacenter",
            "--jira-token",
            JIRA_TOKEN,
            "--urls-file",
            str(urls_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        jira_url = lines["JIRA_URL"]
        info = requests.get(f"{jira_url}/rest/api/2/serverInfo", timeout=5).json()
        assert info["deploymentType"] == "Server"
        me = requests.get(f"{jira_url}/rest/api/2/myself", headers={"Authorization": f"Bearer {JIRA_TOKEN}"}, timeout=5)
        assert me.json()["name"] == "bot"
        assert requests.get(f"{jira_url}/rest/api/3/serverInfo", timeout=5).status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
