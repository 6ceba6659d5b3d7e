"""JQL search as each Jira answers it, plus the request-reading helpers the Jira routes share.

Cloud: ``GET``/``POST /search/jql`` pages with an opaque ``nextPageToken`` (no totals; ``fields``
defaults to ``id``; at most 5000 ids or 100 issues with fields per page), ``POST
/search/approximate-count`` counts, and an unbounded query is refused. The old ``/search``
is gone there (410, answered by the router).

Server/Data Center: ``GET``/``POST /search`` pages by offset (``startAt``, ``maxResults``
default 50 and capped at 1000) and answers ``total``; ``fields`` defaults to ``*navigable``;
``validateQuery=false``/``warn`` turns unknown values into ``warningMessages`` instead of a 400.

Issues the bot's account may not see are never found.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from werkzeug.wrappers import Request, Response

from . import jql
from .clock import Clock
from .jira_json import JiraRenderer, JsonDict, parse_field_list
from .jira_model import JiraError
from .jira_state import JiraState
from .wsgi import json_response, read_json

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
OFFSET_BODY_KEYS = {"jql", "startAt", "maxResults", "fields", "expand", "validateQuery", "properties", "fieldsByKeys"}
#: ``jira.search.views.default.max``, Data Center's cap on ``maxResults``.
OFFSET_MAX_RESULTS = 1000


def read_body(request: Request) -> Any:
    """The JSON body, or Jira's 400 for one that does not parse."""
    try:
        return read_json(request)
    except ValueError as exc:
        raise JiraError(400, [f"Unexpected character in the request body: {exc}"]) from exc


def int_param(value: Any, name: str, default: int) -> int:
    """A non-negative integer parameter, or Jira's 400."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise JiraError(400, [f"The value '{value}' is not valid for the parameter {name}."]) from None
    if number < 0:
        raise JiraError(400, [f"The value '{value}' is not valid for the parameter {name}."])
    return number


def expand_set(value: object) -> set[str]:
    """An ``expand`` parameter (comma-separated string or list) as lower-case names."""
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        return set()
    return {v.strip().lower() for v in value.split(",") if v.strip()}


class JiraSearch:
    """The search routes of one site, answering for the bot's account."""

    def __init__(self, state: JiraState, clock: Clock, account: str) -> None:
        self.state = state
        self.clock = clock
        self.account = account

    def _run(self, query: str, warnings: list[str] | None = None) -> list[Any]:
        return jql.search(self.state, query, self.account, self.clock.now(), warnings=warnings)

    # --- Cloud ---------------------------------------------------------------------------

    def _jql_params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            q = request.args
            return {
                "jql": q.get("jql", ""),
                "nextPageToken": q.get("nextPageToken"),
                "maxResults": q.get("maxResults"),
                "fields": q.getlist("fields"),
                "expand": q.get("expand"),
            }
        body = read_body(request)
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

    def search_jql(self, request: Request, renderer: JiraRenderer) -> Response:
        """``/search/jql``: cursor pages, no totals."""
        params = self._jql_params(request)
        query = str(params["jql"])
        if jql.parse(query).where is None:
            raise JiraError(400, [UNBOUNDED])
        found = self._run(query)
        fields = parse_field_list(params["fields"], ["id"], renderer.field_ids())
        detail = [f for f in fields if f not in ("id", "key", "issuekey")]
        # Jira hands out far fewer issues per page when it has to load fields.
        cap = 100 if detail else 5000
        size = min(int_param(params["maxResults"], "maxResults", 50), cap)
        offset = self._page_offset(query, params["nextPageToken"])
        chunk = found[offset : offset + size] if size else []
        expand = expand_set(params["expand"])
        issues: list[JsonDict] = []
        for issue in chunk:
            if detail:
                bean = renderer.issue(issue, detail, expand & {"transitions", "renderedfields"})
            else:
                bean = {"id": issue.id}
                if "key" in fields or "issuekey" in fields:
                    bean["key"] = issue.key
            issues.append(bean)
        body: JsonDict = {"issues": issues, "isLast": offset + size >= len(found) or not size}
        if not body["isLast"]:
            body["nextPageToken"] = self._page_token(query, offset + size)
        if "names" in expand:
            body["names"] = renderer.names(detail)
        if "schema" in expand:
            body["schema"] = renderer.schema(detail)
        return json_response(body)

    def count(self, request: Request) -> Response:
        """``/search/approximate-count``."""
        body = read_body(request)
        query = str(body.get("jql") or "") if isinstance(body, dict) else ""
        if jql.parse(query).where is None:
            raise JiraError(400, [UNBOUNDED])
        return json_response({"count": len(self._run(query))})

    # --- Server / Data Center ------------------------------------------------------------

    def _offset_params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            q = request.args
            return {
                "jql": q.get("jql", ""),
                "startAt": q.get("startAt"),
                "maxResults": q.get("maxResults"),
                "validateQuery": q.get("validateQuery"),
                "fields": q.getlist("fields"),
                "expand": q.get("expand"),
            }
        body = read_body(request)
        if not isinstance(body, dict):
            raise JiraError(400, ["Can not deserialize the request body."])
        unknown = sorted(set(body) - OFFSET_BODY_KEYS)
        if unknown:
            raise JiraError(400, [f'Unrecognized field "{unknown[0]}"'])
        fields = body.get("fields") or []
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, list):
            raise JiraError(400, ["Can not deserialize the request body."])
        return {**body, "jql": body.get("jql") or "", "fields": [str(f) for f in fields]}

    @staticmethod
    def _validation(value: object) -> str:
        """``strict``, ``warn`` or ``none`` from a ``validateQuery`` value (default strict)."""
        if value is None or value is True or str(value).lower() in ("true", "strict", ""):
            return "strict"
        if value is False or str(value).lower() in ("false", "warn"):
            return "warn"
        if str(value).lower() == "none":
            return "none"
        raise JiraError(400, [f"The value '{value}' is not valid for the parameter validateQuery."])

    def search_offset(self, request: Request, renderer: JiraRenderer) -> Response:
        """Data Center's ``/search``: offset pages with a total."""
        params = self._offset_params(request)
        mode = self._validation(params.get("validateQuery"))
        warnings: list[str] | None = None if mode == "strict" else []
        found = self._run(str(params["jql"]), warnings)
        start = int_param(params.get("startAt"), "startAt", 0)
        size = min(int_param(params.get("maxResults"), "maxResults", 50), OFFSET_MAX_RESULTS)
        fields = parse_field_list(params["fields"], ["*navigable"], renderer.field_ids())
        expand = expand_set(params.get("expand"))
        per_issue = expand & {"transitions", "renderedfields"}
        body: JsonDict = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": [renderer.issue(i, fields, per_issue) for i in found[start : start + size]],
        }
        if warnings and mode == "warn":
            body["warningMessages"] = warnings
        if "names" in expand:
            body["names"] = renderer.names(fields)
        if "schema" in expand:
            body["schema"] = renderer.schema(fields)
        return json_response(body)
