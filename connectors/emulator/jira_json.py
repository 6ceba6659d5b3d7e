"""Renders the Jira store as the JSON beans Jira returns, per API version and deployment.

One :class:`JiraRenderer` answers for one API version: ``"3"`` (Cloud only; rich text as ADF)
or ``"2"`` (Cloud and Server/Data Center; rich text as wiki strings), with ``self`` links
under ``/rest/api/{version}``. The deployment decides the beans' shapes: Data Center users
have ``name``/``key`` and no ``accountId``, its statuses have no ``untranslatedName``, its
comments no ``jsdPublic``, its transitions only ``id``/``name``/``to``/``fields``, and its
epics are the "Epic Link"/"Epic Name" custom fields instead of Cloud's ``parent``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from typing import Any

from .clock import jira_time
from .jira_catalog import (
    FIELDS,
    ISSUE_TYPES,
    RESOLUTIONS,
    STATUS_CATEGORIES,
    IssueType,
    Priority,
    Resolution,
    Status,
    StatusCategory,
)
from .jira_fields import render_value
from .jira_model import JComment, JIssue, JProject
from .jira_state import JiraState
from .jira_text import render_text
from .jira_workflow import Transition

JsonDict = dict[str, Any]

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
#: Fields ``*navigable`` leaves out.
NOT_NAVIGABLE = {f.id for f in FIELDS if not f.navigable}
ALL_FIELDS = [f.id for f in FIELDS if f.id not in ("issuekey", "statusCategory")]


def parse_field_list(
    values: list[str],
    default: list[str],
    all_fields: Sequence[str] = ALL_FIELDS,
    hidden: Collection[str] = NOT_NAVIGABLE,
) -> list[str]:
    """Resolve a ``fields`` parameter (ids, ``*all``, ``*navigable``, ``-id``) to field ids."""
    items = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    if not items:
        items = list(default)
    chosen: list[str] = []
    for item in items:
        if item in ("*all", "*navigable"):
            for fid in all_fields:
                if item == "*all" or fid not in hidden:
                    chosen.append(fid)
        elif not item.startswith("-"):
            chosen.append(item)
    excluded = {item[1:] for item in items if item.startswith("-")}
    return [f for f in dict.fromkeys(chosen) if f not in excluded]


class JiraRenderer:
    """Turns stored objects into API JSON, with ``self`` links under ``base_url``."""

    def __init__(
        self,
        state: JiraState,
        base_url: str,
        account: str,
        email: str,
        *,
        version: str = "3",
        display_name: str = "Postmortem Sync Bot",
    ) -> None:
        self.state = state
        self.base = base_url.rstrip("/")
        self.version = version
        self.api = f"{self.base}/rest/api/{version}"
        self.account = account
        self.email = email
        self.display_name = display_name
        #: Rich text as ADF (v3) rather than wiki strings (v2).
        self.rich = version == "3"
        self.dc = state.deployment == "datacenter"

    def avatars(self, kind: str, ident: str) -> JsonDict:
        """An ``AvatarUrlsBean``."""
        url = f"{self.base}/secure/{kind}avatar?avatarId={ident}"
        return {size: f"{url}&size={size}" for size in ("16x16", "24x24", "32x32", "48x48")}

    def user(self, ident: str, *, full: bool = False) -> JsonDict:
        """A user bean: Cloud's ``UserDetails``/``User``, or Data Center's name-keyed user."""
        mine = ident == self.account
        if self.dc:
            number = 10000 if mine else 10100 + int(hashlib.sha1(ident.encode()).hexdigest()[:4], 16)  # noqa: S324
            data: JsonDict = {
                "self": f"{self.api}/user?username={ident}",
                "key": f"JIRAUSER{number}",
                "name": ident,
                "emailAddress": self.email if mine else f"{ident}@example.com",
                "avatarUrls": self.avatars("user", ident),
                "displayName": self.display_name if mine else ident,
                "active": True,
                "timeZone": "UTC",
            }
            if full:
                data["locale"] = "en_US"
                data["expand"] = "groups,applicationRoles"
            return data
        data = {
            "self": f"{self.api}/user?accountId={ident}",
            "accountId": ident,
            "avatarUrls": self.avatars("user", ident),
            "displayName": self.display_name if mine else ident,
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
        data: JsonDict = {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": status.name,
            "untranslatedName": status.name,
            "id": status.id,
            "statusCategory": self.category(STATUS_CATEGORIES[status.category]),
        }
        if self.dc:
            del data["untranslatedName"]
        return data

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
        """An ``IssueTypeDetails`` (Data Center has no hierarchy levels)."""
        data: JsonDict = {
            "self": f"{self.api}/issuetype/{it.id}",
            "id": it.id,
            "description": it.description,
            "iconUrl": f"{self.base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{it.avatar}?size=medium",
            "name": it.name,
            "subtask": False,
            "avatarId": it.avatar,
        }
        if not self.dc:
            data["hierarchyLevel"] = it.hierarchy
        return data

    def project_ref(self, project: JProject) -> JsonDict:
        """The short project bean embedded in issues."""
        data: JsonDict = {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "avatarUrls": self.avatars("project", project.id),
        }
        if not self.dc:
            data["simplified"] = False
        return data

    def project(self, project: JProject) -> JsonDict:
        """A full ``Project`` bean."""
        data: JsonDict = {
            **self.project_ref(project),
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "description": "",
            "lead": self.user(self.account),
            "components": [],
            "issueTypes": [self.issue_type(it) for it in ISSUE_TYPES],
            "assigneeType": "UNASSIGNED",
            "versions": [],
            "roles": {},
        }
        if self.dc:
            data["expand"] = "description,lead,url,projectKeys"
            data["archived"] = False
        else:
            data.update({"isPrivate": False, "style": "classic", "properties": {}})
        return data

    def comment(self, issue: JIssue, comment: JComment) -> JsonDict:
        """A ``Comment``."""
        author = self.user(comment.author)
        data: JsonDict = {
            "self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": author,
            "body": render_text(comment.body, self.rich),
            "updateAuthor": author,
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
        }
        if not self.dc:
            data["jsdPublic"] = True
        return data

    def comment_page(self, issue: JIssue, comments: list[JComment], start: int, max_results: int) -> JsonDict:
        """A ``PageOfComments``."""
        chosen = comments[start : start + max_results]
        data: JsonDict = {
            "comments": [self.comment(issue, c) for c in chosen],
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": max_results,
            "total": len(comments),
            "startAt": start,
        }
        if self.dc:
            del data["self"]
        return data

    def parent(self, parent: JIssue) -> JsonDict:
        """Cloud's ``parent`` field: the epic, with a few of its fields."""
        return {
            "id": parent.id,
            "key": parent.key,
            "self": f"{self.api}/issue/{parent.id}",
            "fields": {
                "summary": parent.summary,
                "status": self.status(parent.status),
                "priority": self.priority(parent.priority),
                "issuetype": self.issue_type(parent.issuetype),
            },
        }

    def field_ids(self) -> list[str]:
        """Every field ``*all`` means on this site, system then custom."""
        system = [f for f in ALL_FIELDS if f != "parent" or not self.dc]
        return system + [cf.id for cf in self.state.fields.all()]

    def field_value(self, issue: JIssue, fid: str) -> tuple[bool, Any]:
        """The value of field ``fid`` on ``issue``; ``(False, None)`` for unknown or absent fields."""
        cf = self.state.fields.get(fid)
        if cf is not None:
            if fid == self.state.epic_link_id:
                return True, issue.parent.key if issue.parent else None
            return True, render_value(cf, issue.custom.get(fid), self.api, self.rich)
        if fid == "parent":
            return (False, None) if self.dc or issue.parent is None else (True, self.parent(issue.parent))
        values: dict[str, Any] = {
            "summary": lambda: issue.summary,
            "description": lambda: render_text(issue.description, self.rich),
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
        chosen = self.field_ids() if fields is None else fields
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
        if "transitions" in expand or "transitions.fields" in expand:
            data["transitions"] = self.transitions(issue, with_fields="transitions.fields" in expand)
        if "renderedfields" in expand:
            data["renderedFields"] = {}
        return data

    def names(self, fids: list[str]) -> JsonDict:
        """``names``: field id to display name."""
        by_id = {f.id: f.name for f in FIELDS}
        by_id.update({cf.id: cf.name for cf in self.state.fields.all()})
        return {fid: by_id[fid] for fid in fids if fid in by_id}

    def schema(self, fids: list[str]) -> JsonDict:
        """``schema``: field id to ``JsonTypeBean``."""
        by_id = {f.id: f for f in FIELDS}
        out: JsonDict = {}
        for fid in fids:
            cf = self.state.fields.get(fid)
            if cf is not None:
                out[fid] = cf.schema()
            elif fid in by_id and by_id[fid].schema_type:
                info = by_id[fid]
                bean: JsonDict = {"type": info.schema_type, "system": info.id}
                if info.items:
                    bean["items"] = info.items
                out[fid] = bean
        return out

    def transitions(self, issue: JIssue, *, with_fields: bool = False) -> list[JsonDict]:
        """The ``IssueTransition`` list for an issue (``with_fields``: ``transitions.fields``)."""
        explicit = self.state.workflow(issue.project) is not None
        out = []
        for t in self.state.transitions(issue):
            data: JsonDict = {"id": t.id, "name": t.name, "to": self.status(t.to)}
            if not self.dc:
                data.update(
                    {
                        "hasScreen": t.has_screen,
                        "isGlobal": t.sources is None,
                        "isInitial": False,
                        "isAvailable": True,
                        "isConditional": False,
                        "looped": t.to is issue.status,
                    }
                )
            if with_fields:
                data["fields"] = self.transition_fields(t) if explicit else {}
            out.append(data)
        return out

    def transition_fields(self, transition: Transition) -> JsonDict:
        """The ``fields`` of a transition's screen, as ``FieldMetadata`` by field id."""
        out: JsonDict = {}
        for fid in transition.screen:
            if fid == "comment":
                continue
            meta: JsonDict = {"required": fid in transition.required}
            if fid == "resolution":
                meta.update(
                    {
                        "schema": {"type": "resolution", "system": "resolution"},
                        "name": "Resolution",
                        "operations": ["set"],
                        "allowedValues": [self.resolution(r) for r in transition.resolutions],
                    }
                )
            else:
                meta.update(
                    {
                        "schema": self.schema([fid]).get(fid, {"type": "any"}),
                        "name": self.state.field_name(fid),
                        "operations": ["set"],
                    }
                )
                cf = self.state.fields.get(fid)
                if cf is not None and cf.options:
                    meta["allowedValues"] = [render_value(cf, o, self.api, self.rich) for o in cf.options]
            meta["fieldId" if self.dc else "key"] = fid
            out[fid] = meta
        return out

    def fields(self) -> list[JsonDict]:
        """``GET /field``: system fields, then custom fields."""
        out = []
        for f in FIELDS:
            if f.cloud_only and self.dc:
                continue
            entry: JsonDict = {
                "id": f.id,
                "key": f.id,
                "name": f.name,
                "custom": False,
                "orderable": f.orderable,
                "navigable": f.navigable,
                "searchable": f.searchable,
                "clauseNames": list(f.clause_names),
            }
            if f.schema_type:
                schema: JsonDict = {"type": f.schema_type, "system": f.id}
                if f.items:
                    schema["items"] = f.items
                entry["schema"] = schema
            out.append(entry)
        for cf in self.state.fields.all():
            out.append(
                {
                    "id": cf.id,
                    "key": cf.id,
                    "name": cf.name,
                    "custom": True,
                    "orderable": True,
                    "navigable": True,
                    "searchable": True,
                    "clauseNames": cf.clause_names,
                    "schema": cf.schema(),
                }
            )
        return out

    def priorities(self) -> list[JsonDict]:
        """``GET /priority``."""
        return [self.priority(p) for p in self.state.priorities]

    def resolutions(self) -> list[JsonDict]:
        """``GET /resolution``."""
        return [self.resolution(r) for r in RESOLUTIONS]
