"""The GitHub side of the emulator's store: repositories, issues, comments, labels, users.

Pure data and rules, no HTTP. Every method takes the store's lock; callers that need a
consistent view across several calls (e.g. to render an issue) hold :attr:`GitHubState.lock`
themselves, which is re-entrant.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock, parse_iso

STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")
DEFAULT_LABEL_COLOR = "ededed"


class GitHubNotFound(Exception):
    """The repository, issue, comment or label does not exist (HTTP 404)."""


class GitHubGone(Exception):
    """HTTP 410: issues are disabled for the repository, or the issue was deleted."""

    def __init__(self, message: str = "Issues are disabled for this repo") -> None:
        super().__init__(message)
        self.message = message


class GitHubMoved(Exception):
    """HTTP 301: the issue was transferred; it now lives at ``/repositories/{repo_id}/issues/{number}``."""

    def __init__(self, repo_id: int, number: int) -> None:
        super().__init__(f"/repositories/{repo_id}/issues/{number}")
        self.repo_id = repo_id
        self.number = number


class GitHubForbidden(Exception):
    """HTTP 403: the token may not do this (e.g. create labels)."""

    def __init__(self, message: str = "Resource not accessible by personal access token") -> None:
        super().__init__(message)
        self.message = message


class GitHubInvalid(Exception):
    """A 422 ``Validation Failed``; ``errors`` are GitHub's error objects."""

    def __init__(self, errors: list[dict[str, Any]], message: str = "Validation Failed") -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


@dataclass
class GhUser:
    """A GitHub account, known only by login."""

    login: str
    id: int
    type: str = "User"


@dataclass
class GhLabel:
    """A repository label."""

    id: int
    name: str
    color: str
    description: str | None = None
    default: bool = False


@dataclass
class GhComment:
    """An issue comment."""

    id: int
    body: str
    user: str
    created_at: float
    updated_at: float


@dataclass
class GhMilestone:
    """A repository milestone."""

    id: int
    number: int
    title: str
    created_at: float
    description: str | None = None
    state: str = "open"
    due_on: float | None = None


@dataclass
class GhIssue:
    """An issue; ``labels`` holds label names as stored on the repository."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    closed_at: float | None = None
    closed_by: str | None = None
    comments: list[GhComment] = field(default_factory=list)
    locked: bool = False
    #: Ids of this issue's sub-issues, in order.
    sub_issues: list[int] = field(default_factory=list)
    #: The id of the issue this one is a sub-issue of.
    parent_id: int | None = None
    #: The number of the issue's milestone in its repository.
    milestone: int | None = None


@dataclass
class GhRepo:
    """A repository and everything in it."""

    id: int
    owner: str
    name: str
    created_at: float
    private: bool = True
    has_issues: bool = True
    labels: dict[str, GhLabel] = field(default_factory=dict)
    issues: dict[int, GhIssue] = field(default_factory=dict)
    updated_at: float = 0.0
    #: Whether the worker's token can see the repository at all (404 everywhere when not).
    visible: bool = True
    #: Whether the worker's token may create labels here; without it, unknown labels on an
    #: issue are dropped silently, as GitHub does for callers without push access.
    labels_writable: bool = True
    #: Issues transferred away: number -> (repository id, number there).
    moved: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: Numbers of deleted issues (410 "This issue was deleted").
    deleted: set[int] = field(default_factory=set)
    #: The highest issue number ever given out here (numbers are never re-used).
    last_number: int = 0
    milestones: dict[int, GhMilestone] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def label(self, name: str) -> GhLabel | None:
        """Look a label up by name, ignoring case as GitHub does."""
        return self.labels.get(name.lower())


class GitHubState:
    """All GitHub data the emulator holds."""

    def __init__(self, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._repos: dict[str, GhRepo] = {}
        self._users: dict[str, GhUser] = {}
        self._next_repo_id = 700_000_001
        self._next_issue_id = 2_100_000_001
        self._next_comment_id = 1_900_000_001
        self._next_label_id = 6_000_000_001
        self._next_user_id = 90_000_001
        self._next_milestone_id = 3_000_000_001

    # --- users ---------------------------------------------------------------------------

    def user(self, login: str, type_: str = "User") -> GhUser:
        """The account with this login, registering it on first use."""
        with self.lock:
            found = self._users.get(login.lower())
            if found is None:
                found = GhUser(login, self._next_user_id, type_)
                self._next_user_id += 1
                self._users[login.lower()] = found
            return found

    # --- repositories --------------------------------------------------------------------

    def add_repo(self, full_name: str, *, private: bool = True, has_issues: bool = True) -> GhRepo:
        """Create ``owner/name`` (or return it if it exists)."""
        owner, sep, name = full_name.partition("/")
        if not sep or not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', got {full_name!r}")
        with self.lock:
            existing = self._repos.get(full_name.lower())
            if existing is not None:
                return existing
            self.user(owner, "Organization")
            now = self.clock.now()
            repo = GhRepo(self._next_repo_id, owner, name, now, private, has_issues, updated_at=now)
            self._next_repo_id += 1
            self._repos[full_name.lower()] = repo
            return repo

    def repo(self, full_name: str) -> GhRepo:
        """The repository ``owner/name``, matched without regard to case."""
        with self.lock:
            found = self._repos.get(full_name.lower())
            if found is None or not found.visible:
                raise GitHubNotFound(full_name)
            return found

    def any_repo(self, full_name: str) -> GhRepo:
        """The repository, whether or not the worker's token can see it (for people's actions)."""
        with self.lock:
            found = self._repos.get(full_name.lower())
            if found is None:
                raise GitHubNotFound(full_name)
            return found

    def repo_by_id(self, repo_id: int) -> GhRepo:
        """The repository with this numeric id (GitHub's ``/repositories/{id}`` links)."""
        with self.lock:
            for repo in self._repos.values():
                if repo.id == repo_id and repo.visible:
                    return repo
            raise GitHubNotFound(str(repo_id))

    def repos(self) -> list[GhRepo]:
        """Every repository."""
        with self.lock:
            return list(self._repos.values())

    # --- labels --------------------------------------------------------------------------

    def create_label(
        self, repo: GhRepo, name: str, color: str | None = None, description: str | None = None
    ) -> GhLabel:
        """Create a label; 422 ``already_exists`` if the name is taken."""
        color = (color or DEFAULT_LABEL_COLOR).lstrip("#")
        errors: list[dict[str, Any]] = []
        if not isinstance(name, str) or not name.strip():
            errors.append({"resource": "Label", "code": "missing_field", "field": "name"})
        if len(color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in color):
            errors.append({"resource": "Label", "code": "invalid", "field": "color"})
        if errors:
            raise GitHubInvalid(errors)
        with self.lock:
            if repo.label(name) is not None:
                raise GitHubInvalid([{"resource": "Label", "code": "already_exists", "field": "name"}])
            label = GhLabel(self._next_label_id, name, color.lower(), description)
            self._next_label_id += 1
            repo.labels[name.lower()] = label
            return label

    def create_label_as_worker(
        self, repo: GhRepo, name: str, color: str | None = None, description: str | None = None
    ) -> GhLabel:
        """``POST labels`` with the worker's token: 403 where it may not create labels."""
        if not repo.labels_writable:
            raise GitHubForbidden()
        return self.create_label(repo, name, color, description)

    def _ensure_labels(self, repo: GhRepo, names: list[Any], *, as_worker: bool = True) -> list[str]:
        """Resolve label names, creating missing ones as GitHub does for pushers; where the
        worker may not create labels, an unknown one is dropped without a word."""
        result: list[str] = []
        for raw in names:
            name = raw.get("name") if isinstance(raw, dict) else raw
            if not isinstance(name, str) or not name.strip():
                raise GitHubInvalid([{"resource": "Label", "code": "invalid", "field": "name"}])
            label = repo.label(name)
            if label is None:
                if as_worker and not repo.labels_writable:
                    continue
                label = self.create_label(repo, name)
            if label.name not in result:
                result.append(label.name)
        return result

    # --- issues --------------------------------------------------------------------------

    def issue(self, repo: GhRepo, number: int) -> GhIssue:
        """Issue ``number`` of ``repo``: 301 if it was transferred, 410 if deleted."""
        with self.lock:
            if number in repo.deleted:
                raise GitHubGone("This issue was deleted")
            if number in repo.moved:
                raise GitHubMoved(*repo.moved[number])
            found = repo.issues.get(number)
            if found is None:
                raise GitHubNotFound(f"{repo.full_name}#{number}")
            return found

    def issue_by_id(self, issue_id: int) -> tuple[GhRepo, GhIssue]:
        """The issue with this id (not number) and its repository; 404 if none is visible."""
        with self.lock:
            for repo in self._repos.values():
                for issue in repo.issues.values():
                    if issue.id == issue_id:
                        if not repo.visible:
                            break
                        return repo, issue
            raise GitHubNotFound(str(issue_id))

    def add_sub_issue(self, repo: GhRepo, number: int, sub_issue_id: Any, replace_parent: bool = False) -> GhIssue:
        """``issues/add-sub-issue``: GitHub's rules on owner, one parent and cycles."""
        if isinstance(sub_issue_id, bool) or not isinstance(sub_issue_id, int):
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "sub_issue_id"}])
        with self.lock:
            parent = self.issue(repo, number)
            sub_repo, sub = self.issue_by_id(sub_issue_id)
            if sub_repo.owner.lower() != repo.owner.lower():
                raise GitHubInvalid([], "The sub-issue must belong to the same repository owner as the parent issue")
            if sub.id == parent.id or parent.parent_id == sub.id:
                raise GitHubInvalid([], "An issue cannot be a sub-issue of itself or of its own sub-issue")
            if sub.id in parent.sub_issues:
                raise GitHubInvalid([], "Issue is already a sub-issue of this issue")
            if sub.parent_id is not None:
                if not replace_parent:
                    raise GitHubInvalid([], "Sub issue may only have one parent")
                _, old = self.issue_by_id(sub.parent_id)
                old.sub_issues.remove(sub.id)
            if len(parent.sub_issues) >= 100:
                raise GitHubInvalid([], "Parent cannot have more than 100 sub-issues")
            parent.sub_issues.append(sub.id)
            sub.parent_id = parent.id
            parent.updated_at = self.clock.now()
            return parent

    def delete_issue(self, repo: GhRepo, number: int) -> None:
        """Delete an issue as an admin would: its address answers 410 from now on."""
        with self.lock:
            self.issue(repo, number)
            del repo.issues[number]
            repo.deleted.add(number)

    def transfer_issue(self, repo: GhRepo, number: int, to: GhRepo) -> GhIssue:
        """Transfer an issue to another repository: it gets the next number there, keeps
        its id, title, body and comments, and its old address redirects (301)."""
        with self.lock:
            issue = self.issue(repo, number)
            if not to.has_issues:
                raise GitHubGone()
            del repo.issues[number]
            to.last_number += 1
            issue.number = to.last_number
            # Labels and milestones do not travel unless the new repository has them.
            issue.labels = [name for name in issue.labels if to.label(name) is not None]
            issue.updated_at = self.clock.now()
            to.issues[issue.number] = issue
            repo.moved[number] = (to.id, issue.number)
            return issue

    def create_issue(self, repo: GhRepo, data: dict[str, Any], actor: str, *, as_worker: bool = True) -> GhIssue:
        """File an issue from an ``issues/create`` body (``as_worker``: with the worker's token)."""
        title = data.get("title")
        if isinstance(title, int) and not isinstance(title, bool):
            title = str(title)
        if not isinstance(title, str) or not title.strip():
            code = "missing_field" if title in (None, "") else "invalid"
            raise GitHubInvalid([{"resource": "Issue", "code": code, "field": "title"}])
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "body"}])
        with self.lock:
            if not repo.has_issues:
                raise GitHubGone(repo.full_name)
            milestone = self._check_milestone(repo, data.get("milestone"))
            labels = self._ensure_labels(repo, _list_field(data, "labels"), as_worker=as_worker)
            assignees = self._assignees(data)
            now = self.clock.now()
            repo.last_number += 1
            number = repo.last_number
            issue = GhIssue(
                self._next_issue_id,
                number,
                title,
                body,
                self.user(actor).login,
                now,
                now,
                labels=labels,
                assignees=assignees,
            )
            issue.milestone = milestone
            self._next_issue_id += 1
            repo.issues[number] = issue
            repo.updated_at = now
            return issue

    def update_issue(self, repo: GhRepo, number: int, data: dict[str, Any], actor: str) -> GhIssue:
        """Apply an ``issues/update`` body."""
        with self.lock:
            issue = self.issue(repo, number)
            if "title" in data:
                title = data["title"]
                if not isinstance(title, str | int) or isinstance(title, bool) or not str(title):
                    raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "title"}])
                issue.title = str(title)
            if "body" in data:
                if data["body"] is not None and not isinstance(data["body"], str):
                    raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "body"}])
                issue.body = data["body"]
            if "milestone" in data:
                issue.milestone = self._check_milestone(repo, data["milestone"])
            if "labels" in data:
                issue.labels = self._ensure_labels(repo, _list_field(data, "labels"))
            if "assignees" in data or "assignee" in data:
                issue.assignees = self._assignees(data)
            if "state" in data and data["state"] is not None:
                reason = data.get("state_reason")
                self._set_state(issue, data["state"], reason, actor)
            issue.updated_at = self.clock.now()
            return issue

    def set_state(self, repo: GhRepo, number: int, state: str, state_reason: str | None, actor: str) -> GhIssue:
        """Open or close an issue as a person would in the web UI. ``state_reason=""`` closes
        it with no reason, as issues closed before GitHub kept reasons read."""
        with self.lock:
            issue = self.issue(repo, number)
            self._set_state(issue, state, state_reason or None, actor)
            if state_reason == "" and state == "closed":
                issue.state_reason = None
            issue.updated_at = self.clock.now()
            return issue

    def _set_state(self, issue: GhIssue, state: Any, reason: Any, actor: str) -> None:
        if state not in ("open", "closed"):
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "state", "value": state}])
        if reason is not None and reason not in STATE_REASONS:
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "state_reason", "value": reason}])
        if state == issue.state:
            # GitHub ignores state_reason unless the state itself changes.
            return
        now = self.clock.now()
        issue.state = state
        if state == "closed":
            issue.state_reason = reason if reason not in (None, "reopened") else "completed"
            issue.closed_at = now
            issue.closed_by = self.user(actor).login
        else:
            issue.state_reason = "reopened"
            issue.closed_at = None
            issue.closed_by = None

    def set_assignees(self, repo: GhRepo, number: int, logins: list[str]) -> GhIssue:
        """Replace the assignees of an issue."""
        with self.lock:
            issue = self.issue(repo, number)
            issue.assignees = self._assignees({"assignees": logins})
            issue.updated_at = self.clock.now()
            return issue

    def add_labels(self, repo: GhRepo, number: int, names: list[Any], *, as_worker: bool = True) -> GhIssue:
        """Add labels to an issue (creating unknown ones where the caller may)."""
        with self.lock:
            issue = self.issue(repo, number)
            for name in self._ensure_labels(repo, names, as_worker=as_worker):
                if name not in issue.labels:
                    issue.labels.append(name)
            issue.updated_at = self.clock.now()
            return issue

    def set_labels(self, repo: GhRepo, number: int, names: list[Any]) -> GhIssue:
        """Replace the labels of an issue."""
        with self.lock:
            issue = self.issue(repo, number)
            issue.labels = self._ensure_labels(repo, names)
            issue.updated_at = self.clock.now()
            return issue

    def remove_label(self, repo: GhRepo, number: int, name: str) -> GhIssue:
        """Take one label off an issue; 404 if it is not on it."""
        with self.lock:
            issue = self.issue(repo, number)
            for present in issue.labels:
                if present.lower() == name.lower():
                    issue.labels.remove(present)
                    issue.updated_at = self.clock.now()
                    return issue
            raise GitHubNotFound(name)

    def add_comment(self, repo: GhRepo, number: int, body: Any, actor: str) -> GhComment:
        """Comment on an issue; bumps the issue's ``updated_at``."""
        if not isinstance(body, str) or not body:
            code = "missing_field" if body is None else "invalid"
            raise GitHubInvalid([{"resource": "IssueComment", "code": code, "field": "body"}])
        with self.lock:
            issue = self.issue(repo, number)
            now = self.clock.now()
            comment = GhComment(self._next_comment_id, body, self.user(actor).login, now, now)
            self._next_comment_id += 1
            issue.comments.append(comment)
            issue.updated_at = now
            return comment

    def _assignees(self, data: dict[str, Any]) -> list[str]:
        raw: list[Any] = []
        if data.get("assignee"):
            raw.append(data["assignee"])
        raw.extend(_list_field(data, "assignees"))
        logins: list[str] = []
        for item in raw:
            if not isinstance(item, str) or not item:
                raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "assignees", "value": item}])
            login = self.user(item).login
            if login not in logins:
                logins.append(login)
        return logins[:10]

    def _check_milestone(self, repo: GhRepo, value: Any) -> int | None:
        """A milestone number the repository has (``None``, or ``""`` as PyGithub sends it,
        clears it), else 422."""
        if value is None or value == "":
            return None
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.isdigit():
            number = int(value)
        if number is None or number not in repo.milestones:
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "milestone", "value": value}])
        return number

    def create_milestone(self, repo: GhRepo, data: dict[str, Any]) -> GhMilestone:
        """``issues/create-milestone``: a title of its own, an optional ``due_on`` time."""
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise GitHubInvalid([{"resource": "Milestone", "code": "missing_field", "field": "title"}])
        due = data.get("due_on")
        due_on = None
        if due is not None:
            try:
                due_on = parse_iso(str(due))
            except ValueError as exc:
                raise GitHubInvalid([{"resource": "Milestone", "code": "invalid", "field": "due_on"}]) from exc
        with self.lock:
            if any(m.title == title for m in repo.milestones.values()):
                raise GitHubInvalid([{"resource": "Milestone", "code": "already_exists", "field": "title"}])
            number = max(repo.milestones, default=0) + 1
            milestone = GhMilestone(
                self._next_milestone_id, number, title, self.clock.now(), data.get("description"), due_on=due_on
            )
            self._next_milestone_id += 1
            repo.milestones[number] = milestone
            return milestone


def _list_field(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": name}])
    return value
