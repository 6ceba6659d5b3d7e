"""The Jira side of the emulator's store: projects, issues, comments, statuses and their rules.

Pure data and rules, no HTTP; the records are in :mod:`.jira_model`. Validation failures
raise :class:`~.jira_model.JiraError` carrying the status and the ``errorMessages``/``errors``
Jira would answer with. Callers that need a
consistent view across calls hold :attr:`JiraState.lock` (re-entrant).

One store models one site: Jira Cloud or Server/Data Center (``deployment``), with its own
priority scheme, custom fields (:mod:`.jira_fields`) and per-project workflows
(:mod:`.jira_workflow`). Rich text is kept as it was sent, ADF or string (:mod:`.jira_text`);
methods taking ``rich`` check values as REST v3 (ADF) or v2 (strings) does. Issues keep their
id when moved to another project, and their old keys keep finding them. Restricted issues
(a security level the bot lacks) are hidden from the API (:meth:`JiraState.api_issue`,
:meth:`JiraState.find_visible`) but not from people acting in the tracker.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .clock import Clock
from .jira_catalog import (
    DEFAULT_PRIORITY,
    DEFAULT_STATUSES,
    FIELDS,
    ISSUE_TYPES,
    PRIORITIES,
    Priority,
    Resolution,
    Status,
    find_category,
    find_issue_type,
    find_resolution,
    make_priorities,
)
from .jira_fields import EPIC_LINK_TYPE, EPIC_NAME_TYPE, CustomFields
from .jira_model import ISSUE_FORBIDDEN, ISSUE_NOT_FOUND, Deployment, JComment, JiraError, JIssue, JProject
from .jira_text import COMMENT_INVALID, comment_error
from .jira_values import NOT_SETTABLE, PARSED, FieldValues, merge_update
from .jira_workflow import Transition, Workflow, build_workflow, default_transitions, resolution_problem


class JiraState:
    """All Jira data the emulator holds for one site."""

    def __init__(self, clock: Clock, deployment: Deployment = "cloud") -> None:
        if deployment not in ("cloud", "datacenter"):
            raise ValueError(f"unknown Jira deployment {deployment!r}: use cloud or datacenter")
        self.lock = threading.RLock()
        self.clock = clock
        self.deployment: Deployment = deployment
        self.statuses: list[Status] = [Status(s.id, s.name, s.category, s.transition_id) for s in DEFAULT_STATUSES]
        self.priorities: tuple[Priority, ...] = PRIORITIES
        self.default_priority: Priority = next(p for p in PRIORITIES if p.id == DEFAULT_PRIORITY)
        self.fields = CustomFields()
        self.workflows: dict[str, Workflow] = {}
        self._projects: dict[str, JProject] = {}
        self._issues: dict[str, JIssue] = {}
        self._keys: dict[str, str] = {}
        self._next_project_id = 10000
        self._next_issue_id = 10001
        self._next_comment_id = 10000
        self._next_status_id = 10002
        self._next_transition_id = 41
        self.epic_link_id: str | None = None
        self.epic_name_id: str | None = None
        if deployment == "datacenter":
            self.epic_link_id = self.fields.add("Epic Link", schema_type="any", custom=EPIC_LINK_TYPE).id
            self.epic_name_id = self.fields.add("Epic Name", custom=EPIC_NAME_TYPE).id

    # --- site configuration --------------------------------------------------------------

    def set_priorities(self, names: Sequence[str]) -> tuple[Priority, ...]:
        """Replace the priority scheme; the middle priority becomes the default."""
        scheme = make_priorities(names)
        with self.lock:
            self.priorities = scheme
            self.default_priority = scheme[(len(scheme) - 1) // 2]
        return scheme

    def field_name(self, fid: str) -> str:
        """A field's display name, for messages."""
        cf = self.fields.get(fid)
        if cf is not None:
            return cf.name
        return next((f.name for f in FIELDS if f.id == fid), fid)

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
        """An issue by numeric id, key or former key (any case); ``None`` if unknown."""
        text = str(id_or_key).strip()
        with self.lock:
            issue_id = text if text.isdigit() else self._keys.get(text.upper())
            return self._issues.get(issue_id) if issue_id else None

    def find_visible(self, id_or_key: object) -> JIssue | None:
        """:meth:`find_issue`, but ``None`` for issues the bot may not see."""
        found = self.find_issue(id_or_key)
        return None if found is None or found.restricted else found

    def issue(self, id_or_key: str) -> JIssue:
        """An issue as a person in the tracker sees it, or 404 with Jira's message."""
        found = self.find_issue(id_or_key)
        if found is None:
            raise JiraError(404, [ISSUE_NOT_FOUND])
        return found

    def api_issue(self, id_or_key: str, *, write: bool = False) -> JIssue:
        """An issue as the bot's account sees it: 404 (or 403 on reads) when restricted."""
        found = self.issue(id_or_key)
        if found.restricted == 403 and not write:
            raise JiraError(403, [ISSUE_FORBIDDEN])
        if found.restricted:
            raise JiraError(404, [ISSUE_NOT_FOUND])
        return found

    def issues(self, project: JProject | None = None, *, visible: bool = False) -> list[JIssue]:
        """Every issue (of one project; only those the bot sees if ``visible``), oldest first."""
        with self.lock:
            return [
                i
                for i in self._issues.values()
                if (project is None or i.project is project) and not (visible and i.restricted)
            ]

    def children(self, epic: JIssue) -> list[JIssue]:
        """The issues whose epic is ``epic``, oldest first."""
        with self.lock:
            return [i for i in self._issues.values() if i.parent is epic]

    def create_issue(self, fields: object, reporter: str, *, rich: bool = True) -> JIssue:
        """Create an issue from a ``createIssue`` ``fields`` object (v3 if ``rich``, else v2)."""
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
        settable = {"project", "issuetype", "summary", "reporter", *PARSED}
        values = FieldValues(self, rich).parse(
            fields, errors, subject=None, issuetype=issuetype or ISSUE_TYPES[0], settable=settable
        )
        if errors:
            raise JiraError(400, [], errors)
        assert project is not None and issuetype is not None and isinstance(summary, str)
        with self.lock:
            now = self.clock.now()
            workflow = self.workflow(project)
            issue = JIssue(
                id=str(self._next_issue_id),
                key=f"{project.key}-{project.next_number}",
                number=project.next_number,
                project=project,
                summary=summary,
                issuetype=issuetype,
                priority=values.get("priority") or self.default_priority,
                status=workflow.initial if workflow else self.statuses[0],
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

    def edit_issue(self, issue: JIssue, fields: object, update: object, *, rich: bool = True) -> None:
        """Apply an ``editIssue`` body (``fields`` sets, ``update`` operations)."""
        fields = {} if fields is None else fields
        update = {} if update is None else update
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        errors: dict[str, str] = {}
        with self.lock:
            merged, comments = merge_update(issue, fields, update, errors)
            if "summary" in merged and (not isinstance(merged["summary"], str) or not merged["summary"].strip()):
                errors["summary"] = "You must specify a summary of the issue."
            issuetype = issue.issuetype
            if "issuetype" in merged:
                found = find_issue_type(merged["issuetype"])
                if found is None:
                    errors["issuetype"] = "The issue type selected is invalid."
                issuetype = found or issuetype
            settable = {"summary", "issuetype", *PARSED}
            values = FieldValues(self, rich).parse(
                merged, errors, subject=issue, issuetype=issuetype, settable=settable
            )
            for body in comments:
                if comment_error(body, rich):
                    errors["comment"] = COMMENT_INVALID
            if errors:
                raise JiraError(400, [], errors)
            if "summary" in merged:
                issue.summary = merged["summary"]
            issue.issuetype = issuetype
            self._apply(issue, values)
            issue.updated = self.clock.now()
            for body in comments:
                self.add_comment(issue, body, issue.reporter, rich=rich)

    def add_comment(self, issue: JIssue, body: object, author: str, *, rich: bool = True) -> JComment:
        """Comment on an issue; the body must be ADF (``rich``, v3) or a non-empty string (v2)."""
        problem = comment_error(body, rich)
        if problem:
            raise JiraError(400, *problem)
        assert isinstance(body, dict | str)
        with self.lock:
            now = self.clock.now()
            comment = JComment(str(self._next_comment_id), body, author, now, now)
            self._next_comment_id += 1
            issue.comments.append(comment)
            issue.updated = now
            return comment

    # --- identity ------------------------------------------------------------------------

    def move_issue(self, id_or_key: str, to_project: str) -> JIssue:
        """Move an issue to another project: new key, same id; the old key still finds it."""
        with self.lock:
            issue = self.issue(id_or_key)
            target = self.project(to_project)
            if target is issue.project:
                return issue
            issue.old_keys.append(issue.key)
            issue.project = target
            issue.number = target.next_number
            target.next_number += 1
            issue.key = f"{target.key}-{issue.number}"
            self._keys[issue.key] = issue.id
            workflow = self.workflow(target)
            if workflow is not None and not workflow.has_status(issue.status):
                self.move(issue, workflow.initial)
            issue.updated = self.clock.now()
            return issue

    def delete_issue(self, id_or_key: str) -> None:
        """Delete an issue: every key and its id answer 404 from then on."""
        with self.lock:
            issue = self.issue(id_or_key)
            del self._issues[issue.id]
            for key in [issue.key, *issue.old_keys]:
                self._keys.pop(key, None)
            for child in self.children(issue):
                child.parent = None

    def restrict_issue(self, id_or_key: str, status: int | None) -> None:
        """Hide an issue from the bot (404, or 403 on reads), or show it again (``None``)."""
        if status not in (403, 404, None):
            raise ValueError("a restricted issue answers 403 or 404 (None lifts the restriction)")
        with self.lock:
            self.issue(id_or_key).restricted = status

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
            status = Status(str(self._next_status_id), name.strip(), cat.key, self._new_transition_id())
            self._next_status_id += 1
            self.statuses.append(status)
            return status

    def _new_transition_id(self) -> str:
        tid = str(self._next_transition_id)
        self._next_transition_id += 10
        return tid

    def workflow(self, project: JProject) -> Workflow | None:
        """The project's explicit workflow; ``None`` means the all-to-all default."""
        return self.workflows.get(project.id)

    def set_workflow(
        self,
        project_key: str,
        statuses: Sequence[tuple[str, str]],
        transitions: Sequence[Mapping[str, Any]],
    ) -> Workflow:
        """Give a project an explicit workflow; its issues in other statuses go to the first."""
        with self.lock:
            project = self.project(project_key)
            resolved = [self.status(str(name), str(category)) for name, category in statuses]
            workflow = build_workflow(resolved, transitions, self._new_transition_id)
            self.workflows[project.id] = workflow
            for issue in self.issues(project):
                if not workflow.has_status(issue.status):
                    self.move(issue, workflow.initial)
            return workflow

    def person_status(self, issue: JIssue, name: str, category: str | None) -> Status:
        """The status a person moves ``issue`` to; in an explicit workflow it must be one of its own."""
        with self.lock:
            workflow = self.workflow(issue.project)
            if workflow is not None and category is None:
                found = next((s for s in workflow.statuses if s.name.lower() == name.strip().lower()), None)
                if found is None:
                    known = ", ".join(s.name for s in workflow.statuses)
                    raise ValueError(
                        f"status {name!r} is not in {issue.project.key}'s workflow (its statuses: {known}); "
                        "give a category to add it"
                    )
                return found
            target = self.status(name, category)
            if workflow is not None and not workflow.has_status(target):
                workflow.statuses.append(target)
            return target

    def transitions(self, issue: JIssue) -> list[Transition]:
        """The transitions available from the issue's current status."""
        with self.lock:
            workflow = self.workflow(issue.project)
            every = default_transitions(self.statuses) if workflow is None else workflow.transitions
            return [t for t in every if t.available_from(issue.status)]

    def do_transition(self, issue: JIssue, body: object, *, rich: bool = True) -> None:
        """Apply a ``doTransition`` body."""
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        transition = body.get("transition")
        tid = str(transition.get("id", "")) if isinstance(transition, dict) else ""
        if not tid:
            raise JiraError(400, ["Missing 'transition' identifier"])
        with self.lock:
            chosen = next((t for t in self.transitions(issue) if t.id == tid), None)
            if chosen is None:
                raise JiraError(400, [f"Transition id '{tid}' is not valid for this issue."])
            fields = body.get("fields") or {}
            update = body.get("update") or {}
            if not isinstance(fields, dict) or not isinstance(update, dict):
                raise JiraError(400, ["Can not deserialize the request body."])
            explicit = self.workflow(issue.project) is not None
            if explicit:
                screen = set(chosen.screen)
            else:
                screen = {"resolution"} if chosen.to.category == "done" else set()
            errors: dict[str, str] = {}
            resolution = None
            if "resolution" in fields:
                if "resolution" not in screen:
                    errors["resolution"] = NOT_SETTABLE.format("resolution")
                else:
                    problem = resolution_problem(chosen, fields["resolution"])
                    if problem:
                        errors["resolution"] = problem
                    resolution = find_resolution(fields["resolution"])
            # The default workflow takes comments on any transition; screens always offer one.
            comment_ok = not explicit or chosen.has_screen
            others = {n: v for n, v in fields.items() if n != "resolution"}
            for name in [*others, *update]:
                if name not in screen and not (name == "comment" and comment_ok):
                    errors[name] = NOT_SETTABLE.format(name)
            merged, comments = merge_update(issue, others, update, errors)
            values = FieldValues(self, rich).parse(
                merged, errors, subject=issue, issuetype=issue.issuetype, settable=screen
            )
            for body_ in comments:
                if comment_error(body_, rich):
                    errors["comment"] = COMMENT_INVALID
            for name in chosen.required:
                given = resolution if name == "resolution" else merged.get(name)
                if given in (None, "", []) and name not in errors:
                    errors[name] = f"{self.field_name(name)} is required."
            if errors:
                raise JiraError(400, [], errors)
            if isinstance(merged.get("summary"), str) and merged["summary"].strip():
                issue.summary = merged["summary"]
            self._apply(issue, values)
            if explicit:
                self._enter(issue, chosen.to, resolution)
            else:
                self.move(issue, chosen.to, resolution)
            for body_ in comments:
                self.add_comment(issue, body_, issue.reporter, rich=rich)

    def move(self, issue: JIssue, status: Status, resolution: Resolution | None = None) -> None:
        """Put the issue in ``status``; done statuses set a resolution (default Done), others clear it."""
        if resolution is not None and status.category != "done":
            raise ValueError("a resolution can only be set with a status in category done")
        if status.category == "done":
            resolution = resolution or find_resolution({"name": "Done"})
        self._enter(issue, status, resolution)

    def _enter(self, issue: JIssue, status: Status, resolution: Resolution | None) -> None:
        """Put the issue in ``status`` with ``resolution`` if given; leaving done clears it."""
        with self.lock:
            now = self.clock.now()
            if resolution is not None:
                if issue.resolution != resolution or issue.resolutiondate is None:
                    issue.resolutiondate = now
                issue.resolution = resolution
            elif status.category != "done":
                issue.resolution = None
                issue.resolutiondate = None
            if status.category != issue.status.category:
                issue.status_changed = now
            issue.status = status
            issue.updated = now

    # --- field helpers -------------------------------------------------------------------

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
    def _apply(issue: JIssue, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "custom":
                for fid, stored in value.items():
                    if stored is None:
                        issue.custom.pop(fid, None)
                    else:
                        issue.custom[fid] = stored
            elif name == "priority":
                if value is not None:
                    issue.priority = value
            else:
                setattr(issue, name, value)
