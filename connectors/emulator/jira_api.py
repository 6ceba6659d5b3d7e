"""The fake Jira site: the REST routes the Jira connector uses, as Jira answers them.

A Cloud site (the default) serves REST v3 (rich text as ADF) and v2 (the same routes with
rich text as wiki strings; ``/rest/api/latest`` is v2) under HTTP Basic ``email:api-token``.
Search is the cursor-paged ``/search/jql``; the removed ``/search`` answers 410 as Cloud
does now (v2 and v3).

A Server/Data Center site serves only v2 (and ``/rest/api/latest``); ``/rest/api/3`` is 404.
Auth is ``Authorization: Bearer <personal access token>``. Search is the offset-paged
``/search`` (:mod:`.jira_search`); there is no ``/search/jql`` and no ``approximate-count``.

Only ``serverInfo`` may be read anonymously. Errors carry Jira's ``{"errorMessages": [...],
"errors": {...}}`` body. An optional per-account rate limit answers 429 with ``Retry-After``
and ``X-RateLimit-*``. Issues restricted from the bot answer 404 (or 403 on reads).
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import jql
from .clock import Clock, jira_time
from .faults import Faults, ServerName
from .jira_catalog import ISSUE_TYPES, STATUS_CATEGORIES, find_category
from .jira_json import JiraRenderer, parse_field_list
from .jira_model import JiraError
from .jira_search import JiraSearch, expand_set, int_param, read_body
from .jira_state import JiraState
from .ratelimit import RateLimiter
from .request_log import RequestLog
from .wsgi import ControlHandler, ServiceApp, json_response

Handler = Callable[[Request, Mapping[str, Any]], Response]

CLOUD_VERSION = "1001.0.0-SNAPSHOT"
# Data Center reports deploymentType "Server" (there is no "DataCenter" value): a DC 10.3.13
# site's /rest/api/2/serverInfo quoted in https://github.com/TestPlanIt/testplanit/issues/494
# says {"version":"10.3.13","deploymentType":"Server",...}; the jira client only tests for "Cloud".
DC_VERSION = (9, 12, 15)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
#: Routes only Cloud has.
CLOUD_ONLY = {"search_jql", "count"}


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
        ("/search", "search", "GET"),
        ("/search", "search", "POST"),
    ]
    prefix = "/rest/api/<any('2', '3', 'latest'):version>"
    rules = [Rule(prefix + path, endpoint=ep, methods=[m]) for path, ep, m in r]
    return Map(rules, strict_slashes=False, merge_slashes=False)


def _error(status: int, *messages: str, errors: dict[str, str] | None = None) -> Response:
    return json_response({"errorMessages": list(messages), "errors": errors or {}}, status)


class JiraApp(ServiceApp):
    """WSGI app answering as one Jira site (Cloud or Data Center) for one account."""

    name: ServerName = "jira"

    def __init__(
        self,
        *,
        state: JiraState,
        clock: Clock,
        email: str,
        token: str,
        account: str,
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
        self.account = account
        self.dc = state.deployment == "datacenter"
        self.rate_limit = rate_limit
        self.search = JiraSearch(state, clock, account)
        self._map = _routes()
        self._request_ids = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "server_info": self._server_info,
            "myself": lambda _r, a: json_response(self._r(a).user(self.account, full=True)),
            "fields": lambda _r, a: json_response(self._r(a).fields()),
            "priorities": lambda _r, a: json_response(self._r(a).priorities()),
            "priority": self._priority,
            "resolutions": lambda _r, a: json_response(self._r(a).resolutions()),
            "statuses": lambda _r, a: json_response([self._r(a).status(s) for s in self.state.statuses]),
            "status": self._status,
            "categories": lambda _r, a: json_response([self._r(a).category(c) for c in STATUS_CATEGORIES.values()]),
            "category": self._category,
            "issue_types": lambda _r, a: json_response([self._r(a).issue_type(t) for t in ISSUE_TYPES]),
            "issue_type": self._issue_type,
            "projects": lambda _r, a: json_response([self._r(a).project(p) for p in self.state.projects()]),
            "project_search": self._project_search,
            "project": lambda _r, a: json_response(self._r(a).project(self.state.project(a["id_or_key"]))),
            "create_issue": self._create_issue,
            "get_issue": self._get_issue,
            "edit_issue": self._edit_issue,
            "transitions": self._transitions,
            "do_transition": self._do_transition,
            "comments": self._comments,
            "add_comment": self._add_comment,
            "comment": self._comment,
            "search_jql": lambda r, a: self.search.search_jql(r, self._r(a)),
            "count": lambda r, a: self.search.count(r),
            "search": (
                (lambda r, a: self.search.search_offset(r, self._r(a)))
                if self.dc
                else (lambda _r, _a: _error(410, SEARCH_REMOVED))
            ),
        }

    @property
    def default_version(self) -> str:
        """The API version people's views use: v3 on Cloud, v2 on Data Center."""
        return "2" if self.dc else "3"

    @property
    def renderer(self) -> JiraRenderer:
        """Renders store objects with this server's URLs, in :attr:`default_version`."""
        return self.renderer_for(self.default_version)

    def renderer_for(self, version: str) -> JiraRenderer:
        """A renderer for REST ``version`` ("2" or "3")."""
        return JiraRenderer(self.state, self.base_url, self.account, self.email, version=version)

    def _r(self, args: Mapping[str, Any]) -> JiraRenderer:
        return self.renderer_for(str(args.get("version", self.default_version)))

    # --- pipeline ------------------------------------------------------------------------

    def _credentials(self, request: Request) -> tuple[bool, bool]:
        """(sent credentials, credentials valid)."""
        header = request.headers.get("Authorization", "")
        if not header:
            return False, False
        scheme, _, value = header.partition(" ")
        if self.dc:
            return True, scheme.lower() == "bearer" and value.strip() == self.token
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
        if self.dc:
            response.headers["X-AUSERNAME"] = self.account if authed else "anonymous"
        elif authed:
            response.headers["X-AAccountId"] = self.account
        return response

    def _route(self, request: Request) -> tuple[str, dict[str, Any]]:
        adapter = self._map.bind("", path_info=request.path, url_scheme="http")
        endpoint, args = adapter.match(method=request.method)
        args = dict(args)
        if args.get("version") == "latest":
            args["version"] = "2"
        if self.dc and (args.get("version") == "3" or endpoint in CLOUD_ONLY):
            raise NotFound()
        return str(endpoint), args

    def dispatch(self, request: Request) -> Response:
        """Authenticate, rate-limit, route and answer one request."""
        sent, valid = self._credentials(request)
        try:
            endpoint, args = self._route(request)
        except MethodNotAllowed:
            return self._headers(json_response(None, 405), valid)
        except (NotFound, HTTPException):
            endpoint, args = "", {}
        # Data Center has no v3 at all: an anonymous probe of it (deployment detection) gets a 404.
        missing_on_dc = self.dc and not sent and not endpoint
        if (sent and not valid) or (not sent and endpoint != "server_info" and not missing_on_dc):
            response = _error(401, NOT_AUTHENTICATED)
            response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
            return self._headers(response, False)
        if self.rate_limit is not None and valid:
            quota = self.rate_limit.consume(self.account)
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

    # --- metadata ------------------------------------------------------------------------

    def _server_info(self, request: Request, args: Mapping[str, Any]) -> Response:
        now = jira_time(self.clock.now())
        if self.dc:
            return json_response(
                {
                    "baseUrl": self.base_url,
                    "version": ".".join(map(str, DC_VERSION)),
                    "versionNumbers": list(DC_VERSION),
                    "deploymentType": "Server",
                    "buildNumber": 9120015,
                    "buildDate": "2024-11-27T00:00:00.000+0000",
                    "serverTime": now,
                    "scmInfo": "8a1c4e0e1c7b7bfa2d6d8c1e46ba2d9a5a7c3f11",
                    "serverTitle": "Jira",
                }
            )
        return json_response(
            {
                "baseUrl": self.base_url,
                "displayUrl": self.base_url,
                "version": CLOUD_VERSION,
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100289,
                "buildDate": "2025-12-01T00:00:00.000+0000",
                "serverTime": now,
                "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
                "serverTitle": "Jira",
            }
        )

    def _priority(self, request: Request, args: Mapping[str, Any]) -> Response:
        for p in self.state.priorities:
            if p.id == args["pid"]:
                return json_response(self._r(args).priority(p))
        return _error(404, f"The priority with id '{args['pid']}' does not exist.")

    def _status(self, request: Request, args: Mapping[str, Any]) -> Response:
        wanted = args["id_or_name"].lower()
        for s in self.state.statuses:
            if wanted in (s.id, s.name.lower()):
                return json_response(self._r(args).status(s))
        return _error(404, f"The status with id '{args['id_or_name']}' does not exist.")

    def _category(self, request: Request, args: Mapping[str, Any]) -> Response:
        cat = find_category(args["id_or_key"])
        if cat is None:
            return _error(404, f"The status category '{args['id_or_key']}' does not exist.")
        return json_response(self._r(args).category(cat))

    def _issue_type(self, request: Request, args: Mapping[str, Any]) -> Response:
        for t in ISSUE_TYPES:
            if t.id == args["tid"]:
                return json_response(self._r(args).issue_type(t))
        return _error(404, "The issue type with the provided ID doesn't exist.")

    def _project_search(self, request: Request, args: Mapping[str, Any]) -> Response:
        start = int_param(request.args.get("startAt"), "startAt", 0)
        size = int_param(request.args.get("maxResults"), "maxResults", 50)
        projects = self.state.projects()
        chosen = projects[start : start + size]
        return json_response(
            {
                "self": request.url,
                "maxResults": size,
                "startAt": start,
                "total": len(projects),
                "isLast": start + size >= len(projects),
                "values": [self._r(args).project(p) for p in chosen],
            }
        )

    # --- issues --------------------------------------------------------------------------

    def _create_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        body = read_body(request)
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        r = self._r(args)
        issue = self.state.create_issue(body.get("fields"), self.account, rich=r.rich)
        return json_response({"id": issue.id, "key": issue.key, "self": f"{r.api}/issue/{issue.id}"}, 201)

    def _get_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"])
        r = self._r(args)
        fields = parse_field_list(request.args.getlist("fields"), ["*all"], r.field_ids())
        return json_response(r.issue(issue, fields, expand_set(request.args.get("expand"))))

    def _edit_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"], write=True)
        body = read_body(request) or {}
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        r = self._r(args)
        self.state.edit_issue(issue, body.get("fields"), body.get("update"), rich=r.rich)
        if request.args.get("returnIssue", "").lower() == "true":
            return json_response(r.issue(issue))
        return json_response(None, 204)

    def _transitions(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"])
        with_fields = "transitions.fields" in expand_set(request.args.get("expand"))
        transitions = self._r(args).transitions(issue, with_fields=with_fields)
        wanted = request.args.get("transitionId")
        if wanted:
            transitions = [t for t in transitions if t["id"] == wanted]
        return json_response({"expand": "transitions", "transitions": transitions})

    def _do_transition(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"], write=True)
        self.state.do_transition(issue, read_body(request), rich=self._r(args).rich)
        return json_response(None, 204)

    def _comments(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"])
        start = int_param(request.args.get("startAt"), "startAt", 0)
        size = int_param(request.args.get("maxResults"), "maxResults", 5000)
        order = request.args.get("orderBy", "created")
        if order not in ("created", "+created", "-created"):
            raise JiraError(400, [f"Ordering by '{order}' is not supported. Use 'created'."])
        comments = sorted(issue.comments, key=lambda c: (c.created, int(c.id)))
        if order == "-created":
            comments.reverse()
        return json_response(self._r(args).comment_page(issue, comments, start, size))

    def _add_comment(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"], write=True)
        body = read_body(request)
        if not isinstance(body, dict):
            raise JiraError(400, ["Comment body is not valid!"])
        r = self._r(args)
        comment = self.state.add_comment(issue, body.get("body"), self.account, rich=r.rich)
        data = r.comment(issue, comment)
        return json_response(data, 201, {"Location": data["self"]})

    def _comment(self, request: Request, args: Mapping[str, Any]) -> Response:
        issue = self.state.api_issue(args["key"])
        for comment in issue.comments:
            if comment.id == args["cid"]:
                return json_response(self._r(args).comment(issue, comment))
        return _error(404, "Can not find a comment for the id: " + args["cid"] + ".")
