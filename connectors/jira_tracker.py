"""Jira Cloud and Jira Server/Data Center through the ``jira`` client library.

The deployment is read from ``serverInfo`` once (or set in the settings): Cloud speaks
REST v3 with Atlassian Document Format bodies and cursor-paged ``/search/jql``; Server and
Data Center speak REST v2 with wiki-markup strings and offset-paged ``/search``. The
site's priorities and fields are read at the same time and each project's rules from the
teams file are checked against them (:mod:`connectors.jira_site`).

Issues are tracked by their numeric id, so an issue moved to another project (new key)
is still found; the state read back carries its current key.

The library's own retries are switched off (``max_retries=0``): it would repeat a create
whose answer was lost, and the engine decides what to retry after looking for the marker.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from jira import JIRA, JIRAError

from connectors.adf import adf_to_text, markdown_to_adf
from connectors.base import (
    CommentRef,
    IssueGone,
    IssueRef,
    IssueState,
    ItemKey,
    ItemStatus,
    MisconfiguredError,
    MoveGoal,
    NewIssue,
    PermanentError,
    TrackerError,
    TrackerInfo,
    TrackerKind,
    TransientError,
    UnexpectedAnswer,
)
from connectors.edge import CallEdge, VendorError
from connectors.errors import secret_forms
from connectors.jira_fields import FieldDef, FieldError
from connectors.jira_search import cursor_pages, offset_pages
from connectors.jira_site import (
    DeploymentSetting,
    JiraProjectRules,
    ProjectSetup,
    SiteFacts,
    SiteProblem,
    detect_deployment,
    priorities_from_json,
    resolve_project,
)
from connectors.jira_transitions import NoTransition, Transition, choose_transition
from connectors.jira_wiki import markdown_to_wiki
from connectors.markers import TRACKING_LABEL, closes_with, find_item_marker, item_marker
from connectors.retry import DEFAULT_RETRY, RetryPolicy
from connectors.status_mapping import jira_status

_BASE_FIELDS: tuple[str, ...] = (
    "summary",
    "status",
    "resolution",
    "resolutiondate",
    "updated",
    "description",
    "labels",
    "project",
)
_PAGE = 100
#: Jira refuses text fields over 32,767 characters; markup and the marker need room too.
TEXT_LIMIT = 30_000
_NO_RULES = JiraProjectRules()
OLD_SEARCH_GONE = (
    "Jira answered 410 Gone to the offset-paged search: this site no longer has it, which means it "
    "is Jira Cloud. Set PMSYNC_JIRA_DEPLOYMENT=cloud (or auto)"
)


def parse_jira_time(value: str | None) -> datetime | None:
    """Jira's ``2024-03-12T14:47:00.000+0000`` (or ISO 8601) as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class JiraTracker:
    """A Jira site. Implements :class:`connectors.base.Tracker`."""

    kind: TrackerKind = "jira"

    def __init__(
        self,
        url: str,
        *,
        email: str | None,
        token: str,
        timeout: float = 20.0,
        deployment: DeploymentSetting = "auto",
        projects: Mapping[str, JiraProjectRules] | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        auth_hint: str = "",
        url_hint: str = "",
    ) -> None:
        self.url = url.rstrip("/")
        self._edge = CallEdge(
            url=self.url,
            api="Jira",
            secrets=secret_forms(token, email),
            vendor=_vendor_error,
            retry=retry,
            auth_hint=auth_hint,
            url_hint=url_hint,
        )
        self._call = self._edge.call
        self._setting: DeploymentSetting = deployment
        self._email = email
        self._timeout = timeout
        self._rules = dict(projects or {})
        self._facts: SiteFacts | None = None
        self._setups: dict[str, ProjectSetup | SiteProblem] = {}
        # Cloud: email + API token (HTTP Basic). Server/Data Center: a personal access token
        # as bearer, or a user name and password when an "email" (user name) is given.
        auth: dict[str, Any] = {"basic_auth": (email, token)} if email else {"token_auth": token}
        # REST v2 answers serverInfo on both deployments; the version is set after detection.
        self._jira = JIRA(
            server=self.url,
            options={"rest_api_version": "2"},
            max_retries=0,
            timeout=timeout,
            get_server_info=False,
            **auth,
        )
        self._fields = _BASE_FIELDS
        self._epic_link_id: str | None = None

    # -- discovery ----------------------------------------------------------------------

    def _site(self) -> SiteFacts:
        """serverInfo, priorities and fields, read once."""
        if self._facts is not None:
            return self._facts
        try:
            info: Any = self._call("GET serverInfo", self._jira.server_info)
        except IssueGone:
            info = None
        except PermanentError as exc:
            if exc.status == 401 and self._email is None and self._anonymous_says_cloud():
                raise MisconfiguredError(
                    "this site is Jira Cloud, which signs in with an email and an API token: set "
                    "PMSYNC_JIRA_EMAIL to the account PMSYNC_JIRA_TOKEN belongs to"
                ) from None
            raise
        if info is not None and (not isinstance(info, dict) or ("baseUrl" not in info and "version" not in info)):
            raise TransientError("GET serverInfo answered something that is not Jira's serverInfo")
        try:
            deployment = detect_deployment(info, self._setting)
        except SiteProblem as exc:
            raise MisconfiguredError(str(exc)) from None
        cloud = deployment == "cloud"
        self._jira._options["rest_api_version"] = "3" if cloud else "2"
        # The client's Cloud-only methods (``/search/jql``) check the deployment it records.
        self._jira.deploymentType = "Cloud" if cloud else "Server"
        try:
            priorities = self._call("GET priority", lambda: self._jira._get_json("priority"))
            fields = self._call("GET field", lambda: self._jira._get_json("field"))
        except IssueGone as exc:
            # Not an issue that is gone: the site is not where the settings say. Raised as
            # such, so that no linked issue is taken for deleted.
            raise MisconfiguredError(
                f"{exc}: check PMSYNC_JIRA_URL (the site's address, without a REST path) and PMSYNC_JIRA_DEPLOYMENT"
            ) from None
        if not isinstance(priorities, list) or not isinstance(fields, list):
            raise TransientError("GET priority or GET field answered something that is not a list")
        facts = SiteFacts(
            deployment=deployment,
            version=str((info or {}).get("version", "?")),
            priorities=priorities_from_json([p for p in priorities if isinstance(p, dict)]),
            # A field listed without an id cannot be set: leave it out rather than send an empty id.
            fields=tuple(
                FieldDef.from_json(f) for f in fields if isinstance(f, dict) and str(f.get("id") or "").strip()
            ),
            projects={project: self._issue_types(project) for project in self._rules},
        )
        try:
            epic_link = facts.epic_link()
        except FieldError:  # reported per project by resolve_project
            epic_link = None
        self._epic_link_id = epic_link.id if epic_link else None
        self._fields = _BASE_FIELDS + (("parent",) if cloud else ((epic_link.id,) if epic_link else ()))
        # The client translates field names through GET /field before searching; the
        # fields asked for are ids already, so seed its cache with them.
        self._jira._fields_cache_value = {name: name for name in self._fields}
        self._facts = facts
        self._setups = {}
        for project, rules in self._rules.items():
            try:
                self._setups[project] = resolve_project(project, rules, facts)
            except SiteProblem as exc:
                self._setups[project] = exc
        return facts

    def _issue_types(self, project: str) -> tuple[str, ...] | None:
        """The project's issue type names; None when it does not exist or cannot be seen."""
        try:
            raw = self._call(f"GET project {project}", lambda: self._jira._get_json(f"project/{project}"))
        except PermanentError as exc:
            if isinstance(exc, IssueGone) or exc.status == 403:
                return None
            raise
        types = raw.get("issueTypes") if isinstance(raw, dict) else None
        if not isinstance(types, list):
            raise TransientError(f"GET project {project} answered without its issue types")
        return tuple(str(t["name"]) for t in types if isinstance(t, dict) and t.get("name"))

    def _anonymous_says_cloud(self) -> bool:
        """Whether serverInfo, asked without credentials, says Jira Cloud (it answers anyone)."""
        anonymous = JIRA(
            server=self.url,
            options={"rest_api_version": "2"},
            max_retries=0,
            timeout=self._timeout,
            get_server_info=False,
        )
        try:
            info = self._call("GET serverInfo without credentials", anonymous.server_info)
        except TrackerError:
            return False
        finally:
            anonymous.close()  # type: ignore[no-untyped-call]
        return isinstance(info, dict) and str(info.get("deploymentType", "")).lower() == "cloud"

    def _setup(self, project: str) -> ProjectSetup:
        facts = self._site()
        setup = self._setups.get(project)
        if setup is None:
            setup = self._setups[project] = resolve_project(project, _NO_RULES, facts)
        if isinstance(setup, SiteProblem):
            raise MisconfiguredError(self._edge.scrub(f"the teams file does not fit this Jira site: {setup}"))
        return setup

    @property
    def _cloud(self) -> bool:
        return self._site().deployment == "cloud"

    def probe(self) -> TrackerInfo:
        try:
            facts = self._site()
            me: dict[str, Any] = self._call("GET myself", self._jira.myself)
        except UnexpectedAnswer as exc:
            raise PermanentError(
                f"{exc}: check PMSYNC_JIRA_URL (the site's address, e.g. https://acme.atlassian.net)"
            ) from exc
        problems = [str(s) for s in self._setups.values() if isinstance(s, SiteProblem)]
        if problems:
            raise MisconfiguredError(
                self._edge.scrub("the teams file does not fit this Jira site: " + "; ".join(problems))
            )
        kind = "Cloud" if facts.deployment == "cloud" else "Server/Data Center"
        account = str(me.get("displayName") or me.get("accountId") or me.get("name") or "?")
        return TrackerInfo(
            kind="jira",
            url=self.url,
            # The site's own words: scrubbed like every other text it sends.
            detail=f"Jira {kind} {printable_version(self._edge.scrub(facts.version))}",
            extra={"account": self._edge.scrub(account)},
        )

    # -- reading ------------------------------------------------------------------------

    def _text(self, value: Any) -> str:
        return value if isinstance(value, str) else adf_to_text(value)

    def _marked(self, markdown: str, marker: str) -> Any:
        """``markdown`` cut to fit Jira's text limit, then ``marker`` (in a code span: ids may
        hold "_", which Markdown would read as emphasis), in the site's text format."""
        if len(markdown) > TEXT_LIMIT:
            markdown = markdown[:TEXT_LIMIT].rstrip() + "\n\n(cut here: Jira takes at most 32,767 characters)"
        return self._body(f"{markdown}\n\n`{marker}`")

    def _body(self, markdown: str) -> Any:
        return markdown_to_adf(markdown) if self._cloud else markdown_to_wiki(markdown)

    def _ref(self, raw: dict[str, Any]) -> IssueRef:
        key = str(raw["key"])
        return IssueRef(
            tracker="jira",
            target=key.rsplit("-", 1)[0],
            key=key,
            id=str(raw["id"]),
            url=f"{self.url}/browse/{key}",
        )

    def _state(self, raw: dict[str, Any], home: str | None = None) -> IssueState:
        fields = raw.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        resolution = (fields.get("resolution") or {}).get("name")
        name = status.get("name")
        ref = self._ref(raw)
        # The rules of the project it is in; moved where no team files, its team's own.
        rules = self._rules.get(ref.target) or (self._rules.get(home) if home else None) or _NO_RULES
        detail = str(name or "?") + (f" / {resolution}" if resolution else "")
        parent = fields.get("parent")
        parent_key = parent.get("key") if isinstance(parent, dict) else None
        if parent_key is None and self._epic_link_id:
            epic = fields.get(self._epic_link_id)
            parent_key = epic if isinstance(epic, str) and epic else None
        labels = fields.get("labels")
        return IssueState(
            ref=ref,
            status=jira_status(
                category,
                name,
                resolution,
                wont_fix_resolutions=rules.wont_fix_resolutions,
                wont_fix_statuses=rules.wont_fix_statuses,
            ),
            detail=self._edge.scrub(detail),
            updated_at=parse_jira_time(fields.get("updated")),
            finished_at=parse_jira_time(fields.get("resolutiondate")),
            item=find_item_marker(self._text(fields.get("description"))),
            labels=tuple(str(x) for x in labels) if isinstance(labels, list) else (),
            parent_key=str(parent_key) if parent_key else None,
        )

    def get_issue(self, ref: IssueRef, home: str | None = None) -> IssueState:
        self._site()
        try:
            issue = self._call(f"GET issue {ref.key}", lambda: self._jira.issue(ref.id, fields=",".join(self._fields)))
        except PermanentError as exc:
            if exc.status == 403:
                # Jira usually hides what an account may not see behind 404; some sites say 403.
                raise IssueGone(f"{ref.key} cannot be seen with this account ({exc})", status=403) from exc
            raise
        return self._state(issue.raw, home)

    def find_by_marker(
        self,
        target: str,
        items: Iterable[ItemKey],
        since: datetime | None,
        expect: Collection[str] = (),
    ) -> dict[ItemKey, IssueState]:
        wanted = set(items)
        if not wanted:
            return {}
        # ``since`` is not turned into JQL: JQL dates are read in the searching user's time
        # zone, and the label already narrows the search to the issues this worker filed.
        if target == "*":
            jql = f'labels = "{TRACKING_LABEL}" ORDER BY created ASC'
            what = f"search Jira for the {TRACKING_LABEL} label"
        else:
            jql = f'project = "{target}" AND labels = "{TRACKING_LABEL}" ORDER BY created ASC'
            what = f"search Jira project {target}"
        found: dict[ItemKey, IssueState] = {}
        seen: set[str] = set()
        for raw in self._search(jql, what):
            fields = raw.get("fields") if isinstance(raw, dict) else None
            if not isinstance(fields, dict) or "description" not in fields:
                # The marker is in the description: an issue listed without it cannot be
                # told apart from one that is not ours, so this answer proves nothing.
                raise TrackerError(
                    f"{what}: the search answer lists issue {raw.get('key', '?') if isinstance(raw, dict) else '?'} "
                    "without its description, where the marker is; it cannot show which items are filed"
                )
            state = self._state(raw)
            seen.add(state.ref.id)
            if state.item in wanted and state.item not in found:
                found[state.item] = state
        missing = sorted(set(expect) - seen)
        if missing:
            raise TrackerError(
                f"{what}: the search answer is incomplete: it lacks {len(missing)} issue(s) that carry the "
                f"{TRACKING_LABEL} label (ids {', '.join(missing[:5])}); the site's search index may be rebuilding"
            )
        return found

    def marker_scope(self, target: str) -> str:
        # The whole site: an issue moved to another project still carries its marker.
        return "*"

    def _search(self, jql: str, what: str) -> Iterator[dict[str, Any]]:
        fields = list(self._fields)
        if self._cloud:
            return cursor_pages(
                lambda token: self._call(
                    what,
                    lambda: self._jira.enhanced_search_issues(
                        jql, nextPageToken=token, maxResults=_PAGE, fields=fields, json_result=True
                    ),
                ),
                what,
            )

        def page(start: int) -> Any:
            try:
                return self._call(
                    what,
                    lambda: self._jira.search_issues(
                        jql, startAt=start, maxResults=_PAGE, fields=fields, json_result=True
                    ),
                )
            except PermanentError as exc:
                if exc.status == 410:
                    raise MisconfiguredError(f"{what}: {OLD_SEARCH_GONE}", status=410) from exc
                raise

        return offset_pages(page, what)

    # -- writing ------------------------------------------------------------------------

    def _issue_fields(self, new: NewIssue, setup: ProjectSetup) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "summary": new.title,
            "description": self._marked(new.body_markdown, item_marker(new.item)),
            "duedate": new.deadline.isoformat(),
        }
        priority = setup.priority_ids.get(new.priority)
        if priority:  # never an empty id: without one the site's default priority applies
            fields["priority"] = {"id": priority}
        return fields

    def create_issue(self, new: NewIssue) -> IssueState:
        setup = self._setup(new.target)
        fields = {
            "project": {"key": new.target},
            "issuetype": {"name": new.issue_type},
            "labels": _labels(new.labels),
            **setup.extra_fields,
            **self._issue_fields(new, setup),
        }
        facts = self._site()
        epic_name = facts.epic_name()
        if epic_name is not None and new.issue_type.casefold() == "epic":
            fields[epic_name.id] = new.title[:255]
        if new.parent is not None:
            fields.update(self._parent_fields(new.parent))
        try:
            created = self._call(
                f"POST issue in {new.target}",
                lambda: self._jira.create_issue(fields=fields, prefetch=False),
                write=True,
            )
        except PermanentError as exc:
            if exc.status != 400:
                raise
            rules = self._rules.get(new.target, _NO_RULES)
            who = ", ".join(rules.teams) or f"the team of {new.target}"
            message = str(exc)
            for known in facts.fields:
                if known.custom and known.id in message:
                    message = message.replace(known.id, f'{known.id} ("{known.name}")')
            raise PermanentError(
                f"{message} (the site refused what the teams file asks for {who}: check its issue_type, "
                "tracking_issue_type, fields and priorities)",
                status=400,
            ) from exc
        ref = self._ref(created.raw)
        try:
            return self.get_issue(ref)
        except TrackerError:
            # The issue exists; what matters now is to link it. Its status is read next cycle.
            return IssueState(ref=ref, status=ItemStatus.OPEN, detail="created", item=new.item)

    def _parent_fields(self, parent: IssueRef) -> dict[str, Any]:
        if self._cloud:
            return {"parent": {"id": parent.id}}
        epic_link = self._site().epic_link()
        if epic_link is None:
            raise PermanentError(
                "this Jira site has no Epic Link field (Jira Software), so issues cannot go under an epic"
            )
        return {epic_link.id: parent.key}

    def _edit(self, ref: IssueRef, fields: dict[str, Any], what: str) -> None:
        url = self._jira._get_url(f"issue/{ref.id}")
        self._call(what, lambda: self._jira._session.put(url, data=json.dumps({"fields": fields})), write=True)

    def update_issue(self, ref: IssueRef, new: NewIssue, changed: Collection[str]) -> None:
        fields = self._issue_fields(new, self._setup(ref.target))
        # Only what changed: a due date or priority the team set in Jira stays theirs.
        wanted = {"text": "summary", "deadline": "duedate", "priority": "priority"}
        keep = {"description"} | {name for field, name in wanted.items() if field in changed}
        self._edit(ref, {name: value for name, value in fields.items() if name in keep}, f"PUT issue {ref.key}")

    def set_parent(self, ref: IssueRef, parent: IssueRef) -> bool:
        try:
            self._edit(ref, self._parent_fields(parent), f"PUT issue {ref.key} under {parent.key}")
            return True
        except PermanentError as exc:
            if exc.status != 400:
                raise
            raise PermanentError(
                f"{parent.key} cannot hold {ref.key} ({exc}): a tracking issue must be an Epic here; change its "
                "type to Epic in Jira, or set tracking_issue_type for the post-mortems to come",
                status=400,
            ) from exc

    def set_label(self, ref: IssueRef, label: str, present: bool) -> bool:
        # Jira shows an overdue issue by its due date; the worker labels none.
        raise PermanentError(f"cannot label {ref.key}: postmortem-sync sets no labels on filed Jira issues")

    def move_issue(self, ref: IssueRef, goal: MoveGoal) -> IssueState:
        wanted = ItemStatus.COMPLETED if goal == "done" else ItemStatus.WONT_FIX
        state = self.get_issue(ref)
        if state.status == wanted or (goal == "open" and not state.status.finished):
            return state
        rules = self._rules.get(state.ref.target, _NO_RULES)
        raw = self._call(
            f"GET transitions of {state.ref.key}",
            lambda: self._jira.transitions(ref.id, expand="transitions.fields"),
        )
        transitions = [Transition.from_json(t) for t in raw if isinstance(t, dict)]
        pinned = {"done": rules.done_transition, "wont-fix": rules.wont_fix_transition}.get(goal)
        try:
            choice = choose_transition(
                transitions,
                goal,
                configured_id=pinned,
                wont_fix_statuses=rules.wont_fix_statuses,
                wont_fix_resolutions=rules.wont_fix_resolutions,
            )
        except NoTransition as exc:
            project = state.ref.target
            who = ", ".join(rules.teams) or f"the team of project {project}"
            setting = f'transitions: {{{goal.replace("-", "_")}: "{pinned}"}}'
            if pinned is not None:
                hint = (
                    f"The teams file pins {setting} for {who}: correct the id, "
                    "or remove it to let postmortem-sync choose by where each transition leads"
                )
            elif goal == "wont-fix":
                hint = (
                    f"The workflow of {project} offers no way to say won't do that postmortem-sync recognises. "
                    "If it has a status meaning that under another name, list it in wont_fix_statuses (a "
                    f"resolution: wont_fix_resolutions) of every team filing into {project} ({who}) in the teams "
                    "file; if it has none, add one to the workflow (a Done-category status such as Won't Do, or "
                    "a resolution screen offering Won't Do); or close the issue by hand"
                )
            elif goal == "open":
                hint = "Move it back to an open status by hand; the worker moves it to done again when it closes"
            else:
                hint = (
                    f"Pin the transition for {who} with transitions: {{done: ID}} in the teams file, or move it by hand"
                )
            message = f"cannot move {state.ref.key} from {state.detail} to {goal}: {exc}. {hint}"
            raise PermanentError(self._edge.scrub(message)) from None
        fields = {"resolution": {"name": choice.resolution}} if choice.resolution else {}
        self._call(
            f"POST transition {choice.transition.name} of {state.ref.key}",
            lambda: self._jira.transition_issue(ref.id, choice.transition.id, fields=fields),
            write=True,
        )
        # Read back: the caller judges whether it is where it was asked to go.
        return self.get_issue(ref)

    def post_comment(self, issue_key: str, body_markdown: str, marker: str) -> CommentRef:
        for comment in self._comments(issue_key):
            if closes_with(self._text(comment.get("body")), marker):
                return CommentRef(
                    issue_key=issue_key,
                    url=self._comment_url(issue_key, comment),
                    already_there=True,
                )
        body = self._marked(body_markdown, marker)
        created = self._call(
            f"POST comment on {issue_key}",
            lambda: self._jira.add_comment(issue_key, body),
            write=True,
        )
        return CommentRef(issue_key=issue_key, url=self._comment_url(issue_key, created.raw))

    def _comments(self, issue_key: str) -> Iterator[dict[str, Any]]:
        self._site()
        start = 0
        while True:
            page = self._call(
                f"GET comments of {issue_key}",
                lambda start=start: self._jira.comments(  # type: ignore[misc]
                    issue_key, start_at=start, max_results=_PAGE
                ),
            )
            for comment in page:
                yield comment.raw
            start += len(page)
            if len(page) < _PAGE:
                return

    def _comment_url(self, issue_key: str, comment: dict[str, Any]) -> str:
        return f"{self.url}/browse/{issue_key}?focusedCommentId={comment.get('id', '')}"

    def close(self) -> None:
        self._jira.close()  # type: ignore[no-untyped-call]


def printable_version(version: str) -> str:
    """A site's version string, kept short and on one line."""
    return " ".join(version.split())[:40]


def _labels(labels: Iterable[str]) -> list[str]:
    # Jira labels cannot contain spaces.
    out = [label.replace(" ", "-") for label in labels]
    if TRACKING_LABEL not in out:
        out.append(TRACKING_LABEL)
    return list(dict.fromkeys(out))


def _vendor_error(exc: Exception) -> VendorError | None:
    if not isinstance(exc, JIRAError):
        return None
    headers = exc.response.headers if exc.response is not None else None
    return VendorError(exc.status_code, _jira_detail(exc), headers)


def _jira_detail(exc: JIRAError) -> str:
    response = getattr(exc, "response", None)
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    messages = body.get("errorMessages")
    parts = [str(m) for m in messages] if isinstance(messages, list) else []
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{k}: {v}" for k, v in errors.items()]
    elif isinstance(errors, list):
        parts += [str(e) for e in errors]
    return "; ".join(parts)
