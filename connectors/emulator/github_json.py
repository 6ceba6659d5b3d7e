"""Renders the GitHub store as the JSON objects api.github.com returns."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from .clock import github_time
from .github_state import GhComment, GhIssue, GhLabel, GhMilestone, GhRepo, GitHubState

JsonDict = dict[str, Any]

DOCS = "https://docs.github.com/rest"


def node_id(prefix: str, number: int) -> str:
    """A GraphQL-style global node id, e.g. ``I_kwDOAAAAAQ``."""
    raw = number.to_bytes(8, "big").lstrip(b"\0") or b"\0"
    return f"{prefix}_kwDO{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def error_body(status: int, message: str) -> JsonDict:
    """GitHub's ``basic-error`` body."""
    return {"message": message, "documentation_url": DOCS, "status": str(status)}


class GitHubRenderer:
    """Turns stored objects into API JSON, with URLs under ``base_url``."""

    def __init__(self, state: GitHubState, base_url: str) -> None:
        self.state = state
        self.base = base_url.rstrip("/")
        #: Web pages live at the host's root, the API under /api/v3 on Enterprise Server.
        self.web = self.base.removesuffix("/api/v3")

    def repo_url(self, repo: GhRepo) -> str:
        """The API URL of a repository."""
        return f"{self.base}/repos/{repo.full_name}"

    def user(self, login: str) -> JsonDict:
        """A ``simple-user`` object."""
        user = self.state.user(login)
        api = f"{self.base}/users/{user.login}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("U" if user.type == "User" else "O", user.id),
            "avatar_url": f"{self.base}/avatars/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.web}/{user.login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def repo(self, repo: GhRepo) -> JsonDict:
        """A ``full-repository`` object (the fields clients read)."""
        api = self.repo_url(repo)
        open_count = sum(1 for i in repo.issues.values() if i.state == "open")
        return {
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user(repo.owner),
            "html_url": f"{self.web}/{repo.full_name}",
            "description": None,
            "fork": False,
            "url": api,
            "issues_url": f"{api}/issues{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "labels_url": f"{api}/labels{{/name}}",
            "events_url": f"{api}/events",
            "created_at": github_time(repo.created_at),
            "updated_at": github_time(repo.updated_at),
            "pushed_at": github_time(repo.created_at),
            "homepage": None,
            "size": 0,
            "default_branch": "main",
            "has_issues": repo.has_issues,
            "has_projects": False,
            "has_wiki": False,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "open_issues_count": open_count,
            "open_issues": open_count,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "topics": [],
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": True,
                "triage": True,
                "pull": True,
            },
        }

    def label(self, repo: GhRepo, label: GhLabel) -> JsonDict:
        """A ``label`` object."""
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.repo_url(repo)}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def issue_labels(self, repo: GhRepo, issue: GhIssue) -> list[JsonDict]:
        """The labels on an issue, as ``label`` objects."""
        out = []
        for name in issue.labels:
            label = repo.label(name)
            if label is not None:
                out.append(self.label(repo, label))
        return out

    def issue(self, repo: GhRepo, issue: GhIssue) -> JsonDict:
        """An ``issue`` object."""
        api = f"{self.repo_url(repo)}/issues/{issue.number}"
        assignees = [self.user(login) for login in issue.assignees]
        return {
            "id": issue.id,
            "node_id": node_id("I", issue.id),
            "url": api,
            "repository_url": self.repo_url(repo),
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{self.web}/{repo.full_name}/issues/{issue.number}",
            "timeline_url": f"{api}/timeline",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user(issue.user),
            "labels": self.issue_labels(repo, issue),
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": self.milestone(repo, repo.milestones[issue.milestone]) if issue.milestone else None,
            "locked": issue.locked,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "closed_at": github_time(issue.closed_at) if issue.closed_at is not None else None,
            "created_at": github_time(issue.created_at),
            "updated_at": github_time(issue.updated_at),
            "closed_by": self.user(issue.closed_by) if issue.closed_by else None,
            "author_association": "MEMBER",
            "performed_via_github_app": None,
            "sub_issues_summary": self._sub_issues_summary(issue),
            "reactions": self._reactions(f"{api}/reactions"),
        }

    def milestone(self, repo: GhRepo, milestone: GhMilestone) -> JsonDict:
        """A ``milestone`` object."""
        api = f"{self.repo_url(repo)}/milestones/{milestone.number}"
        issues = [i for i in repo.issues.values() if i.milestone == milestone.number]
        return {
            "url": api,
            "html_url": f"{self.web}/{repo.full_name}/milestone/{milestone.number}",
            "labels_url": f"{api}/labels",
            "id": milestone.id,
            "node_id": node_id("MI", milestone.id),
            "number": milestone.number,
            "state": milestone.state,
            "title": milestone.title,
            "description": milestone.description,
            "creator": self.user(repo.owner),
            "open_issues": sum(1 for i in issues if i.state == "open"),
            "closed_issues": sum(1 for i in issues if i.state == "closed"),
            "created_at": github_time(milestone.created_at),
            "updated_at": github_time(milestone.created_at),
            "closed_at": None,
            "due_on": github_time(milestone.due_on) if milestone.due_on is not None else None,
        }

    def _sub_issues_summary(self, issue: GhIssue) -> JsonDict:
        subs = [self.state.issue_by_id(i)[1] for i in issue.sub_issues]
        done = sum(1 for s in subs if s.state == "closed")
        percent = round(100 * done / len(subs)) if subs else 0
        return {"total": len(subs), "completed": done, "percent_completed": percent}

    def comment(self, repo: GhRepo, issue: GhIssue, comment: GhComment) -> JsonDict:
        """An ``issue-comment`` object."""
        api = f"{self.repo_url(repo)}/issues/comments/{comment.id}"
        return {
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "url": api,
            "html_url": (f"{self.web}/{repo.full_name}/issues/{issue.number}#issuecomment-{comment.id}"),
            "body": comment.body,
            "user": self.user(comment.user),
            "created_at": github_time(comment.created_at),
            "updated_at": github_time(comment.updated_at),
            "issue_url": f"{self.repo_url(repo)}/issues/{issue.number}",
            "author_association": "MEMBER",
            "performed_via_github_app": None,
            "reactions": self._reactions(f"{api}/reactions"),
        }

    @staticmethod
    def _reactions(url: str) -> JsonDict:
        counts = dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0)
        return {"url": url, "total_count": 0, **counts}
