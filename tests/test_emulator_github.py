"""The emulator's GitHub API, driven only through the real PyGithub client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import github
import pytest
import requests

from connectors.emulator import Emulator
from tests.emulator_fixtures import (
    GITHUB_TOKEN,
    REPO,
    emulator,
    gh,
    make_github,
    start_emulator,
)

__all__ = ["emulator", "gh"]


def _count(emu: Emulator, method: str, path_suffix: str) -> int:
    return sum(
        1 for r in emu.request_log if r.server == "github" and r.method == method and r.path.endswith(path_suffix)
    )


def test_create_and_get_issue(emulator: Emulator, gh: github.Github) -> None:
    assert gh.get_user().login == "pmsync-bot"
    repo = gh.get_repo(REPO)
    created = repo.create_issue(title="Add alert on queue depth", body="marker: pm-1/a1", labels=["pm-item", "sev2"])
    assert created.number == 1
    assert created.state == "open"
    assert created.user.login == "pmsync-bot"
    assert sorted(lbl.name for lbl in created.labels) == ["pm-item", "sev2"]
    assert created.html_url == f"{emulator.github_url}/{REPO}/issues/1"

    fetched = repo.get_issue(1)
    assert fetched.title == "Add alert on queue depth"
    assert fetched.body == "marker: pm-1/a1"
    assert fetched.id == created.id
    assert fetched.created_at.tzinfo is not None
    assert ("github", "POST", "/repos/acme/payments/issues", 201) in emulator.request_log
    assert len(emulator.github_issues(REPO)) == 1


def test_list_pages_through_link_headers(emulator: Emulator) -> None:
    for n in range(120):
        emulator.github_create_issue(REPO, f"item {n}")
    gh = make_github(emulator, per_page=50)
    emulator.clear_request_log()

    issues = list(gh.get_repo(REPO).get_issues(state="all", direction="asc"))

    assert [i.number for i in issues] == list(range(1, 121))
    pages = [r for r in emulator.request_log if r.path.endswith("/issues")]
    assert len(pages) == 3
    # GitHub's Link URLs use /repositories/{id}/..., and PyGithub follows them as given.
    assert sum(r.path.startswith("/repositories/") for r in pages) == 2


def test_state_labels_and_since_filters(emulator: Emulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    a = repo.create_issue(title="a", labels=["pm-item", "sev1"])
    repo.create_issue(title="b", labels=["pm-item"])
    repo.create_issue(title="c", labels=["other"])
    emulator.advance_clock(120)
    cutoff = datetime.fromtimestamp(int(emulator.clock.now()), UTC)
    emulator.advance_clock(5)
    a.edit(body="touched")
    emulator.github_set_state(REPO, 3, state="closed")

    assert {i.title for i in repo.get_issues(labels=["pm-item", "sev1"])} == {"a"}
    assert {i.title for i in repo.get_issues(labels=["PM-item"])} == {"a", "b"}
    assert {i.title for i in repo.get_issues(state="closed")} == {"c"}
    assert {i.title for i in repo.get_issues(state="all", since=cutoff)} == {"a", "c"}
    assert {i.title for i in repo.get_issues()} == {"a", "b"}


def test_state_changed_in_tracker_is_seen_by_client(emulator: Emulator, gh: github.Github) -> None:
    issue = gh.get_repo(REPO).create_issue(title="x")
    before = issue.updated_at

    emulator.advance_clock(2)
    emulator.github_set_state(REPO, issue.number, state="closed", state_reason="not_planned")
    issue = gh.get_repo(REPO).get_issue(issue.number)

    assert issue.state == "closed"
    assert issue.state_reason == "not_planned"
    assert issue.closed_at is not None
    assert issue.closed_by.login == "repo-maintainer"
    assert issue.updated_at > before

    issue.edit(state="open")
    assert issue.state == "open"
    assert issue.state_reason == "reopened"
    assert issue.closed_at is None
    issue.edit(state="closed")
    assert issue.state_reason == "completed"
    # state_reason alone is ignored when the state does not change.
    issue.edit(state="closed", state_reason="not_planned")
    assert issue.state_reason == "completed"


def test_comments_create_and_list(emulator: Emulator) -> None:
    gh = make_github(emulator, per_page=5)
    issue = gh.get_repo(REPO).create_issue(title="with comments")
    for n in range(7):
        comment = issue.create_comment(f"note {n}")
    assert comment.body == "note 6"
    assert comment.user.login == "pmsync-bot"

    bodies = [c.body for c in issue.get_comments()]

    assert bodies == [f"note {n}" for n in range(7)]
    assert gh.get_repo(REPO).get_issue(issue.number).comments == 7
    assert _count(emulator, "GET", "/comments") == 2


def test_labels_get_create_and_errors(gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    label = repo.create_label("area/api", "ff0000", "API things")
    assert label.name == "area/api"
    assert repo.get_label("area/api").description == "API things"
    repo.create_issue(title="auto label", labels=["brand-new"])
    assert {lbl.name for lbl in repo.get_labels()} == {"area/api", "brand-new"}

    with pytest.raises(github.GithubException) as dup:
        repo.create_label("AREA/api", "00ff00")
    assert dup.value.status == 422
    assert dup.value.data["errors"][0]["code"] == "already_exists"
    with pytest.raises(github.UnknownObjectException):
        repo.get_label("missing")


def test_issue_label_operations(gh: github.Github) -> None:
    issue = gh.get_repo(REPO).create_issue(title="labels", labels=["one"])
    issue.add_to_labels("two")
    issue.remove_from_labels("one")
    assert [lbl.name for lbl in gh.get_repo(REPO).get_issue(issue.number).labels] == ["two"]
    issue.set_labels("three")
    assert [lbl.name for lbl in issue.get_labels()] == ["three"]


def test_bad_token_and_not_found(emulator: Emulator, gh: github.Github) -> None:
    with pytest.raises(github.BadCredentialsException) as bad:
        make_github(emulator, token="wrong").get_repo(REPO)
    assert bad.value.status == 401
    assert bad.value.data["message"] == "Bad credentials"
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("acme/nope")
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo(REPO).get_issue(99)


def test_validation_error_body(emulator: Emulator) -> None:
    response = requests.post(
        f"{emulator.github_url}/repos/{REPO}/issues",
        json={"body": "no title"},
        headers={"Authorization": f"token {GITHUB_TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]


def test_conditional_get_answers_304_without_spending_quota(emulator: Emulator, gh: github.Github) -> None:
    issue = gh.get_repo(REPO).create_issue(title="etag")
    issue = gh.get_repo(REPO).get_issue(issue.number)
    remaining = gh.rate_limiting[0]

    assert issue.update() is False
    assert emulator.request_log[-1].status == 304
    assert gh.rate_limiting[0] == remaining

    emulator.github_add_label(REPO, issue.number, "changed")
    assert issue.update() is True
    assert [lbl.name for lbl in issue.labels] == ["changed"]


def test_rate_limit_headers_and_exhaustion() -> None:
    emu = start_emulator(github_rate_limit=3)
    try:
        emu.github_create_issue(REPO, "one")
        gh = make_github(emu)
        repo = gh.get_repo(REPO)
        assert gh.rate_limiting == (2, 3)
        assert gh.rate_limiting_resettime > datetime.now(UTC).timestamp()
        overview = gh.get_rate_limit()
        assert overview.resources.core.remaining == 2
        repo.get_issue(1)
        repo.get_issue(1)
        with pytest.raises(github.RateLimitExceededException) as exc:
            repo.get_issue(1)
        assert exc.value.status == 403
        assert gh.rate_limiting == (0, 3)
        emu.advance_clock(3601)
        assert repo.get_issue(1).title == "one"
        assert gh.rate_limiting == (2, 3)
    finally:
        emu.stop()


def test_search_issues(gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    repo.create_issue(title="Fix the pager", body="pm-7/a1", labels=["pm-item"])
    repo.create_issue(title="Other", body="pm-7/a2", labels=["pm-item"])
    repo.create_issue(title="Unrelated")

    found = gh.search_issues('"pm-7/a1"', repo=REPO, label="pm-item")
    assert [i.title for i in found] == ["Fix the pager"]
    assert gh.search_issues("", repo=REPO, label="pm-item").totalCount == 2


def test_commit_then_fail_creates_exactly_one_issue(emulator: Emulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    emulator.faults.add(method="POST", path=r"^/repos/[^/]+/[^/]+/issues$", mode="commit_then_fail", times=1)

    with pytest.raises(github.GithubException) as exc:
        repo.create_issue(title="lost answer")
    assert exc.value.status == 502
    assert [i["title"] for i in emulator.github_issues(REPO)] == ["lost answer"]

    repo.create_issue(title="next one works")
    assert len(emulator.github_issues(REPO)) == 2


def test_connection_faults(emulator: Emulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    emulator.faults.add(method="POST", path=r"/issues$", mode="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue(title="never made")
    assert emulator.github_issues(REPO) == []

    emulator.faults.add(method="POST", path=r"/issues$", mode="commit_then_drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue(title="made, answer dropped")
    assert len(emulator.github_issues(REPO)) == 1

    emulator.faults.add(method="GET", path=r"/issues/1$", mode="status", status=503)
    with pytest.raises(github.GithubException) as exc:
        repo.get_issue(1)
    assert exc.value.status == 503
    assert repo.get_issue(1).title == "made, answer dropped"
    assert [r.status for r in emulator.request_log if r.method == "POST"] == [0, 0]


def test_concurrent_creates_get_distinct_numbers(emulator: Emulator) -> None:
    def worker(n: int) -> list[int]:
        repo = make_github(emulator).get_repo(REPO)
        return [repo.create_issue(title=f"w{n}-{k}").number for k in range(10)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = [num for chunk in pool.map(worker, range(6)) for num in chunk]

    assert sorted(numbers) == list(range(1, 61))
    assert len({i["id"] for i in emulator.github_issues(REPO)}) == 60


def _raw(emu: Emulator, method: str, path: str, **kwargs: object) -> requests.Response:
    headers = {"Authorization": f"token {GITHUB_TOKEN}", "Accept": "application/vnd.github+json"}
    return requests.request(method, emu.github_url + path, headers=headers, allow_redirects=False, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_a_transferred_issue_redirects_from_its_old_address(emulator: Emulator, gh: github.Github) -> None:
    emulator.add_github_repo("acme/archive")
    number = emulator.github_create_issue(REPO, "Moves away", "text")
    emulator.github_create_issue("acme/archive", "Already here")
    new = emulator.github_transfer_issue(REPO, number, "acme/archive")
    assert new == 2
    answer = _raw(emulator, "GET", f"/repos/{REPO}/issues/{number}/comments?per_page=5")
    archive_id = emulator.github_state.repo("acme/archive").id
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{emulator.github_url}/repositories/{archive_id}/issues/2/comments?per_page=5"
    assert answer.json()["message"] == "Moved Permanently"
    # The client follows it, and the issue names its new repository.
    issue = gh.get_repo(REPO).get_issue(number)
    assert (issue.number, issue.repository_url) == (2, f"{emulator.github_url}/repos/acme/archive")
    # The number is never given out again in the old repository.
    assert emulator.github_create_issue(REPO, "Next") == number + 1


def test_deleted_issues_disabled_issues_and_hidden_repositories(emulator: Emulator) -> None:
    number = emulator.github_create_issue(REPO, "Deleted soon")
    emulator.github_delete_issue(REPO, number)
    gone = _raw(emulator, "GET", f"/repos/{REPO}/issues/{number}")
    assert (gone.status_code, gone.json()["message"]) == (410, "This issue was deleted")
    emulator.github_set_repo(REPO, has_issues=False)
    for method, path in [("GET", "/issues"), ("POST", "/issues"), ("GET", f"/issues/{number}/comments")]:
        answer = _raw(emulator, method, f"/repos/{REPO}{path}", json={"title": "x"})
        assert (answer.status_code, answer.json()["message"]) == (410, "Issues are disabled for this repo")
    assert _raw(emulator, "GET", f"/repos/{REPO}").json()["has_issues"] is False
    emulator.github_set_repo(REPO, visible=False)
    assert _raw(emulator, "GET", f"/repos/{REPO}").status_code == 404


def test_where_the_token_may_not_create_labels_unknown_ones_are_dropped(emulator: Emulator) -> None:
    emulator.github_create_issue(REPO, "Seeds a label", labels=["known"])
    emulator.github_set_repo(REPO, labels_writable=False)
    refused = _raw(emulator, "POST", f"/repos/{REPO}/labels", json={"name": "new"})
    assert refused.status_code == 403
    created = _raw(emulator, "POST", f"/repos/{REPO}/issues", json={"title": "t", "labels": ["known", "new"]})
    assert created.status_code == 201
    assert [label["name"] for label in created.json()["labels"]] == ["known"]


def test_content_creation_has_a_secondary_limit() -> None:
    emu = start_emulator(github_content_limit=(2, 30.0))
    try:
        emu.add_github_repo(REPO)
        statuses = [_raw(emu, "POST", f"/repos/{REPO}/issues", json={"title": f"t{n}"}) for n in range(3)]
        assert [a.status_code for a in statuses] == [201, 201, 403]
        limited = statuses[2]
        assert "secondary rate limit" in limited.json()["message"]
        assert 1 <= int(limited.headers["Retry-After"]) <= 30
        assert int(limited.headers["X-RateLimit-Remaining"]) > 0
        assert len(emu.github_issues(REPO)) == 2
        emu.advance_clock(31)
        assert _raw(emu, "POST", f"/repos/{REPO}/issues", json={"title": "later"}).status_code == 201
    finally:
        emu.stop()


def test_sub_issues_follow_githubs_rules(emulator: Emulator, gh: github.Github) -> None:
    emulator.add_github_repo("acme/web")
    emulator.add_github_repo("partner/sdk")
    parent = gh.get_repo(REPO).get_issue(emulator.github_create_issue(REPO, "Tracking"))
    child = gh.get_repo("acme/web").get_issue(emulator.github_create_issue("acme/web", "Item"))
    foreign = gh.get_repo("partner/sdk").get_issue(emulator.github_create_issue("partner/sdk", "Elsewhere"))
    parent.add_sub_issue(child.id)
    assert [s.number for s in parent.get_sub_issues()] == [child.number]
    assert _raw(emulator, "GET", f"/repos/acme/web/issues/{child.number}/parent").json()["number"] == parent.number
    for sub_id, message in [
        (foreign.id, "same repository owner"),
        (child.id, "already a sub-issue of this issue"),
    ]:
        with pytest.raises(github.GithubException) as refused:
            parent.add_sub_issue(sub_id)
        assert refused.value.status == 422 and message in refused.value.data["message"]
    other = gh.get_repo(REPO).get_issue(emulator.github_create_issue(REPO, "Another parent"))
    with pytest.raises(github.GithubException) as refused:
        other.add_sub_issue(child.id)
    assert "only have one parent" in refused.value.data["message"]
    summary = emulator.github_issue(REPO, parent.number)["sub_issues_summary"]
    assert summary == {"total": 1, "completed": 0, "percent_completed": 0}


def test_milestones_are_made_listed_and_set_on_issues(emulator: Emulator, gh: github.Github) -> None:
    repo = gh.get_repo(REPO)
    due = datetime(2024, 3, 26, 12, tzinfo=UTC)
    milestone = repo.create_milestone("Due 2024-03-26", due_on=due)
    assert milestone.number == 1 and milestone.due_on == due
    with pytest.raises(github.GithubException) as taken:
        repo.create_milestone("Due 2024-03-26")
    assert taken.value.status == 422
    issue = repo.create_issue(title="In it", milestone=milestone)
    assert issue.milestone.title == "Due 2024-03-26"
    assert [m.title for m in repo.get_milestones(state="all")] == ["Due 2024-03-26"]
    assert [i.number for i in repo.get_issues(milestone=milestone)] == [issue.number]
    issue.edit(milestone=None)
    assert emulator.github_issue(REPO, issue.number)["milestone"] is None
    refused = _raw(emulator, "POST", f"/repos/{REPO}/issues", json={"title": "t", "milestone": 99})
    assert refused.status_code == 422
