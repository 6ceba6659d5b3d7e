"""The Jira store's records (projects, issues, comments) and the error answers it raises."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from .jira_catalog import IssueType, Priority, Resolution, Status
from .jira_text import RichText

JsonDict = dict[str, Any]
Deployment = Literal["cloud", "datacenter"]

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
ISSUE_FORBIDDEN = "You do not have the permission to see the specified issue."


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


@dataclass
class JProject:
    """A project; issue keys are ``KEY-n``."""

    id: str
    key: str
    name: str
    next_number: int = 1


@dataclass
class JComment:
    """An issue comment; the body is ADF (sent through v3) or a string (through v2)."""

    id: str
    body: RichText
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
    description: RichText | None = None
    labels: list[str] = field(default_factory=list)
    duedate: date | None = None
    resolution: Resolution | None = None
    resolutiondate: float | None = None
    assignee: str | None = None
    comments: list[JComment] = field(default_factory=list)
    #: The epic it belongs to (Cloud ``parent``, Data Center "Epic Link").
    parent: JIssue | None = None
    #: Custom field id -> stored value (see :mod:`.jira_fields`).
    custom: dict[str, Any] = field(default_factory=dict)
    #: 404 or 403: the bot's account cannot see it.
    restricted: int | None = None
    old_keys: list[str] = field(default_factory=list)
