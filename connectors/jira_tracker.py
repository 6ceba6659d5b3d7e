"""Jira Cloud through the ``jira`` client library (REST v3, Atlassian Document Format).

The library's own retries are switched off (``max_retries=0``): it would repeat a create
whose answer was lost, and the engine decides what to retry after looking for the marker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from jira import JIRA, JIRAError

from connectors.adf import adf_to_text, markdown_to_adf
from connectors.base import (
    CommentRef,
    IssueGone,
    IssueRef,
    IssueState,
    ItemKey,
    ItemStatus,
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
from connectors.jira_priorities import DEFAULTS, choose_priorities
from connectors.markers import TRACKING_LABEL, find_item_marker, item_marker
from connectors.retry import DEFAULT_RETRY, RetryPolicy
from connectors.status_mapping import jira_status

T = TypeVar("T")

_STATE_FIELDS = "summary,status,resolution,resolutiondate,updated,description,labels"
_PAGE = 100


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
    """A Jira Cloud site. Implements :class:`connectors.base.Tracker`."""

    kind: TrackerKind = "jira"

    def __init__(
        self,
        url: str,
        *,
        email: str | None,
        token: str,
        timeout: float = 20.0,
        priorities: dict[str, str] | None = None,
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
        self._priority_overrides = dict(priorities or {})
        self._priorities: dict[str, str | None] | None = None
        auth: dict[str, Any] = {"basic_auth": (email, token)} if email else {"token_auth": token}
        self._server_info: dict[str, Any] | None = None
        self._jira = JIRA(
            server=self.url,
            options={"rest_api_version": "3"},
            max_retries=0,
            timeout=timeout,
            get_server_info=False,
            **auth,
        )
        # The client translates field names through GET /field before every search. The
        # fields we ask for are system fields whose ids are their names, so seed that cache
        # and spare a request (and a dependency on an endpoint we do not otherwise need).
        self._jira._fields_cache_value = {name: name for name in _STATE_FIELDS.split(",")}

    # -- helpers -------------------------------------------------------------------------

    def _ref(self, raw: dict[str, Any]) -> IssueRef:
        key = str(raw["key"])
        return IssueRef(
            tracker="jira",
            target=key.rsplit("-", 1)[0],
            key=key,
            id=str(raw["id"]),
            url=f"{self.url}/browse/{key}",
        )

    def _state(self, raw: dict[str, Any]) -> IssueState:
        fields = raw.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        resolution = (fields.get("resolution") or {}).get("name")
        name = status.get("name")
        detail = str(name or "?") + (f" / {resolution}" if resolution else "")
        return IssueState(
            ref=self._ref(raw),
            status=jira_status(category, name, resolution),
            detail=self._edge.scrub(detail),
            updated_at=parse_jira_time(fields.get("updated")),
            finished_at=parse_jira_time(fields.get("resolutiondate")),
            item=find_item_marker(adf_to_text(fields.get("description"))),
        )

    # -- Tracker -------------------------------------------------------------------------

    def _priority_name(self, ours: str) -> str | None:
        """The site's name for one of our priorities, from its priority list (read once)."""
        if self._priorities is None:
            try:
                names = self._call("GET priority", lambda: [p.name for p in self._jira.priorities()])
            except TrackerError:
                return self._priority_overrides.get(ours) or DEFAULTS.get(ours)  # try again next time
            self._priorities = choose_priorities(names, self._priority_overrides)
        return self._priorities.get(ours)

    def _info(self) -> dict[str, Any]:
        """serverInfo, read once. The client's Cloud-only methods (``/search/jql``) check
        the deployment type it records, so it must be known before searching."""
        if self._server_info is None:
            try:
                info: dict[str, Any] = self._call("GET serverInfo", self._jira.server_info)
            except IssueGone:
                # A site that hides serverInfo still speaks REST v3, which is Jira Cloud's API.
                info = {"deploymentType": "Cloud", "version": "?"}
            if not isinstance(info, dict) or ("baseUrl" not in info and "version" not in info):
                raise TransientError("GET serverInfo answered something that is not Jira's serverInfo")
            # REST v3 is Jira Cloud's API; a site that does not say otherwise is Cloud.
            self._jira.deploymentType = info.get("deploymentType") or "Cloud"
            self._server_info = info
        return self._server_info

    def probe(self) -> TrackerInfo:
        try:
            info = self._info()
            me: dict[str, Any] = self._call("GET myself", self._jira.myself)
        except UnexpectedAnswer as exc:
            raise PermanentError(
                f"{exc}: check PMSYNC_JIRA_URL (the site's address, e.g. https://acme.atlassian.net)"
            ) from exc
        return TrackerInfo(
            kind="jira",
            url=self.url,
            detail=f"{info.get('deploymentType', '?')} {info.get('version', '?')}",
            extra={"account": str(me.get("displayName") or me.get("accountId") or "?")},
        )

    def create_issue(self, new: NewIssue) -> IssueState:
        # In a code span: ids may hold "_", which Markdown would read as emphasis.
        body = f"{new.body_markdown}\n\n`{item_marker(new.item)}`"
        fields: dict[str, Any] = {
            "project": {"key": new.target},
            "issuetype": {"name": new.issue_type},
            "summary": new.title,
            "description": markdown_to_adf(body),
            "labels": _labels(new.labels),
            "duedate": new.deadline.isoformat(),
        }
        priority = self._priority_name(new.priority)
        if priority:
            fields["priority"] = {"name": priority}
        created = self._call(
            f"POST issue in {new.target}",
            lambda: self._jira.create_issue(fields=fields, prefetch=False),
            write=True,
        )
        ref = self._ref(created.raw)
        try:
            return self.get_issue(ref)
        except TrackerError:
            # The issue exists; what matters now is to link it. Its status is read next cycle.
            return IssueState(ref=ref, status=ItemStatus.OPEN, detail="created", item=new.item)

    def get_issue(self, ref: IssueRef) -> IssueState:
        issue = self._call(f"GET issue {ref.key}", lambda: self._jira.issue(ref.id, fields=_STATE_FIELDS))
        return self._state(issue.raw)

    def find_by_marker(
        self, target: str, items: Iterable[ItemKey], since: datetime | None
    ) -> dict[ItemKey, IssueState]:
        wanted = set(items)
        if not wanted:
            return {}
        # ``since`` is not turned into JQL: JQL dates are read in the searching user's time
        # zone, and the label already narrows the search to the issues this worker filed.
        jql = f'project = "{target}" AND labels = "{TRACKING_LABEL}" ORDER BY created ASC'
        found: dict[ItemKey, IssueState] = {}
        for raw in self._search(jql, f"search Jira project {target}"):
            state = self._state(raw)
            if state.item in wanted and state.item not in found:
                found[state.item] = state
        return found

    def _search(self, jql: str, what: str) -> Iterator[dict[str, Any]]:
        self._info()
        token: str | None = None
        while True:
            page: dict[str, Any] = self._call(
                what,
                lambda token=token: self._jira.enhanced_search_issues(  # type: ignore[misc]
                    jql,
                    nextPageToken=token,
                    maxResults=_PAGE,
                    fields=_STATE_FIELDS.split(","),
                    json_result=True,
                ),
            )
            issues = page.get("issues") if isinstance(page, dict) else None
            token = page.get("nextPageToken") if isinstance(page, dict) else None
            is_last = page.get("isLast") if isinstance(page, dict) else None
            # An answer without its paging fields, or one that says more follows without
            # saying how to get it, is not "nothing more found".
            if not isinstance(issues, list) or not isinstance(is_last, bool) or (not is_last and not token):
                raise TrackerError(f"{what}: the search answer is incomplete")
            yield from issues
            if is_last:
                return

    def post_comment(self, issue_key: str, body_markdown: str, marker: str) -> CommentRef:
        for comment in self._comments(issue_key):
            if marker in adf_to_text(comment.get("body")):
                return CommentRef(
                    issue_key=issue_key,
                    url=self._comment_url(issue_key, comment),
                    already_there=True,
                )
        doc = markdown_to_adf(f"{body_markdown}\n\n`{marker}`")
        created = self._call(
            f"POST comment on {issue_key}",
            lambda: self._jira.add_comment(issue_key, doc),
            write=True,
        )
        return CommentRef(issue_key=issue_key, url=self._comment_url(issue_key, created.raw))

    def _comments(self, issue_key: str) -> Iterator[dict[str, Any]]:
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
