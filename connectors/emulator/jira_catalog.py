"""Jira's vocabularies as a fresh site has them: status categories, statuses, priorities,
resolutions, issue types and the system fields the emulator knows.

Statuses, priorities and custom fields can change per emulated site (see :mod:`.jira_state`,
:mod:`.jira_fields`); the tuples here are what a new site starts with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class StatusCategory:
    """A status category; ``key`` is what live sites return (new/indeterminate/done)."""

    id: int
    key: str
    name: str
    color: str


STATUS_CATEGORIES: dict[str, StatusCategory] = {
    c.key: c
    for c in (
        StatusCategory(1, "undefined", "No Category", "medium-gray"),
        StatusCategory(2, "new", "To Do", "blue-gray"),
        StatusCategory(4, "indeterminate", "In Progress", "yellow"),
        StatusCategory(3, "done", "Done", "green"),
    )
}


def find_category(value: str) -> StatusCategory | None:
    """A category by key, name or id, ignoring case."""
    low = value.strip().lower()
    for cat in STATUS_CATEGORIES.values():
        if low in (cat.key, cat.name.lower(), str(cat.id)):
            return cat
    return None


@dataclass
class Status:
    """A status of the site; ``transition_id`` is the default workflow's transition into it."""

    id: str
    name: str
    category: str
    transition_id: str


DEFAULT_STATUSES: tuple[Status, ...] = (
    Status("10000", "To Do", "new", "11"),
    Status("3", "In Progress", "indeterminate", "21"),
    Status("10001", "Done", "done", "31"),
)


@dataclass(frozen=True)
class Priority:
    """An issue priority."""

    id: str
    name: str
    color: str
    icon: str


PRIORITIES: tuple[Priority, ...] = (
    Priority("1", "Highest", "#d04437", "highest"),
    Priority("2", "High", "#f15C75", "high"),
    Priority("3", "Medium", "#f79232", "medium"),
    Priority("4", "Low", "#707070", "low"),
    Priority("5", "Lowest", "#999999", "lowest"),
)
DEFAULT_PRIORITY = "3"

#: Colours and icons of well-known priority names (the default and the classic scheme).
_PRIORITY_LOOKS: dict[str, tuple[str, str]] = {
    **{p.name.lower(): (p.color, p.icon) for p in PRIORITIES},
    "blocker": ("#cc0000", "blocker"),
    "critical": ("#ff0000", "critical"),
    "major": ("#009900", "major"),
    "minor": ("#006600", "minor"),
    "trivial": ("#003300", "trivial"),
}


def make_priorities(names: Sequence[str]) -> tuple[Priority, ...]:
    """A priority scheme with ids ``"1"``, ``"2"``, ... in the order given."""
    cleaned = [str(n).strip() for n in names]
    if not cleaned or any(not n for n in cleaned):
        raise ValueError("a priority scheme needs at least one priority, and every name must be non-empty")
    if len({n.lower() for n in cleaned}) != len(cleaned):
        raise ValueError(f"priority names must be unique: {cleaned}")
    out = []
    for n, name in enumerate(cleaned, start=1):
        color, icon = _PRIORITY_LOOKS.get(name.lower(), ("#707070", "medium"))
        out.append(Priority(str(n), name, color, icon))
    return tuple(out)


@dataclass(frozen=True)
class Resolution:
    """An issue resolution."""

    id: str
    name: str
    description: str


RESOLUTIONS: tuple[Resolution, ...] = (
    Resolution("10000", "Done", "Work has been completed on this issue."),
    Resolution("10001", "Won't Do", "This issue won't be actioned."),
    Resolution("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    Resolution("10003", "Cannot Reproduce", "This issue couldn't be reproduced."),
    Resolution("10004", "Won't Fix", "A fix for this issue will not be made."),
    Resolution("10005", "Declined", "This issue was not approved."),
)


@dataclass(frozen=True)
class IssueType:
    """An issue type."""

    id: str
    name: str
    description: str
    hierarchy: int
    avatar: int


ISSUE_TYPES: tuple[IssueType, ...] = (
    IssueType("10001", "Task", "A small, distinct piece of work.", 0, 10318),
    IssueType("10002", "Bug", "A problem or error.", 0, 10303),
    IssueType("10003", "Story", "Functionality or a feature expressed as a user goal.", 0, 10315),
    IssueType("10000", "Epic", "A big user story that needs to be broken down.", 1, 10307),
)


_Named = TypeVar("_Named", Priority, Resolution, IssueType)


def _lookup(items: Sequence[_Named], ref: object) -> _Named | None:
    if not isinstance(ref, dict):
        return None
    if "id" in ref:
        return next((i for i in items if i.id == str(ref["id"])), None)
    if "name" in ref:
        name = str(ref["name"]).lower()
        return next((i for i in items if i.name.lower() == name), None)
    return None


def find_priority(ref: object, scheme: Sequence[Priority] = PRIORITIES) -> Priority | None:
    """A priority of ``scheme`` from ``{"id": ...}`` or ``{"name": ...}``."""
    return _lookup(scheme, ref)


def find_resolution(ref: object) -> Resolution | None:
    """A resolution from ``{"id": ...}`` or ``{"name": ...}``."""
    return _lookup(RESOLUTIONS, ref)


def find_issue_type(ref: object) -> IssueType | None:
    """An issue type from ``{"id": ...}`` or ``{"name": ...}``."""
    return _lookup(ISSUE_TYPES, ref)


@dataclass(frozen=True)
class FieldInfo:
    """A system field as ``GET /field`` lists it."""

    id: str
    name: str
    #: ``""``: the field has no ``schema`` (Cloud's ``parent``).
    schema_type: str
    clause_names: tuple[str, ...]
    items: str | None = None
    orderable: bool = True
    navigable: bool = True
    searchable: bool = True
    #: Only Cloud sites have it.
    cloud_only: bool = False


FIELDS: tuple[FieldInfo, ...] = (
    FieldInfo("summary", "Summary", "string", ("summary",)),
    FieldInfo("description", "Description", "string", ("description",)),
    FieldInfo("status", "Status", "status", ("status",), orderable=False),
    FieldInfo(
        "statusCategory",
        "Status Category",
        "statusCategory",
        ("statusCategory",),
        orderable=False,
    ),
    FieldInfo("resolution", "Resolution", "resolution", ("resolution",)),
    FieldInfo("resolutiondate", "Resolved", "datetime", ("resolutiondate", "resolved"), orderable=False),
    FieldInfo("labels", "Labels", "array", ("labels",), items="string"),
    FieldInfo("priority", "Priority", "priority", ("priority",)),
    FieldInfo("duedate", "Due date", "date", ("due", "duedate")),
    FieldInfo("issuetype", "Issue Type", "issuetype", ("issuetype", "type")),
    FieldInfo("project", "Project", "project", ("project",)),
    FieldInfo("created", "Created", "datetime", ("created", "createdDate"), orderable=False),
    FieldInfo("updated", "Updated", "datetime", ("updated", "updatedDate"), orderable=False),
    FieldInfo("comment", "Comment", "comments-page", ("comment",), navigable=False),
    FieldInfo("assignee", "Assignee", "user", ("assignee",)),
    FieldInfo("reporter", "Reporter", "user", ("reporter",)),
    FieldInfo("creator", "Creator", "user", ("creator",), orderable=False),
    FieldInfo(
        "statuscategorychangedate",
        "Status Category Changed",
        "datetime",
        ("statusCategoryChangedDate",),
        orderable=False,
    ),
    FieldInfo("issuekey", "Key", "issuekey", ("id", "issue", "issuekey", "key"), orderable=False),
    FieldInfo("parent", "Parent", "", ("parent",), cloud_only=True),
)
