"""The ``fields`` (and ``update`` operations) of create, edit and transition requests:
checked, then turned into stored values.

Each problem goes into ``errors`` under the field's id with Jira's message; the caller answers
400 with all of them. Rich-text fields take ADF through v3 and strings through v2
(:mod:`.jira_text`). Links to epics are the system ``parent`` field on Cloud and the "Epic
Link" custom field on Data Center (:mod:`.jira_fields`); both end up as the issue's parent.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from .jira_catalog import IssueType, find_priority
from .jira_fields import parse_value
from .jira_text import STRING_REQUIRED, text_error

if TYPE_CHECKING:
    from .jira_model import JIssue
    from .jira_state import JiraState

NOT_SETTABLE = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."
PARENT_UNKNOWN = "Could not find issue by id or key."
PARENT_HIERARCHY = "Given parent work item does not belong to appropriate hierarchy."
EPIC_NAME_REQUIRED = "Epic Name is required."
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: System fields the parser itself handles (project, issue type and summary are the store's).
PARSED = frozenset({"description", "labels", "priority", "duedate", "assignee", "parent"})


class FieldValues:
    """Parses field maps for one store, one API version (``rich``: v3) and one issue."""

    def __init__(self, state: JiraState, rich: bool) -> None:
        self.state = state
        self.rich = rich

    def parse(
        self,
        fields: Mapping[str, Any],
        errors: dict[str, str],
        *,
        subject: JIssue | None,
        issuetype: IssueType,
        settable: Collection[str],
    ) -> dict[str, Any]:
        """Stored values for ``fields``; ``subject`` is ``None`` on create.

        Keys of the answer: the system fields in :data:`PARSED` that were sent (``parent``
        holds the parent issue or ``None``) and ``custom``, field id to stored value.
        """
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, value in fields.items():
            cf = self.state.fields.get(name)
            if name not in settable and cf is None:
                errors[name] = NOT_SETTABLE.format(name)
            elif name == "parent" and self.state.deployment != "cloud":
                errors[name] = NOT_SETTABLE.format(name)
            elif cf is not None and name == self.state.epic_link_id:
                values["parent"] = self._epic_link(name, value, subject, issuetype, errors)
            elif cf is not None:
                stored, problem = parse_value(cf, value, self.rich)
                if problem:
                    errors[name] = problem
                custom[name] = stored
            elif name in PARSED:
                values[name] = self._system(name, value, subject, issuetype, errors)
        self._check_epic_name(fields, custom, subject, issuetype, errors)
        values["custom"] = custom
        summary = fields.get("summary")
        if isinstance(summary, str):
            if len(summary) > 255:
                errors["summary"] = "Summary must be less than 255 characters."
            if "\n" in summary:
                errors["summary"] = "Field 'summary' cannot contain new line characters."
        return values

    # --- system fields -------------------------------------------------------------------

    def _system(
        self, name: str, value: Any, subject: JIssue | None, issuetype: IssueType, errors: dict[str, str]
    ) -> Any:
        if name == "description":
            problem = text_error(value, self.rich)
            if problem:
                errors[name] = problem
            return value
        if name == "labels":
            return self._labels(value, errors)
        if name == "priority":
            priority = find_priority(value, self.state.priorities)
            if priority is None:
                errors[name] = "Specify the Priority (id or name) in the string format"
            return priority
        if name == "duedate":
            return self._date(value, name, errors)
        if name == "assignee":
            return self._assignee(value, errors)
        return self._parent(value, subject, issuetype, errors)

    @staticmethod
    def _labels(value: Any, errors: dict[str, str]) -> list[str]:
        labels = value if value is not None else []
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            errors["labels"] = "data was not an array"
            return []
        for label in labels:
            if not label or any(c.isspace() for c in label):
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
            elif len(label) > 255:
                errors["labels"] = "The label must not exceed 255 characters."
        return list(dict.fromkeys(labels))

    @staticmethod
    def _date(value: Any, name: str, errors: dict[str, str]) -> date | None:
        """A calendar date, exactly as sent (no time zone can shift it)."""
        if value is None:
            return None
        if isinstance(value, str) and _DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        errors[name] = f"Error parsing date string: {value}"
        return None

    def _assignee(self, value: Any, errors: dict[str, str]) -> str | None:
        key = "accountId" if self.state.deployment == "cloud" else "name"
        if value is None:
            return None
        if not (isinstance(value, dict) and isinstance(value.get(key), str) and value[key]):
            errors["assignee"] = "Specify a valid value for assignee"
            return None
        return str(value[key])

    # --- epics ---------------------------------------------------------------------------

    def _parent(self, ref: Any, subject: JIssue | None, issuetype: IssueType, errors: dict[str, str]) -> JIssue | None:
        if ref is None:
            return None
        wanted = (ref.get("key") or ref.get("id")) if isinstance(ref, dict) else None
        target = self.state.find_visible(wanted) if wanted else None
        if target is None:
            errors["parent"] = PARENT_UNKNOWN
        elif target is subject or target.issuetype.hierarchy != issuetype.hierarchy + 1:
            errors["parent"] = PARENT_HIERARCHY
        return target

    def _epic_link(
        self, fid: str, value: Any, subject: JIssue | None, issuetype: IssueType, errors: dict[str, str]
    ) -> JIssue | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            errors[fid] = STRING_REQUIRED
            return None
        target = self.state.find_visible(value)
        if target is None or target.issuetype.hierarchy != 1:
            errors[fid] = f"Issue '{value}' does not exist or is not an Epic."
        elif issuetype.hierarchy != 0 or target is subject:
            errors[fid] = "An Epic cannot be linked to another Epic."
        return target

    def _check_epic_name(
        self,
        fields: Mapping[str, Any],
        custom: dict[str, Any],
        subject: JIssue | None,
        issuetype: IssueType,
        errors: dict[str, str],
    ) -> None:
        fid = self.state.epic_name_id
        if fid is None or issuetype.hierarchy != 1 or fid in errors:
            return
        if fid in fields:
            name = custom.get(fid)
        elif subject is None:
            name = None
        else:
            return
        if not isinstance(name, str) or not name.strip():
            errors[fid] = EPIC_NAME_REQUIRED


def merge_update(
    issue: JIssue, fields: dict[str, Any], update: dict[str, Any], errors: dict[str, str]
) -> tuple[dict[str, Any], list[object]]:
    """``fields`` with the ``update`` operations folded in, and the comments to add."""
    merged = dict(fields)
    comments: list[object] = []
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
            elif verb == "set" and name != "comment":
                merged[name] = value
            else:
                errors[name] = f"Operation '{verb}' is not supported for field '{name}'."
    return merged, comments
