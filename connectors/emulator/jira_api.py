"""The fake Jira Cloud site: the REST v3 routes the Jira connector uses, as Jira answers them.

Auth is HTTP Basic ``email:api-token``; only ``serverInfo`` may be read anonymously. Errors
carry Jira's ``{"errorMessages": [...], "errors": {...}}`` body. Search is the cursor-paged
``/rest/api/3/search/jql``; the removed ``/rest/api/3/search`` answers 410 as Cloud does now.
An optional per-account rate limit answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import jql
from .clock import Clock, jira_time
from .faults import Faults, ServerName
from .jira_catalog import ISSUE_TYPES, PRIORITIES, STATUS_CATEGORIES, find_category
from .jira_json import JiraRenderer, JsonDict, parse_field_list
from .jira_state import JiraError, JiraState, account_id
from .ratelimit import RateLimiter
from .request_log import RequestLog
from .wsgi import ControlHandler, ServiceApp, json_response, read_json

Handler = Callable[[Request, Mapping[str, Any]], Response]

API = "/rest/api/3"
VERSION = "1001.0.0-SNAPSHOT"
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_CURSOR = "The provided next page token is invalid or expired."
SEARCH_BODY_KEYS = {
    "jql",
    "nextPageToken",
    "maxResults",
    "fields",
    "expand",
    "properties",
    "fieldsByKeys",
    "reconcileIssues",
    "failFast",
}


def _routes() -> Map:
    r = [
        ("/serverInfo", "server_info", "GET"),
        ("/myself", "myself", "GET"),
        ("/field", "fields", "GET"),
        ("/priority", "priorities", "GET"),
        ("/priority/<pid>", "priority", "GET"),
        ("/resolution", "resolutions", "GET"),
        ("/status", "statuses", "GET"),
        ("/status/<id_or_name>", "status", "GET"),
        ("/statuscategory", "categories", "GET"),
        ("/statuscategory/<id_or_key>", "category", "GET"),
        ("/issuetype", "issue_types", "GET"),
        ("/issuetype/<tid>", "issue_type", "GET"),
        ("/project", "projects", "GET"),
        ("/project/search", "project_search", "GET"),
        ("/project/<id_or_key>", "project", "GET"),
        ("/issue", "create_issue", "POST"),
        ("/issue/<key>", "get_issue", "GET"),
        ("/issue/<key>", "edit_issue", "PUT"),
        ("/issue/<key>/transitions", "transitions", "GET"),
        ("/issue/<key>/transitions", "do_transition", "POST"),
        ("/issue/<key>/comment", "comments", "GET"),
        ("/issue/<key>/comment", "add_comment", "POST"),
        ("/issue/<key>/comment/<cid>", "comment", "GET"),
        ("/search/jql", "search_jql", "GET"),
        ("/search/jql", "search_jql", "POST"),
        ("/search/approximate-count", "count", "POST"),
        ("/search", "search_removed", "GET"),
        ("/search", "search_removed", "POST"),
    ]
    rules = [Rule(API + path, endpoint=ep, methods=[m]) for path, ep, m in r]
    return Map(rules, strict_slashes=False, merge_slashes=False)


def _error(status: int, *messages: str, errors: dict[str, str] | None = None) -> Response:
    return json_response({"errorMessages": list(messages), "errors": errors or {}}, status)


def _int_param(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise JiraError(400, [f"The value '{value}' is not valid for the parameter {name}."]) from None
    if number < 0:
        raise JiraError(400, [f"The value '{value}' is not valid for the parameter {name}."])
    return number


class JiraApp(ServiceApp):
    """WSGI app answering as a Jira Cloud site for one account."""

    name: ServerName = "jira"

    def __init__(
        self,
        *,
        state: JiraState,
        clock: Clock,
        email: str,
        token: str,
        rate_limit: RateLimiter | None,
        faults: Faults,
        log: RequestLog,
        control: ControlHandler,
        latency: float = 0.0,
    ) -> None:
        super().__init__(faults=faults, log=log, control=control, latency=latency)
        self.state = state
        self.clock = clock
        self.email = email
        self.token = token
        self.account = account_id(email)
        self.rate_limit = rate_limit
        self._map = _routes()
        self._request_ids = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "server_info": self._server_info,
            "myself": self._myself,
            "fields": lambda _r, _a: json_response(self.renderer.fields()),
            "priorities": lambda _r, _a: json_response(self.renderer.priorities()),
            "priority": self._priority,
            "resolutions": lambda _r, _a: json_response(self.renderer.resolutions()),
            "statuses": lambda _r, _a: json_response([self.renderer.status(s) for s in self.state.statuses]),
            "status": self._status,
            "categories": lambda _r, _a: json_response([self.renderer.category(c) for c in STATUS_CATEGORIES.values()]),
            "category": self._category,
            "issue_types": lambda _r, _a: json_response([self.renderer.issue_type(t) for t in ISSUE_TYPES]),
            "issue_type": self._issue_type,
            "projects": lambda _r, _a: json_response([self.renderer.project(p) for p in self.state.projects()]),
            "project_search": self._project_search,
            "project": self._project,
            "create_issue": self._create_issue,
            "get_issue": self._get_issue,
            "edit_issue": self._edit_issue,
            "transitions": self._transitions,
            "do_transition": self._do_transition,
            "comments": self._comments,
            "add_comment": self._add_comment,
            "comment": self._comment,
            "search_jql": self._search_jql,
            "count": self._count,
            "search_removed": lambda _r, _a: _error(410, SEARCH_REMOVED),
        }

    @property
    def renderer(self) -> JiraRenderer:
        """Renders store objects with this server's URLs."""
        return JiraRenderer(self.state, self.base_url, self.account, self.email)

    # --- pipeline ------------------------------------------------------------------------

    def _credentials(self, request: Request) -> tuple[bool, bool]:
        """(sent credentials, credentials valid)."""
        header = request.headers.get("Authorization", "")
        if not header:
            return False, False
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return True, False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return True, False
        email, _, token = decoded.partition(":")
        return True, email.lower() == self.email.lower() and token == self.token

    def _headers(self, response: Response, authed: bool) -> Response:
        n = next(self._request_ids)
        response.headers["X-AREQUESTID"] = f"{n:08x}-{n * 2654435761 % 16**8:08x}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if authed:
            response.headers["X-AAccountId"] = self.account
        return response

    def dispatch(self, request: Request) -> Response:
        """Authenticate, rate-limit, route and answer one request."""
        sent, valid = self._credentials(request)
        adapter = self._map.bind("", path_info=request.path, url_scheme="http")
        try:
            endpoint, args = adapter.match(method=request.method)
        except MethodNotAllowed:
            return self._headers(json_response(None, 405), valid)
        except (NotFound, HTTPException):
            endpoint, args = "", {}
        if (sent and not valid) or (not sent and endpoint != "server_info"):
            response = _error(401, NOT_AUTHENTICATED)
            response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
            return self._headers(response, False)
        if self.rate_limit is not None and valid:
            quota = self.rate_limit.consume(self.email.lower())
            if not quota.allowed:
                response = _error(429, "Rate limit exceeded.")
                retry = max(1, int(quota.reset - self.clock.now() + 0.999))
                response.headers["Retry-After"] = str(retry)
                response.headers["X-RateLimit-Limit"] = str(quota.limit)
                response.headers["X-RateLimit-Remaining"] = "0"
                response.headers["X-RateLimit-Reset"] = datetime.fromtimestamp(quota.reset, tz=UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
                return self._headers(response, valid)
        handler = self._handlers.get(endpoint)
        if handler is None:
            return self._headers(_error(404, f"null for uri: {request.url}"), valid)
        try:
            with self.state.lock:
                response = handler(request, args)
        except JiraError as exc:
            response = json_response(exc.body(), exc.status)
        except jql.JqlError as exc:
            response = _error(400, str(exc))
        return self._headers(response, valid)

    def fault_response(self, status: int, retry_after: int | None) -> Response:
        """Jira's answer for an injected failure."""
        messages = {
            429: "Rate limit exceeded.",
            503: "Service Unavailable",
            502: "Bad Gateway",
            504: "Gateway Timeout",
        }
        response = _error(status, messages.get(status, "Internal server error"))
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return self._headers(response, False)

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _body(request: Request) -> Any:
        try:
            return read_json(request)
        except ValueError as exc:
            raise JiraError(400, [f"Unexpected character in the request body: {exc}"]) from exc

    @staticmethod
    def _expand(value: object) -> set[str]:
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            return set()
        return {v.strip().lower() for v in value.split(",") if v.strip()}

    # --- metadata ------------------------------------------------------------------------

    def _server_info(self, request: Request, args: Mapping[str, Any]) -> Response:
        return json_response(
            {
                "baseUrl": self.base_url,
                "displayUrl": self.base_url,
                "version": VERSION,
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100289,
                "buildDate": "2025-12-01T00:00:00.000+0000",
                "serverTime": jira_time(self.clock.now()),
                "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
                "serverTitle": "Jira",
            }
        )

    def _myself(self, request: Request, args: Mapping[str, Any]) -> Response:
        return json_response(self.renderer.user(self.account, full=True))

    def _priority(self, request: Request, args: Mapping[str, Any]) -> Response:
        for p in PRIORITIES:
            if p.id == args["pid"]:
                return json_response(self.renderer.priority(p))
        return _error(404, f"The priority with id '{args['pid']}' does not exist.")

    def _status(self, request: Request, args: Mapping[str, Any]) -> Response:
        wanted = args["id_or_name"].lower()
        for s in self.state.statuses:
            if wanted in (s.id, s.name.lower()):
                return json_response(self.renderer.status(s))
        return _error(404, f"The status with id '{args['id_or_name']}' does not exist.")

    def _category(self, request: Request, args: Mapping[str, Any]) -> Response:
        cat = find_category(args["id_or_key"])
        if cat is None:
            return _error(404, f"The status category '{args['id_or_key']}' does not exist.")
        return json_response(self.renderer.category(cat))

    def _issue_type(self, request: Request, args: Mapping[str, Any]) -> Response:
        for t in ISSUE_TYPES:
            if t.id == args["tid"]:
                return json_response(self.renderer.issue_type(t))
        return _error(404, "The issue type with the provided ID doesn't exist.")

    def _project(self, request: Request, args: Mapping[str, Any]) -> Response:
        return json_response(self.renderer.project(self.state.project(args["id_or_key"])))

    def _project_search(self, request: Request, args: Mapping[str, Any]) -> Response:
        start = _int_param(request.args.get("startAt"), "startAt", 0)
        size = _int_param(request.args.get("maxResults"), "maxResults", 50)
        projects = self.state.projects()
        chosen = projects[start : start + size]
        return json_response(
            {
                "self": request.url,
                "maxResults": size,
                "startAt": start,
                "total": len(projects),
                "isLast": start + size >= len(projects),
                "values": [self.renderer.project(p) for p in chosen],
            }
        )

    # --- issues --------------------------------------------------------------------------

    def _create_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = self._body(request)
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        issue = self.state.create_issue(body.get("fields"), self.account)
        api = self.renderer.api
        return json_response({"id": issue.id, "key": issue.key, "self": f"{api}/issue/{issue.id}"}, 201)

    def _get_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        fields = parse_field_list(request.args.getlist("fields"), ["*all"])
        expand = self._expand(request.args.get("expand"))
        return json_response(self.renderer.issue(issue, fields, expand))

    def _edit_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        body = self._body(request) or {}
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        self.state.edit_issue(issue, body.get("fields"), body.get("update"))
        if request.args.get("returnIssue", "").lower() == "true":
            return json_response(self.renderer.issue(issue))
        return json_response(None, 204)

    def _transitions(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        transitions = self.renderer.transitions(issue)
        wanted = request.args.get("transitionId")
        if wanted:
            transitions = [t for t in transitions if t["id"] == wanted]
        return json_response({"expand": "transitions", "transitions": transitions})

    def _do_transition(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        self.state.do_transition(issue, self._body(request))
        return json_response(None, 204)

    def _comments(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        start = _int_param(request.args.get("startAt"), "startAt", 0)
        size = _int_param(request.args.get("maxResults"), "maxResults", 5000)
        order = request.args.get("orderBy", "created")
        if order not in ("created", "+created", "-created"):
            raise JiraError(400, [f"Ordering by '{order}' is not supported. Use 'created'."])
        comments = sorted(issue.comments, key=lambda c: (c.created, int(c.id)))
        if order == "-created":
            comments.reverse()
        return json_response(self.renderer.comment_page(issue, comments, start, size))

    def _add_comment(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        body = self._body(request)
        if not isinstance(body, dict):
            raise JiraError(400, ["Comment body is not valid!"])
        comment = self.state.add_comment(issue, body.get("body"), self.account)
        data = self.renderer.comment(issue, comment)
        return json_response(data, 201, {"Location": data["self"]})

    def _comment(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.issue(args["key"])
        for comment in issue.comments:
            if comment.id == args["cid"]:
                return json_response(self.renderer.comment(issue, comment))
        return _error(404, "Can not find a comment for the id: " + args["cid"] + ".")

    # --- search --------------------------------------------------------------------------

    def _search_params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            q = request.args
            return {
                "jql": q.get("jql", ""),
                "nextPageToken": q.get("nextPageToken"),
                "maxResults": q.get("maxResults"),
                "fields": q.getlist("fields"),
                "expand": q.get("expand"),
            }
        body = self._body(request)
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        unknown = sorted(set(body) - SEARCH_BODY_KEYS)
        if unknown:
            raise JiraError(400, [f'Unrecognized field "{unknown[0]}"'])
        fields = body.get("fields") or []
        if not isinstance(fields, list):
            raise JiraError(400, ["Invalid request payload: 'fields' must be an array."])
        return {
            "jql": body.get("jql") or "",
            "nextPageToken": body.get("nextPageToken"),
            "maxResults": body.get("maxResults"),
            "fields": [str(f) for f in fields],
            "expand": body.get("expand"),
        }

    @staticmethod
    def _page_token(query: str, offset: int) -> str:
        digest = hashlib.sha256(query.encode()).hexdigest()[:12]
        raw = json.dumps({"o": offset, "q": digest}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _page_offset(query: str, token: str | None) -> int:
        if not token:
            return 0
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded))
            offset = int(data["o"])
            digest = hashlib.sha256(query.encode()).hexdigest()[:12]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise JiraError(400, [BAD_CURSOR]) from None
        if data.get("q") != digest or offset < 0:
            raise JiraError(400, [BAD_CURSOR])
        return offset

    def _search_jql(self, request: Request, args: Mapping[str, Any]) -> Response:
        params = self._search_params(request)
        query = str(params["jql"])
        if jql.parse(query).where is None:
            raise JiraError(400, [UNBOUNDED])
        found = jql.search(self.state, query, self.account, self.clock.now())
        fields = parse_field_list(params["fields"], ["id"])
        detail = [f for f in fields if f not in ("id", "key", "issuekey")]
        # Jira hands out far fewer issues per page when it has to load fields.
        cap = 100 if detail else 5000
        size = min(_int_param(params["maxResults"], "maxResults", 50), cap)
        offset = self._page_offset(query, params["nextPageToken"])
        chunk = found[offset : offset + size] if size else []
        expand = self._expand(params["expand"])
        issues: list[JsonDict] = []
        for issue in chunk:
            if detail:
                bean = self.renderer.issue(issue, detail, expand & {"transitions", "renderedfields"})
            else:
                bean = {"id": issue.id}
                if "key" in fields or "issuekey" in fields:
                    bean["key"] = issue.key
            issues.append(bean)
        body: JsonDict = {"issues": issues, "isLast": offset + size >= len(found) or not size}
        if not body["isLast"]:
            body["nextPageToken"] = self._page_token(query, offset + size)
        if "names" in expand:
            body["names"] = self.renderer.names(detail)
        if "schema" in expand:
            body["schema"] = self.renderer.schema(detail)
        return json_response(body)

    def _count(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = self._body(request)
        query = str(body.get("jql") or "") if isinstance(body, dict) else ""
        if jql.parse(query).where is None:
            raise JiraError(400, [UNBOUNDED])
        found = jql.search(self.state, query, self.account, self.clock.now())
        return json_response({"count": len(found)})
