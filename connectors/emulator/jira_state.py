"""The Jira side of the emulator's store: projects, issues, comments and the workflow.

Pure data and rules, no HTTP. Validation failures raise :class:`JiraError` carrying the
status and the ``errorMessages``/``errors`` Jira would answer with. Callers that need a
consistent view across calls hold :attr:`JiraState.lock` (re-entrant).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .clock import Clock
from .jira_catalog import (
    DEFAULT_PRIORITY,
    DEFAULT_STATUSES,
    PRIORITIES,
    IssueType,
    Priority,
    Resolution,
    Status,
    find_category,
    find_issue_type,
    find_priority,
    find_resolution,
)

JsonDict = dict[str, Any]

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
NOT_SETTABLE = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."


class JiraError(Exception):
    """An error answer: HTTP ``status`` with Jira's ``ErrorCollection`` body."""

    def __init__(self, status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None) -> None:
        super().__init__("; ".join([*(messages or []), *(errors or {}).values()]))
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}

    def body(self) -> JsonDict:
        """The ``{"errorMessages": [...], "errors": {...}}`` body."""
        return {"errorMessages": self.messages, "errors": self.errors}


def account_id(email: str) -> str:
    """A stable Atlassian-style account id for an email address."""
    return "5b10" + hashlib.sha1(email.lower().encode()).hexdigest()[:20]  # noqa: S324


def is_adf(value: object) -> bool:
    """True for an Atlassian Document Format document (what Cloud v3 takes for rich text)."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def adf_text(value: object) -> str:
    """All the text inside an ADF node, space-separated (for JQL ``~``)."""
    if isinstance(value, dict):
        own = value.get("text") if isinstance(value.get("text"), str) else ""
        return " ".join(filter(None, [str(own), adf_text(value.get("content"))]))
    if isinstance(value, list):
        return " ".join(filter(None, (adf_text(v) for v in value)))
    return ""


def adf_paragraph(text: str) -> JsonDict:
    """A one-paragraph ADF document holding ``text``."""
    content = [{"type": "text", "text": text}] if text else []
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]}


@dataclass
class JProject:
    """A project; issue keys are ``KEY-n``."""

    id: str
    key: str
    name: str
    next_number: int = 1


@dataclass
class JComment:
    """An issue comment with an ADF body."""

    id: str
    body: JsonDict
    author: str
    created: float
    updated: float


@dataclass
class JIssue:
    """An issue."""

    id: str
    key: str
    number: int
    project: JProject
    summary: str
    issuetype: IssueType
    priority: Priority
    status: Status
    reporter: str
    created: float
    updated: float
    status_changed: float
    description: JsonDict | None = None
    labels: list[str] = field(default_factory=list)
    duedate: date | None = None
    resolution: Resolution | None = None
    resolutiondate: float | None = None
    assignee: str | None = None
    comments: list[JComment] = field(default_factory=list)


class JiraState:
    """All Jira data the emulator holds."""

    def __init__(self, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.statuses: list[Status] = [Status(s.id, s.name, s.category, s.transition_id) for s in DEFAULT_STATUSES]
        self._projects: dict[str, JProject] = {}
        self._issues: dict[str, JIssue] = {}
        self._keys: dict[str, str] = {}
        self._next_project_id = 10000
        self._next_issue_id = 10001
        self._next_comment_id = 10000
        self._next_status_id = 10002
        self._next_transition_id = 41

    # --- projects ------------------------------------------------------------------------

    def add_project(self, key: str, name: str | None = None) -> JProject:
        """Create a project (or return the existing one with that key)."""
        key = key.strip().upper()
        if not key or not key.isalnum() or not key[0].isalpha():
            raise ValueError(f"invalid project key {key!r}")
        with self.lock:
            if key in self._projects:
                return self._projects[key]
            project = JProject(str(self._next_project_id), key, name or key)
            self._next_project_id += 1
            self._projects[key] = project
            return project

    def find_project(self, id_or_key: object) -> JProject | None:
        """A project by key (any case), id, or name; ``None`` if unknown."""
        text = str(id_or_key).strip()
        with self.lock:
            found = self._projects.get(text.upper())
            if found is not None:
                return found
            for project in self._projects.values():
                if text == project.id or text.lower() == project.name.lower():
                    return project
        return None

    def project(self, id_or_key: str) -> JProject:
        """A project, or 404 as ``GET /project/{idOrKey}`` answers."""
        found = self.find_project(id_or_key)
        if found is None:
            raise JiraError(404, [f"No project could be found with key '{id_or_key}'."])
        return found

    def projects(self) -> list[JProject]:
        """Every project."""
        with self.lock:
            return list(self._projects.values())

    # --- issues --------------------------------------------------------------------------

    def find_issue(self, id_or_key: object) -> JIssue | None:
        """An issue by numeric id or key (any case); ``None`` if unknown."""
        text = str(id_or_key).strip()
        with self.lock:
            issue_id = text if text.isdigit() else self._keys.get(text.upper())
            return self._issues.get(issue_id) if issue_id else None

    def issue(self, id_or_key: str) -> JIssue:
        """An issue, or 404 with Jira's message."""
        found = self.find_issue(id_or_key)
        if found is None:
            raise JiraError(404, [ISSUE_NOT_FOUND])
        return found

    def issues(self, project: JProject | None = None) -> list[JIssue]:
        """Every issue (of one project), oldest first."""
        with self.lock:
            return [i for i in self._issues.values() if project is None or i.project is project]

    def create_issue(self, fields: object, reporter: str) -> JIssue:
        """Create an issue from a ``createIssue`` ``fields`` object."""
        if not isinstance(fields, dict):
            raise JiraError(400, ["Issue must be created with a 'fields' object."])
        errors: dict[str, str] = {}
        project = self._project_field(fields.get("project"), errors)
        issuetype = find_issue_type(fields.get("issuetype"))
        if "issuetype" not in fields:
            errors["issuetype"] = "Specify an issue type"
        elif issuetype is None:
            errors["issuetype"] = "The issue type selected is invalid."
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        allowed = {
            "project",
            "issuetype",
            "summary",
            "description",
            "labels",
            "priority",
            "duedate",
            "assignee",
            "reporter",
        }
        for name in fields:
            if name not in allowed:
                errors[name] = NOT_SETTABLE.format(name)
        values = self._common_fields(fields, errors)
        if errors:
            raise JiraError(400, [], errors)
        assert project is not None and issuetype is not None and isinstance(summary, str)
        with self.lock:
            now = self.clock.now()
            issue = JIssue(
                id=str(self._next_issue_id),
                key=f"{project.key}-{project.next_number}",
                number=project.next_number,
                project=project,
                summary=summary,
                issuetype=issuetype,
                priority=values.get("priority") or self._priority_by_id(DEFAULT_PRIORITY),
                status=self.statuses[0],
                reporter=reporter,
                created=now,
                updated=now,
                status_changed=now,
            )
            self._apply(issue, values)
            self._next_issue_id += 1
            project.next_number += 1
            self._issues[issue.id] = issue
            self._keys[issue.key] = issue.id
            return issue

    def edit_issue(self, issue: JIssue, fields: object, update: object) -> None:
        """Apply an ``editIssue`` body (``fields`` sets, ``update`` operations)."""
        if fields is None:
            fields = {}
        if update is None:
            update = {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        errors: dict[str, str] = {}
        editable = {
            "summary",
            "description",
            "labels",
            "priority",
            "duedate",
            "assignee",
            "issuetype",
        }
        for name in [*fields, *update]:
            if name not in editable and name != "comment":
                errors[name] = NOT_SETTABLE.format(name)
        if "comment" in fields:
            errors["comment"] = NOT_SETTABLE.format("comment")
        merged = dict(fields)
        comments: list[object] = []
        with self.lock:
            labels = list(issue.labels)
            for name, ops in update.items():
                if not isinstance(ops, list):
                    errors[name] = "Operation value must be a list of operations."
                    continue
                for op in ops:
                    if not isinstance(op, dict) or len(op) != 1:
                        errors[name] = "Each operation must have exactly one verb."
                        continue
                    verb, value = next(iter(op.items()))
                    if name == "labels" and verb in ("add", "remove", "set"):
                        if verb == "add" and value not in labels:
                            labels.append(value)
                        elif verb == "remove" and value in labels:
                            labels.remove(value)
                        elif verb == "set":
                            labels = list(value) if isinstance(value, list) else [value]
                        merged["labels"] = labels
                    elif name == "comment" and verb == "add" and isinstance(value, dict):
                        comments.append(value.get("body"))
                    elif verb == "set":
                        merged[name] = value
                    else:
                        errors[name] = f"Operation '{verb}' is not supported for field '{name}'."
            if "summary" in merged and (not isinstance(merged["summary"], str) or not merged["summary"].strip()):
                errors["summary"] = "You must specify a summary of the issue."
            if "issuetype" in merged and find_issue_type(merged["issuetype"]) is None:
                errors["issuetype"] = "The issue type selected is invalid."
            values = self._common_fields(merged, errors)
            for body in comments:
                if not is_adf(body):
                    errors["comment"] = "Comment body is not valid!"
            if errors:
                raise JiraError(400, [], errors)
            if "summary" in merged:
                issue.summary = merged["summary"]
            if "issuetype" in merged:
                found = find_issue_type(merged["issuetype"])
                assert found is not None
                issue.issuetype = found
            self._apply(issue, values)
            issue.updated = self.clock.now()
            for body in comments:
                assert isinstance(body, dict)
                self.add_comment(issue, body, issue.reporter)

    def add_comment(self, issue: JIssue, body: object, author: str) -> JComment:
        """Comment on an issue; the body must be an ADF document."""
        if not is_adf(body):
            raise JiraError(400, ["Comment body is not valid!"])
        assert isinstance(body, dict)
        with self.lock:
            now = self.clock.now()
            comment = JComment(str(self._next_comment_id), body, author, now, now)
            self._next_comment_id += 1
            issue.comments.append(comment)
            issue.updated = now
            return comment

    # --- workflow ------------------------------------------------------------------------

    def status(self, name: str, category: str | None = None) -> Status:
        """The status called ``name``, created with ``category`` if it does not exist yet."""
        with self.lock:
            for status in self.statuses:
                if status.name.lower() == name.strip().lower():
                    if category is not None:
                        cat = find_category(category)
                        if cat is None or cat.key != status.category:
                            raise ValueError(f"status {status.name!r} exists in category {status.category!r}")
                    return status
            if category is None:
                known = ", ".join(s.name for s in self.statuses)
                raise ValueError(
                    f"unknown status {name!r} (known: {known}); to create it, give its category: "
                    "new, indeterminate or done"
                )
            cat = find_category(category)
            if cat is None:
                raise ValueError(f"unknown status category {category!r}: use new, indeterminate or done")
            status = Status(str(self._next_status_id), name.strip(), cat.key, str(self._next_transition_id))
            self._next_status_id += 1
            self._next_transition_id += 10
            self.statuses.append(status)
            return status

    def transitions(self, issue: JIssue) -> list[Status]:
        """Where the issue can go: every other status (a simplified, all-to-all workflow)."""
        with self.lock:
            return [s for s in self.statuses if s is not issue.status]

    def do_transition(self, issue: JIssue, body: object) -> None:
        """Apply a ``doTransition`` body."""
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        transition = body.get("transition")
        tid = str(transition.get("id", "")) if isinstance(transition, dict) else ""
        if not tid:
            raise JiraError(400, ["Missing 'transition' identifier"])
        with self.lock:
            target = next((s for s in self.transitions(issue) if s.transition_id == tid), None)
            if target is None:
                raise JiraError(400, [f"Transition id '{tid}' is not valid for this issue."])
            fields = body.get("fields") or {}
            if not isinstance(fields, dict):
                raise JiraError(400, ["Can not deserialize the request body."])
            errors = {n: NOT_SETTABLE.format(n) for n in fields if n != "resolution"}
            resolution = None
            if "resolution" in fields:
                resolution = find_resolution(fields["resolution"])
                if target.category != "done":
                    errors["resolution"] = NOT_SETTABLE.format("resolution")
                elif resolution is None:
                    errors["resolution"] = "Specify a valid resolution"
            comments = []
            update = body.get("update") or {}
            for op in update.get("comment", []) if isinstance(update, dict) else []:
                added = op.get("add") if isinstance(op, dict) else None
                if not isinstance(added, dict) or not is_adf(added.get("body")):
                    errors["comment"] = "Comment body is not valid!"
                else:
                    comments.append(added["body"])
            if errors:
                raise JiraError(400, [], errors)
            self.move(issue, target, resolution)
            for comment in comments:
                self.add_comment(issue, comment, issue.reporter)

    def move(self, issue: JIssue, status: Status, resolution: Resolution | None = None) -> None:
        """Put the issue in ``status``; done statuses set a resolution, others clear it."""
        if resolution is not None and status.category != "done":
            raise ValueError("a resolution can only be set with a status in category done")
        with self.lock:
            now = self.clock.now()
            if status.category == "done":
                issue.resolution = resolution or find_resolution({"name": "Done"})
                issue.resolutiondate = now
            else:
                issue.resolution = None
                issue.resolutiondate = None
            if status.category != issue.status.category:
                issue.status_changed = now
            issue.status = status
            issue.updated = now

    # --- field validation ----------------------------------------------------------------

    def _project_field(self, ref: object, errors: dict[str, str]) -> JProject | None:
        project = None
        if isinstance(ref, dict):
            project = self.find_project(ref.get("key") or ref.get("id") or "")
        elif isinstance(ref, str):
            project = self.find_project(ref)
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        return project

    @staticmethod
    def _priority_by_id(priority_id: str) -> Priority:
        return next(p for p in PRIORITIES if p.id == priority_id)

    @staticmethod
    def _common_fields(fields: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "description" in fields:
            desc = fields["description"]
            if desc is not None and not is_adf(desc):
                errors["description"] = (
                    "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                )
            values["description"] = desc
        if "labels" in fields:
            labels = fields["labels"] if fields["labels"] is not None else []
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                errors["labels"] = "data was not an array"
            else:
                for label in labels:
                    if not label or any(c.isspace() for c in label):
                        errors["labels"] = f"The label '{label}' contains spaces which is invalid."
                    elif len(label) > 255:
                        errors["labels"] = "The label must not exceed 255 characters."
                values["labels"] = list(dict.fromkeys(labels))
        if "priority" in fields:
            priority = find_priority(fields["priority"])
            if priority is None:
                errors["priority"] = "Specify the Priority (id or name) in the string format"
            values["priority"] = priority
        if "duedate" in fields:
            due = fields["duedate"]
            if due is None:
                values["duedate"] = None
            else:
                try:
                    values["duedate"] = date.fromisoformat(str(due))
                except ValueError:
                    errors["duedate"] = f"Error parsing date string: {due}"
        if "summary" in fields and isinstance(fields["summary"], str):
            if len(fields["summary"]) > 255:
                errors["summary"] = "Summary must be less than 255 characters."
            if "\n" in fields["summary"]:
                errors["summary"] = "Field 'summary' cannot contain new line characters."
        if "assignee" in fields:
            who = fields["assignee"]
            if who is not None and not (isinstance(who, dict) and who.get("accountId")):
                errors["assignee"] = "Specify a valid value for assignee"
            values["assignee"] = who.get("accountId") if isinstance(who, dict) else None
        return values

    @staticmethod
    def _apply(issue: JIssue, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "priority":
                if value is not None:
                    issue.priority = value
            else:
                setattr(issue, name, value)
