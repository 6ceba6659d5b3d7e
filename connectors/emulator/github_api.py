"""The fake api.github.com: the REST routes the GitHub connector uses, as GitHub answers them.

Auth is ``Authorization: token X`` or ``Bearer X``. Every answer carries GitHub's rate-limit
headers and a request id; ``GET`` answers carry an ``ETag`` and honour ``If-None-Match``
(a 304 is not counted). List endpoints paginate with ``page``/``per_page`` and a ``Link``
header whose URLs use GitHub's ``/repositories/{id}/...`` form.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .clock import github_time, parse_iso
from .faults import Faults, ServerName
from .github_app_auth import AppTokens
from .github_json import DOCS, GitHubRenderer, JsonDict, error_body
from .github_search import SearchSyntaxError, parse_query
from .github_state import (
    GhIssue,
    GhRepo,
    GitHubForbidden,
    GitHubGone,
    GitHubInvalid,
    GitHubMoved,
    GitHubNotFound,
    GitHubState,
)
from .ratelimit import Quota, RateLimiter
from .request_log import RequestLog
from .wsgi import ControlHandler, ServiceApp, json_response, read_json

T = TypeVar("T")
Handler = Callable[[Request, Mapping[str, Any]], Response]

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
API_VERSION = "2022-11-28"
#: The part of an issue path that a transfer redirects (``/comments`` and the like are kept).
_ISSUE_PATH = re.compile(r"^(?:/repos/[^/]+/[^/]+|/repositories/[0-9]+)/issues/[0-9]+")
#: Endpoints that create content, which GitHub's secondary limits count apart.
CONTENT_ENDPOINTS = frozenset({"create_issue", "create_comment"})
#: Endpoints that answer 410 when a repository has issues turned off.
_REPO_ENDPOINTS = frozenset(
    {"repo", "list_labels", "create_label", "get_label", "repo_installation", "list_milestones", "create_milestone"}
)
#: Endpoints a GitHub App calls as itself, with a JWT.
_APP_ENDPOINTS = frozenset({"app_token", "repo_installation"})


class BadRequest(Exception):
    """A 400 (e.g. a body that is not JSON)."""


def _routes() -> Map:
    rules = [
        Rule("/rate_limit", endpoint="rate_limit", methods=["GET"]),
        Rule("/user", endpoint="user", methods=["GET"]),
        Rule("/app/installations/<int:installation>/access_tokens", endpoint="app_token", methods=["POST"]),
    ]
    for base in ("/repos/<owner>/<repo>", "/repositories/<int:repo_id>"):
        issue = f"{base}/issues/<int:number>"
        rules += [
            Rule(base, endpoint="repo", methods=["GET"]),
            Rule(f"{base}/installation", endpoint="repo_installation", methods=["GET"]),
            Rule(f"{base}/issues", endpoint="list_issues", methods=["GET"]),
            Rule(f"{base}/issues", endpoint="create_issue", methods=["POST"]),
            Rule(issue, endpoint="get_issue", methods=["GET"]),
            Rule(issue, endpoint="update_issue", methods=["PATCH"]),
            Rule(f"{issue}/comments", endpoint="list_comments", methods=["GET"]),
            Rule(f"{issue}/comments", endpoint="create_comment", methods=["POST"]),
            Rule(f"{issue}/labels", endpoint="issue_labels", methods=["GET"]),
            Rule(f"{issue}/labels", endpoint="add_issue_labels", methods=["POST"]),
            Rule(f"{issue}/labels", endpoint="set_issue_labels", methods=["PUT"]),
            Rule(f"{issue}/labels", endpoint="clear_issue_labels", methods=["DELETE"]),
            Rule(f"{issue}/labels/<path:name>", endpoint="remove_issue_label", methods=["DELETE"]),
            Rule(f"{issue}/sub_issues", endpoint="list_sub_issues", methods=["GET"]),
            Rule(f"{issue}/sub_issues", endpoint="add_sub_issue", methods=["POST"]),
            Rule(f"{issue}/parent", endpoint="get_parent", methods=["GET"]),
            Rule(f"{base}/milestones", endpoint="list_milestones", methods=["GET"]),
            Rule(f"{base}/milestones", endpoint="create_milestone", methods=["POST"]),
            Rule(f"{base}/labels", endpoint="list_labels", methods=["GET"]),
            Rule(f"{base}/labels", endpoint="create_label", methods=["POST"]),
            Rule(f"{base}/labels/<path:name>", endpoint="get_label", methods=["GET"]),
        ]
    rules.append(Rule("/search/issues", endpoint="search_issues", methods=["GET"]))
    return Map(rules, strict_slashes=False, merge_slashes=False)


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()}"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == bare for tag in header.split(","))


class GitHubApp(ServiceApp):
    """WSGI app answering as api.github.com for one token."""

    name: ServerName = "github"

    def __init__(
        self,
        *,
        state: GitHubState,
        token: str,
        login: str,
        core_limit: RateLimiter,
        search_limit: RateLimiter,
        faults: Faults,
        log: RequestLog,
        control: ControlHandler,
        latency: float = 0.0,
        content_limit: RateLimiter | None = None,
        app_tokens: AppTokens | None = None,
    ) -> None:
        super().__init__(faults=faults, log=log, control=control, latency=latency)
        self.state = state
        #: GitHub's secondary limit on content creation (issues, comments), if modelled.
        self.content_limit = content_limit
        #: The GitHub App that may sign in, if any.
        self.app_tokens = app_tokens
        self.token = token
        self.login = login
        self.core_limit = core_limit
        self.search_limit = search_limit
        self._map = _routes()
        self._request_ids = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "user": self._get_user,
            "app_token": self._app_token,
            "repo_installation": self._repo_installation,
            "repo": self._get_repo,
            "list_issues": self._list_issues,
            "create_issue": self._create_issue,
            "get_issue": self._get_issue,
            "update_issue": self._update_issue,
            "list_comments": self._list_comments,
            "create_comment": self._create_comment,
            "issue_labels": self._issue_labels,
            "add_issue_labels": self._add_issue_labels,
            "set_issue_labels": self._set_issue_labels,
            "clear_issue_labels": self._clear_issue_labels,
            "remove_issue_label": self._remove_issue_label,
            "list_labels": self._list_labels,
            "create_label": self._create_label,
            "get_label": self._get_label,
            "search_issues": self._search_issues,
            "list_sub_issues": self._list_sub_issues,
            "list_milestones": self._list_milestones,
            "create_milestone": self._create_milestone,
            "add_sub_issue": self._add_sub_issue,
            "get_parent": self._get_parent,
            "rate_limit": self._rate_limit,
        }

    @property
    def renderer(self) -> GitHubRenderer:
        """Renders store objects with this server's URLs."""
        return GitHubRenderer(self.state, self.base_url)

    # --- pipeline ------------------------------------------------------------------------

    def _token_of(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("token", "bearer") and value.strip():
            return value.strip()
        return None

    def _common_headers(self, response: Response, quota: Quota | None, resource: str) -> None:
        n = next(self._request_ids)
        response.headers["X-GitHub-Request-Id"] = f"E0A1:{n:05X}:{n * 7919:07X}:{n * 104729:07X}"
        response.headers["X-GitHub-Api-Version-Selected"] = API_VERSION
        response.headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        if quota is not None:
            response.headers["X-OAuth-Scopes"] = "repo"
            response.headers["X-Accepted-OAuth-Scopes"] = "repo"
            response.headers["X-RateLimit-Limit"] = str(quota.limit)
            response.headers["X-RateLimit-Remaining"] = str(quota.remaining)
            response.headers["X-RateLimit-Reset"] = str(quota.reset_epoch)
            response.headers["X-RateLimit-Used"] = str(quota.used)
            response.headers["X-RateLimit-Resource"] = resource

    def _refused(self, message: str) -> Response:
        response = json_response(error_body(401, message), 401)
        self._common_headers(response, None, "core")
        return response

    def dispatch(self, request: Request) -> Response:
        """Authenticate, rate-limit, route and answer one request."""
        token = self._token_of(request)
        adapter = self._map.bind("", path_info=request.path, url_scheme="http")
        try:
            endpoint, args = adapter.match(method=request.method)
        except (NotFound, MethodNotAllowed):
            endpoint, args = "", {}
        except HTTPException as exc:
            response = json_response(error_body(exc.code or 404, "Not Found"), exc.code or 404)
            self._common_headers(response, None, "core")
            return response
        if token is None:
            return self._refused("Requires authentication")
        apps = self.app_tokens
        if endpoint in _APP_ENDPOINTS:
            # Only the App itself, with a JWT, may ask for its installation or its tokens.
            if apps is None or not apps.jwt_is_valid(token):
                return self._refused("A JSON web token could not be decoded")
            response = self._answer(request, endpoint, args)
            self._common_headers(response, None, "core")
            return response
        if token != self.token and not (apps is not None and apps.token_is_valid(token)):
            return self._refused("Bad credentials")
        if endpoint == "rate_limit":
            response = self._rate_limit(request, args)
            self._common_headers(response, self.core_limit.peek(token), "core")
            return response
        resource = "search" if endpoint == "search_issues" else "core"
        limiter = self.search_limit if resource == "search" else self.core_limit
        quota = limiter.consume(token)
        if not quota.allowed:
            user_id = self.state.user(self.login).id
            body = {
                "message": f"API rate limit exceeded for user ID {user_id}.",
                "documentation_url": RATE_DOCS,
            }
            response = json_response(body, 403)
            self._common_headers(response, quota, resource)
            return response
        if endpoint in CONTENT_ENDPOINTS and self.content_limit is not None:
            content = self.content_limit.consume(token)
            if not content.allowed:
                # Secondary limits answer 403 with a Retry-After, and the primary headers
                # say there is room: a client must read the body or Retry-After to tell.
                wait = max(1, math.ceil(content.reset - self.state.clock.now()))
                response = json_response({"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS}, 403)
                response.headers["Retry-After"] = str(wait)
                self._common_headers(response, quota, resource)
                return response
        response = self._answer(request, endpoint, args)
        if request.method == "GET" and response.status_code == 200:
            etag = _etag(response.get_data())
            response.headers["ETag"] = etag
            response.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
            response.headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
            if _etag_matches(request.headers.get("If-None-Match"), etag):
                quota = limiter.refund(token)
                response = json_response(None, 304, {"ETag": etag})
        self._common_headers(response, quota, resource)
        return response

    def _answer(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        handler = self._handlers.get(endpoint)
        if handler is None:
            return json_response(error_body(404, "Not Found"), 404)
        try:
            with self.state.lock:
                if endpoint not in _REPO_ENDPOINTS and ("owner" in args or "repo_id" in args):
                    if not self._repo(args).has_issues:
                        raise GitHubGone()
                return handler(request, args)
        except GitHubNotFound:
            return json_response(error_body(404, "Not Found"), 404)
        except GitHubMoved as exc:
            path = _ISSUE_PATH.sub(f"/repositories/{exc.repo_id}/issues/{exc.number}", request.path, count=1)
            query = request.query_string.decode()
            location = f"{self.base_url}{path}" + (f"?{query}" if query else "")
            moved = {"message": "Moved Permanently", "url": location, "documentation_url": DOCS}
            return json_response(moved, 301, {"Location": location})
        except GitHubForbidden as exc:
            return json_response(error_body(403, exc.message), 403)
        except GitHubGone as exc:
            return json_response(error_body(410, exc.message), 410)
        except GitHubInvalid as exc:
            body = {"message": exc.message, "errors": exc.errors, "documentation_url": DOCS}
            return json_response(body, 422)
        except BadRequest as exc:
            return json_response(error_body(400, str(exc)), 400)

    def fault_response(self, status: int, retry_after: int | None) -> Response:
        """GitHub's answer for an injected failure."""
        messages = {
            429: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            500: "Server Error",
            502: "Server Error",
            503: "Service Unavailable",
            504: "We couldn't respond to your request in time. Sorry about that.",
        }
        response = json_response(error_body(status, messages.get(status, "Server Error")), status)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        self._common_headers(response, None, "core")
        return response

    def outside_api(self, request: Request) -> Response:
        """GitHub Enterprise Server's web pages: a sign-in page, and a redirect to it from
        anywhere else (what a client gets when the URL lacks ``/api/v3``)."""
        root = self.base_url.removesuffix(self.api_prefix)
        if request.path == "/login":
            page = "<!DOCTYPE html><html><head><title>Sign in to GitHub</title></head><body>Sign in</body></html>"
            return Response(page, 200, mimetype="text/html")
        response = Response("<html><body>You are being redirected.</body></html>", 302, mimetype="text/html")
        response.headers["Location"] = f"{root}/login?return_to={request.path}"
        return response

    # --- helpers -------------------------------------------------------------------------

    def _repo(self, args: Mapping[str, Any]) -> GhRepo:
        if "repo_id" in args:
            return self.state.repo_by_id(int(args["repo_id"]))
        return self.state.repo(f"{args['owner']}/{args['repo']}")

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        try:
            data = read_json(request)
        except ValueError as exc:
            raise BadRequest("Problems parsing JSON") from exc
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise BadRequest("Problems parsing JSON")
        return data

    def _page(self, request: Request, items: Sequence[T], link_base: str) -> tuple[Sequence[T], dict[str, str]]:
        try:
            per_page = min(100, max(1, int(request.args.get("per_page", "30"))))
        except ValueError:
            per_page = 30
        try:
            page = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page = 1
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def url(n: int) -> str:
            params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
            params.append(("page", str(n)))
            return f"{link_base}?{urlencode(params)}"

        links: list[str] = []
        if page > 1:
            links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return chunk, ({"Link": ", ".join(links)} if links else {})

    def _repo_link(self, repo: GhRepo, suffix: str) -> str:
        return f"{self.base_url}/repositories/{repo.id}{suffix}"

    # --- handlers ------------------------------------------------------------------------

    def _rate_limit(self, request: Request, args: Mapping[str, Any]) -> Response:
        token = self._token_of(request) or ""

        def bucket(limiter: RateLimiter) -> JsonDict:
            q = limiter.peek(token)
            return {
                "limit": q.limit,
                "remaining": q.remaining,
                "reset": q.reset_epoch,
                "used": q.used,
            }

        core = {**bucket(self.core_limit), "resource": "core"}
        search = {**bucket(self.search_limit), "resource": "search"}
        reset = core["reset"]
        spare = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0}
        body = {
            "resources": {
                "core": core,
                "search": search,
                "graphql": {**spare, "resource": "graphql"},
                "integration_manifest": {**spare, "resource": "integration_manifest"},
            },
            "rate": core,
        }
        return json_response(body)

    def _app_token(self, request: Request, args: Mapping[str, Any]) -> Response:
        assert self.app_tokens is not None
        if args["installation"] != self.app_tokens.app.installation_id:
            raise GitHubNotFound(str(args["installation"]))
        token, expires = self.app_tokens.issue()
        body = {
            "token": token,
            "expires_at": github_time(expires),
            "permissions": {"issues": "write", "metadata": "read"},
            "repository_selection": "all",
        }
        return json_response(body, 201)

    def _repo_installation(self, request: Request, args: Mapping[str, Any]) -> Response:
        assert self.app_tokens is not None
        repo = self.state.any_repo(f"{args['owner']}/{args['repo']}") if "owner" in args else self._repo(args)
        app = self.app_tokens.app
        account = self.renderer.user(repo.owner)
        body = {
            "id": app.installation_id,
            "app_id": app.app_id,
            "account": account,
            "target_type": "Organization",
            "repository_selection": "all",
            "access_tokens_url": f"{self.base_url}/app/installations/{app.installation_id}/access_tokens",
            "repositories_url": f"{self.base_url}/installation/repositories",
            "html_url": f"{self.renderer.web}/organizations/{repo.owner}/settings/installations/{app.installation_id}",
            "permissions": {"issues": "write", "metadata": "read"},
            "events": [],
            "created_at": github_time(repo.created_at),
            "updated_at": github_time(repo.created_at),
            "single_file_name": None,
        }
        return json_response(body)

    def _get_user(self, request: Request, args: Mapping[str, Any]) -> Response:
        user = self.renderer.user(self.login)
        return json_response({**user, "name": None, "email": None, "two_factor_authentication": True})

    def _get_repo(self, request: Request, args: Mapping[str, Any]) -> Response:
        return json_response(self.renderer.repo(self._repo(args)))

    def _filter_issues(self, request: Request, repo: GhRepo) -> list[GhIssue]:
        q = request.args
        state = q.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "state"}])
        issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
        wanted = [w.strip().lower() for w in q.get("labels", "").split(",") if w.strip()]
        if wanted:
            issues = [i for i in issues if set(wanted) <= {n.lower() for n in i.labels}]
        if q.get("since"):
            try:
                since = parse_iso(q["since"])
            except ValueError as exc:
                raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": "since"}]) from exc
            # GitHub stores whole seconds, so compare what a client could have seen.
            issues = [i for i in issues if int(i.updated_at) >= since]
        assignee = q.get("assignee")
        if assignee == "none":
            issues = [i for i in issues if not i.assignees]
        elif assignee == "*":
            issues = [i for i in issues if i.assignees]
        elif assignee:
            issues = [i for i in issues if assignee.lower() in (a.lower() for a in i.assignees)]
        if q.get("creator"):
            issues = [i for i in issues if i.user.lower() == q["creator"].lower()]
        milestone = q.get("milestone")
        if milestone == "*":
            issues = [i for i in issues if i.milestone is not None]
        elif milestone == "none":
            issues = [i for i in issues if i.milestone is None]
        elif milestone is not None:
            issues = [i for i in issues if milestone.isdigit() and i.milestone == int(milestone)]
        return self._sort(issues, q.get("sort", "created"), q.get("direction", "desc"))

    @staticmethod
    def _sort(issues: list[GhIssue], sort: str, direction: str) -> list[GhIssue]:
        keys: dict[str, Callable[[GhIssue], tuple[float, int]]] = {
            "created": lambda i: (i.created_at, i.number),
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (float(len(i.comments)), i.number),
        }
        if sort not in keys or direction not in ("asc", "desc"):
            field = "sort" if sort not in keys else "direction"
            raise GitHubInvalid([{"resource": "Issue", "code": "invalid", "field": field}])
        return sorted(issues, key=keys[sort], reverse=direction == "desc")

    def _list_issues(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issues = self._filter_issues(request, repo)
        chunk, headers = self._page(request, issues, self._repo_link(repo, "/issues"))
        return json_response([self.renderer.issue(repo, i) for i in chunk], 200, headers)

    def _create_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.create_issue(repo, self._body(request), self.login)
        body = self.renderer.issue(repo, issue)
        return json_response(body, 201, {"Location": body["url"]})

    def _get_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        return json_response(self.renderer.issue(repo, self.state.issue(repo, args["number"])))

    def _update_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.update_issue(repo, args["number"], self._body(request), self.login)
        return json_response(self.renderer.issue(repo, issue))

    def _list_comments(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.issue(repo, args["number"])
        comments = sorted(issue.comments, key=lambda c: c.id)
        if request.args.get("since"):
            try:
                since = parse_iso(request.args["since"])
            except ValueError as exc:
                raise GitHubInvalid([{"resource": "IssueComment", "code": "invalid", "field": "since"}]) from exc
            comments = [c for c in comments if int(c.updated_at) >= since]
        link = self._repo_link(repo, f"/issues/{issue.number}/comments")
        chunk, headers = self._page(request, comments, link)
        return json_response([self.renderer.comment(repo, issue, c) for c in chunk], 200, headers)

    def _create_comment(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        body = self._body(request).get("body")
        comment = self.state.add_comment(repo, args["number"], body, self.login)
        issue = self.state.issue(repo, args["number"])
        data = self.renderer.comment(repo, issue, comment)
        return json_response(data, 201, {"Location": data["url"]})

    def _list_milestones(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        state = request.args.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise GitHubInvalid([{"resource": "Milestone", "code": "invalid", "field": "state"}])
        found = [m for _, m in sorted(repo.milestones.items()) if state == "all" or m.state == state]
        chunk, headers = self._page(request, found, self._repo_link(repo, "/milestones"))
        return json_response([self.renderer.milestone(repo, m) for m in chunk], 200, headers)

    def _create_milestone(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        if not repo.labels_writable:  # the same write access labels need
            raise GitHubForbidden()
        milestone = self.state.create_milestone(repo, self._body(request))
        body = self.renderer.milestone(repo, milestone)
        return json_response(body, 201, {"Location": body["url"]})

    def _list_sub_issues(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.issue(repo, args["number"])
        subs = [self.state.issue_by_id(i) for i in issue.sub_issues]
        link = self._repo_link(repo, f"/issues/{issue.number}/sub_issues")
        chunk, headers = self._page(request, subs, link)
        return json_response([self.renderer.issue(r, i) for r, i in chunk], 200, headers)

    def _add_sub_issue(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        data = self._body(request)
        if "sub_issue_id" not in data:
            raise GitHubInvalid([{"resource": "Issue", "code": "missing_field", "field": "sub_issue_id"}])
        parent = self.state.add_sub_issue(repo, args["number"], data["sub_issue_id"], bool(data.get("replace_parent")))
        body = self.renderer.issue(repo, parent)
        return json_response(body, 201, {"Location": f"{body['url']}/sub_issues"})

    def _get_parent(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.issue(repo, args["number"])
        if issue.parent_id is None:
            raise GitHubNotFound(f"parent of {repo.full_name}#{issue.number}")
        parent_repo, parent = self.state.issue_by_id(issue.parent_id)
        return json_response(self.renderer.issue(parent_repo, parent))

    def _label_names(self, request: Request) -> list[Any]:
        try:
            data = read_json(request)
        except ValueError as exc:
            raise BadRequest("Problems parsing JSON") from exc
        if isinstance(data, dict):
            data = data.get("labels", [])
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list):
            raise GitHubInvalid([{"resource": "Label", "code": "invalid", "field": "labels"}])
        return data

    def _issue_labels(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.issue(repo, args["number"])
        labels = self.renderer.issue_labels(repo, issue)
        chunk, headers = self._page(request, labels, self._repo_link(repo, f"/issues/{issue.number}/labels"))
        return json_response(list(chunk), 200, headers)

    def _add_issue_labels(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.add_labels(repo, args["number"], self._label_names(request))
        return json_response(self.renderer.issue_labels(repo, issue))

    def _set_issue_labels(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        issue = self.state.set_labels(repo, args["number"], self._label_names(request))
        return json_response(self.renderer.issue_labels(repo, issue))

    def _clear_issue_labels(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        self.state.set_labels(repo, args["number"], [])
        return json_response(None, 204)

    def _remove_issue_label(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        self.state.issue(repo, args["number"])
        try:
            issue = self.state.remove_label(repo, args["number"], args["name"])
        except GitHubNotFound:
            return json_response(error_body(404, "Label does not exist"), 404)
        return json_response(self.renderer.issue_labels(repo, issue))

    def _list_labels(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        labels = sorted(repo.labels.values(), key=lambda lbl: lbl.id)
        chunk, headers = self._page(request, labels, self._repo_link(repo, "/labels"))
        return json_response([self.renderer.label(repo, lbl) for lbl in chunk], 200, headers)

    def _create_label(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        data = self._body(request)
        name = data.get("name")
        if not isinstance(name, str):
            raise GitHubInvalid([{"resource": "Label", "code": "missing_field", "field": "name"}])
        label = self.state.create_label_as_worker(repo, name, data.get("color"), data.get("description"))
        body = self.renderer.label(repo, label)
        return json_response(body, 201, {"Location": body["url"]})

    def _get_label(self, request: Request, args: Mapping[str, Any]) -> Response:
        repo = self._repo(args)
        label = repo.label(args["name"])
        if label is None:
            raise GitHubNotFound(args["name"])
        return json_response(self.renderer.label(repo, label))

    def _search_issues(self, request: Request, args: Mapping[str, Any]) -> Response:
        q = request.args.get("q", "")
        if not q.strip():
            raise GitHubInvalid([{"resource": "Search", "field": "q", "code": "missing"}])
        try:
            query = parse_query(q)
        except SearchSyntaxError as exc:
            raise GitHubInvalid([{"resource": "Search", "field": "q", "code": "invalid", "message": str(exc)}]) from exc
        repos = self.state.repos()
        known = {r.full_name.lower() for r in repos}
        missing = [name for name in query.repos if name not in known]
        if missing:
            raise GitHubInvalid(
                [
                    {
                        "message": "The listed users and repositories cannot be searched either "
                        "because the resources do not exist or you do not have permission to view "
                        "them.",
                        "resource": "Search",
                        "field": "q",
                        "code": "invalid",
                    }
                ]
            )
        found = [(r, i) for r in repos for i in r.issues.values() if query.matches(r, i)]
        sort = request.args.get("sort", "")
        order = request.args.get("order", "desc")
        keys: dict[str, Callable[[tuple[GhRepo, GhIssue]], tuple[float, int]]] = {
            "created": lambda p: (p[1].created_at, p[1].id),
            "updated": lambda p: (p[1].updated_at, p[1].id),
            "comments": lambda p: (float(len(p[1].comments)), p[1].id),
            "": lambda p: (p[1].created_at, p[1].id),
        }
        key = keys.get(sort, keys[""])
        found.sort(key=key, reverse=order != "asc")
        found = found[:1000]
        chunk, headers = self._page(request, found, f"{self.base_url}/search/issues")
        items = [{**self.renderer.issue(r, i), "score": 1.0} for r, i in chunk]
        body = {
            "total_count": len(found),
            "incomplete_results": False,
            "items": items,
            "search_type": "lexical",
        }
        return json_response(body, 200, headers)
