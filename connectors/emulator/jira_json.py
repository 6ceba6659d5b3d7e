"""Renders the Jira store as the JSON beans Jira Cloud REST v3 returns."""

from __future__ import annotations

from typing import Any

from .clock import jira_time
from .jira_catalog import (
    FIELDS,
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUS_CATEGORIES,
    IssueType,
    Priority,
    Resolution,
    Status,
    StatusCategory,
)
from .jira_state import JComment, JiraState, JIssue, JProject

JsonDict = dict[str, Any]

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
#: Fields ``*navigable`` leaves out.
NOT_NAVIGABLE = {f.id for f in FIELDS if not f.navigable}
ALL_FIELDS = [f.id for f in FIELDS if f.id not in ("issuekey", "statusCategory")]


def parse_field_list(values: list[str], default: list[str]) -> list[str]:
    """Resolve a ``fields`` parameter (ids, ``*all``, ``*navigable``, ``-id``) to field ids."""
    items = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    if not items:
        items = list(default)
    chosen: list[str] = []
    for item in items:
        if item in ("*all", "*navigable"):
            for fid in ALL_FIELDS:
                if item == "*all" or fid not in NOT_NAVIGABLE:
                    chosen.append(fid)
        elif not item.startswith("-"):
            chosen.append(item)
    excluded = {item[1:] for item in items if item.startswith("-")}
    return [f for f in dict.fromkeys(chosen) if f not in excluded]


class JiraRenderer:
    """Turns stored objects into API JSON, with ``self`` links under ``base_url``."""

    def __init__(self, state: JiraState, base_url: str, account: str, email: str) -> None:
        self.state = state
        self.base = base_url.rstrip("/")
        self.api = f"{self.base}/rest/api/3"
        self.account = account
        self.email = email

    def avatars(self, kind: str, ident: str) -> JsonDict:
        """An ``AvatarUrlsBean``."""
        url = f"{self.base}/secure/{kind}avatar?avatarId={ident}"
        return {size: f"{url}&size={size}" for size in ("16x16", "24x24", "32x32", "48x48")}

    def user(self, account_id: str, *, full: bool = False) -> JsonDict:
        """A ``UserDetails`` (or, with ``full``, a ``User``) bean."""
        mine = account_id == self.account
        data: JsonDict = {
            "self": f"{self.api}/user?accountId={account_id}",
            "accountId": account_id,
            "avatarUrls": self.avatars("user", account_id),
            "displayName": "Postmortem Sync Bot" if mine else account_id,
            "active": True,
            "timeZone": "UTC",
            "accountType": "atlassian",
        }
        if mine:
            data["emailAddress"] = self.email
        if full:
            data["locale"] = "en_US"
        return data

    def category(self, cat: StatusCategory) -> JsonDict:
        """A ``StatusCategory``."""
        return {
            "self": f"{self.api}/statuscategory/{cat.id}",
            "id": cat.id,
            "key": cat.key,
            "colorName": cat.color,
            "name": cat.name,
        }

    def status(self, status: Status) -> JsonDict:
        """A ``StatusDetails``."""
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": status.name,
            "untranslatedName": status.name,
            "id": status.id,
            "statusCategory": self.category(STATUS_CATEGORIES[status.category]),
        }

    def priority(self, priority: Priority) -> JsonDict:
        """A ``Priority``."""
        return {
            "self": f"{self.api}/priority/{priority.id}",
            "statusColor": priority.color,
            "description": f"{priority.name} priority",
            "iconUrl": f"{self.base}/images/icons/priorities/{priority.icon}.svg",
            "name": priority.name,
            "id": priority.id,
        }

    def resolution(self, resolution: Resolution) -> JsonDict:
        """A ``Resolution``."""
        return {
            "self": f"{self.api}/resolution/{resolution.id}",
            "id": resolution.id,
            "description": resolution.description,
            "name": resolution.name,
        }

    def issue_type(self, it: IssueType) -> JsonDict:
        """An ``IssueTypeDetails``."""
        return {
            "self": f"{self.api}/issuetype/{it.id}",
            "id": it.id,
            "description": it.description,
            "iconUrl": f"{self.base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{it.avatar}?size=medium",
            "name": it.name,
            "subtask": False,
            "avatarId": it.avatar,
            "hierarchyLevel": it.hierarchy,
        }

    def project_ref(self, project: JProject) -> JsonDict:
        """The short project bean embedded in issues."""
        return {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": self.avatars("project", project.id),
        }

    def project(self, project: JProject) -> JsonDict:
        """A full ``Project`` bean."""
        return {
            **self.project_ref(project),
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "description": "",
            "lead": self.user(self.account),
            "components": [],
            "issueTypes": [self.issue_type(it) for it in ISSUE_TYPES],
            "assigneeType": "UNASSIGNED",
            "versions": [],
            "roles": {},
            "isPrivate": False,
            "style": "classic",
            "properties": {},
        }

    def comment(self, issue: JIssue, comment: JComment) -> JsonDict:
        """A ``Comment``."""
        author = self.user(comment.author)
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": author,
            "body": comment.body,
            "updateAuthor": author,
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
            "jsdPublic": True,
        }

    def comment_page(self, issue: JIssue, comments: list[JComment], start: int, max_results: int) -> JsonDict:
        """A ``PageOfComments``."""
        chosen = comments[start : start + max_results]
        return {
            "comments": [self.comment(issue, c) for c in chosen],
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": max_results,
            "total": len(comments),
            "startAt": start,
        }

    def field_value(self, issue: JIssue, fid: str) -> tuple[bool, Any]:
        """The value of field ``fid`` on ``issue``; ``(False, None)`` for unknown fields."""
        values: dict[str, Any] = {
            "summary": lambda: issue.summary,
            "description": lambda: issue.description,
            "status": lambda: self.status(issue.status),
            "resolution": lambda: self.resolution(issue.resolution) if issue.resolution else None,
            "resolutiondate": lambda: jira_time(issue.resolutiondate) if issue.resolutiondate is not None else None,
            "labels": lambda: list(issue.labels),
            "priority": lambda: self.priority(issue.priority),
            "duedate": lambda: issue.duedate.isoformat() if issue.duedate else None,
            "issuetype": lambda: self.issue_type(issue.issuetype),
            "project": lambda: self.project_ref(issue.project),
            "created": lambda: jira_time(issue.created),
            "updated": lambda: jira_time(issue.updated),
            "comment": lambda: self.comment_page(issue, issue.comments, 0, 5000),
            "assignee": lambda: self.user(issue.assignee) if issue.assignee else None,
            "reporter": lambda: self.user(issue.reporter),
            "creator": lambda: self.user(issue.reporter),
            "statuscategorychangedate": lambda: jira_time(issue.status_changed),
        }
        getter = values.get(fid)
        return (False, None) if getter is None else (True, getter())

    def issue(
        self,
        issue: JIssue,
        fields: list[str] | None = None,
        expand: set[str] | None = None,
    ) -> JsonDict:
        """An ``IssueBean`` with the chosen fields (default all) and expansions."""
        chosen = ALL_FIELDS if fields is None else fields
        data: JsonDict = {
            "expand": ISSUE_EXPAND,
            "id": issue.id,
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
        }
        out: JsonDict = {}
        for fid in chosen:
            known, value = self.field_value(issue, fid)
            if known:
                out[fid] = value
        data["fields"] = out
        expand = expand or set()
        if "names" in expand:
            data["names"] = self.names(list(out))
        if "schema" in expand:
            data["schema"] = self.schema(list(out))
        if "transitions" in expand:
            data["transitions"] = self.transitions(issue)
        if "renderedfields" in expand:
            data["renderedFields"] = {}
        return data

    @staticmethod
    def names(fids: list[str]) -> JsonDict:
        """``names``: field id to display name."""
        by_id = {f.id: f for f in FIELDS}
        return {fid: by_id[fid].name for fid in fids if fid in by_id}

    @staticmethod
    def schema(fids: list[str]) -> JsonDict:
        """``schema``: field id to ``JsonTypeBean``."""
        by_id = {f.id: f for f in FIELDS}
        out: JsonDict = {}
        for fid in fids:
            if fid in by_id:
                info = by_id[fid]
                bean: JsonDict = {"type": info.schema_type, "system": info.id}
                if info.items:
                    bean["items"] = info.items
                out[fid] = bean
        return out

    def transitions(self, issue: JIssue) -> list[JsonDict]:
        """The ``IssueTransition`` list for an issue."""
        return [
            {
                "id": s.transition_id,
                "name": s.name,
                "to": self.status(s),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "looped": False,
            }
            for s in self.state.transitions(issue)
        ]

    def fields(self) -> list[JsonDict]:
        """``GET /field``."""
        out = []
        for f in FIELDS:
            schema: JsonDict = {"type": f.schema_type, "system": f.id}
            if f.items:
                schema["items"] = f.items
            out.append(
                {
                    "id": f.id,
                    "key": f.id,
                    "name": f.name,
                    "custom": False,
                    "orderable": f.orderable,
                    "navigable": f.navigable,
                    "searchable": f.searchable,
                    "clauseNames": list(f.clause_names),
                    "schema": schema,
                }
            )
        return out

    def priorities(self) -> list[JsonDict]:
        """``GET /priority``."""
        return [self.priority(p) for p in PRIORITIES]

    def resolutions(self) -> list[JsonDict]:
        """``GET /resolution``."""
        return [self.resolution(r) for r in RESOLUTIONS]
