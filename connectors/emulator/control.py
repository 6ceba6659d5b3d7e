"""The control API: drive the emulator over HTTP, e.g. from a test running it in another process.

Served under ``/_emulator/`` on both servers, without auth, faults, latency or logging.
Bodies and answers are JSON; errors answer 400/404 with ``{"error": "..."}``.

Common::

    GET    /_emulator/health                         {"ok": true, "github_url", "jira_url", "jira_deployment"}
    GET    /_emulator/requests                       {"requests": [{server, method, path, status}]}
    DELETE /_emulator/requests                       forget the request log
    GET    /_emulator/faults                         {"rules": [...]}
    POST   /_emulator/faults      {mode, method, path, times, status, delay, retry_after, server}
    DELETE /_emulator/faults                         remove all rules, stop random faults
    POST   /_emulator/clock       {"advance": seconds}
    POST   /_emulator/seed        a seed document (see ``Emulator.load_seed``)

GitHub (acting as a person in the tracker)::

    POST /_emulator/github/repos                            {"full_name", "private"?, "has_issues"?}
    GET  /_emulator/github/repos/{o}/{r}/issues             raw issue JSON list
    POST /_emulator/github/repos/{o}/{r}/issues             {"title", "body"?, "labels"?}
    POST /_emulator/github/repos/{o}/{r}/issues/{n}/state   {"state", "state_reason"?}
    POST /_emulator/github/repos/{o}/{r}/issues/{n}/assignees {"assignees": [...]}
    POST /_emulator/github/repos/{o}/{r}/issues/{n}/labels  {"labels": [...]}
    POST /_emulator/github/repos/{o}/{r}/issues/{n}/transfer {"to": "owner/repo"} -> {"number"}
    DELETE /_emulator/github/repos/{o}/{r}/issues/{n}
    POST /_emulator/github/repos/{o}/{r}/settings           {"has_issues"?, "visible"?, "labels_writable"?}

Jira::

    POST /_emulator/jira/projects                           {"key", "name"?}
    GET  /_emulator/jira/projects/{key}/issues              raw IssueBean list
    POST /_emulator/jira/projects/{key}/issues              {"summary", "description"?, "labels"?}
    POST /_emulator/jira/issues/{key}/transition            {"status", "category"?, "resolution"?}
    POST /_emulator/jira/issues/{key}/comment               {"text"}
    POST /_emulator/jira/issues/{key}/move                  {"project"} -> {"key": new key}
    POST /_emulator/jira/issues/{key}/restrict              {"status": 404 | 403 | null} (default 404)
    DELETE /_emulator/jira/issues/{key}                     delete the issue
    GET  /_emulator/jira/issues/{key}/children              {"children": [keys]} of an epic

Jira site administration::

    POST /_emulator/jira/priorities                         {"names": [...]} -> the new priority list
    POST /_emulator/jira/fields                             {"name", "schema_type"?, "custom"?,
                                                             "allowed_values"?, "field_id"?} -> {"id"}
    PUT  /_emulator/jira/projects/{key}/workflow            {"statuses": [[name, category], ...],
                                                             "transitions": [{"name", "to", "from"?,
                                                             "id"?, "screen"?, "resolutions"?,
                                                             "required"?}]} -> {"transitions": [...]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .github_state import GitHubGone, GitHubInvalid, GitHubMoved, GitHubNotFound
from .jira_model import JiraError
from .wsgi import CONTROL_PREFIX, json_response, read_json

if TYPE_CHECKING:
    from .server import Emulator

Handler = Callable[[Mapping[str, Any], dict[str, Any]], Any]

_REPO = CONTROL_PREFIX + "/github/repos/<owner>/<repo>"
_RULES = [
    ("/health", "GET", "health"),
    ("/requests", "GET", "requests"),
    ("/requests", "DELETE", "clear_requests"),
    ("/faults", "GET", "faults"),
    ("/faults", "POST", "add_fault"),
    ("/faults", "DELETE", "reset_faults"),
    ("/clock", "POST", "clock"),
    ("/seed", "POST", "seed"),
    ("/github/repos", "POST", "gh_repo"),
    ("/jira/projects", "POST", "jira_project"),
    ("/jira/projects/<key>/issues", "GET", "jira_issues"),
    ("/jira/projects/<key>/issues", "POST", "jira_create"),
    ("/jira/issues/<key>/transition", "POST", "jira_transition"),
    ("/jira/issues/<key>/comment", "POST", "jira_comment"),
    ("/jira/issues/<key>/move", "POST", "jira_move"),
    ("/jira/issues/<key>/restrict", "POST", "jira_restrict"),
    ("/jira/issues/<key>", "DELETE", "jira_delete"),
    ("/jira/issues/<key>/children", "GET", "jira_children"),
    ("/jira/priorities", "POST", "jira_priorities"),
    ("/jira/fields", "POST", "jira_field"),
    ("/jira/projects/<key>/workflow", "PUT", "jira_workflow"),
]


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list of strings")
    return [str(v) for v in value]


def _objects(value: object, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{what} must be a list of objects")
    return value


def _status(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("status must be 403, 404 or null")
    return value


def _status_pairs(value: object) -> list[tuple[str, str]]:
    """``[[name, category], ...]`` or ``[{"name", "category"}, ...]``."""
    if not isinstance(value, list):
        raise ValueError("statuses must be a list of [name, category] pairs")
    pairs = []
    for item in value:
        if isinstance(item, dict):
            pairs.append((str(item["name"]), str(item["category"])))
        elif isinstance(item, list) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        else:
            raise ValueError(f"not a [name, category] pair: {item!r}")
    return pairs


def _map() -> Map:
    rules = [Rule(CONTROL_PREFIX + path, methods=[m], endpoint=ep) for path, m, ep in _RULES]
    rules += [
        Rule(f"{_REPO}/issues", methods=["GET"], endpoint="gh_issues"),
        Rule(f"{_REPO}/issues", methods=["POST"], endpoint="gh_create"),
        Rule(f"{_REPO}/issues/<int:number>/state", methods=["POST"], endpoint="gh_state"),
        Rule(f"{_REPO}/issues/<int:number>/assignees", methods=["POST"], endpoint="gh_assign"),
        Rule(f"{_REPO}/issues/<int:number>/labels", methods=["POST"], endpoint="gh_labels"),
        Rule(f"{_REPO}/issues/<int:number>/transfer", methods=["POST"], endpoint="gh_transfer"),
        Rule(f"{_REPO}/issues/<int:number>", methods=["DELETE"], endpoint="gh_delete"),
        Rule(f"{_REPO}/settings", methods=["POST"], endpoint="gh_settings"),
    ]
    return Map(rules, strict_slashes=False)


class ControlApi:
    """Answers ``/_emulator/...`` requests by calling the :class:`Emulator`'s own methods."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self._map = _map()
        e = emulator
        self._handlers: dict[str, Handler] = {
            "health": lambda a, b: {
                "ok": True,
                "github_url": e.github_url_or_none,
                "jira_url": e.jira_url_or_none,
                "jira_deployment": e.jira_deployment,
            },
            "requests": lambda a, b: {"requests": [r._asdict() for r in e.request_log]},
            "clear_requests": lambda a, b: e.clear_request_log(),
            "faults": lambda a, b: {"rules": [r.to_json() for r in e.faults.rules]},
            "add_fault": lambda a, b: e.faults.add_json(b).to_json(),
            "reset_faults": lambda a, b: e.faults.reset(),
            "clock": lambda a, b: e.advance_clock(float(b.get("advance", 0))),
            "seed": lambda a, b: e.load_seed(b),
            "gh_repo": lambda a, b: e.add_github_repo(
                str(b["full_name"]),
                private=bool(b.get("private", True)),
                has_issues=bool(b.get("has_issues", True)),
            ),
            "gh_issues": lambda a, b: e.github_issues(f"{a['owner']}/{a['repo']}"),
            "gh_create": lambda a, b: e.github_issue(
                f"{a['owner']}/{a['repo']}",
                e.github_create_issue(
                    f"{a['owner']}/{a['repo']}",
                    str(b["title"]),
                    b.get("body"),
                    labels=list(b.get("labels") or []),
                ),
            ),
            "gh_state": lambda a, b: e.github_set_state(
                f"{a['owner']}/{a['repo']}",
                a["number"],
                state=str(b["state"]),
                state_reason=b.get("state_reason"),
            ),
            "gh_assign": lambda a, b: e.github_set_assignees(
                f"{a['owner']}/{a['repo']}",
                a["number"],
                list(b.get("assignees") or []),
            ),
            "gh_labels": lambda a, b: e.github_add_label(
                f"{a['owner']}/{a['repo']}", a["number"], *[str(n) for n in b.get("labels") or []]
            ),
            "gh_transfer": lambda a, b: {
                "number": e.github_transfer_issue(f"{a['owner']}/{a['repo']}", a["number"], str(b["to"]))
            },
            "gh_delete": lambda a, b: e.github_delete_issue(f"{a['owner']}/{a['repo']}", a["number"]),
            "gh_settings": lambda a, b: e.github_set_repo(
                f"{a['owner']}/{a['repo']}",
                **{k: bool(b[k]) for k in ("has_issues", "visible", "labels_writable") if k in b},
            ),
            "jira_project": lambda a, b: e.add_jira_project(str(b["key"]), name=b.get("name")),
            "jira_issues": lambda a, b: e.jira_issues(a["key"]),
            "jira_create": lambda a, b: e.jira_issue(
                e.jira_create_issue(
                    a["key"],
                    str(b["summary"]),
                    b.get("description"),
                    labels=list(b.get("labels") or []),
                )
            ),
            "jira_transition": lambda a, b: e.jira_transition(
                a["key"],
                status=str(b["status"]),
                category=b.get("category"),
                resolution=b.get("resolution"),
            ),
            "jira_comment": lambda a, b: e.jira_add_comment(a["key"], str(b["text"])),
            "jira_move": lambda a, b: {"key": e.jira_move_issue(a["key"], str(b["project"]))},
            "jira_restrict": lambda a, b: e.jira_restrict_issue(a["key"], _status(b.get("status", 404))),
            "jira_delete": lambda a, b: e.jira_delete_issue(a["key"]),
            "jira_children": lambda a, b: {"children": e.jira_children(a["key"])},
            "jira_priorities": lambda a, b: e.jira_set_priorities(_strings(b["names"], "names")),
            "jira_field": lambda a, b: {
                "id": e.jira_add_field(
                    str(b["name"]),
                    schema_type=str(b.get("schema_type", "string")),
                    custom=str(b["custom"]) if b.get("custom") else None,
                    allowed_values=None if b.get("allowed_values") is None else _strings(b["allowed_values"], "values"),
                    field_id=None if b.get("field_id") is None else str(b["field_id"]),
                )
            },
            "jira_workflow": lambda a, b: {
                "transitions": e.jira_set_workflow(
                    a["key"], _status_pairs(b["statuses"]), _objects(b.get("transitions") or [], "transitions")
                )
            },
        }

    def __call__(self, request: Request) -> Response:
        """Answer one control request."""
        adapter = self._map.bind("", path_info=request.path)
        try:
            endpoint, args = adapter.match(method=request.method)
        except HTTPException as exc:
            return json_response({"error": exc.name}, exc.code or 404)
        try:
            body = read_json(request) or {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            result = self._handlers[endpoint](args, body)
        except (GitHubNotFound, KeyError) as exc:
            status = 400 if isinstance(exc, KeyError) else 404
            what = f"missing field {exc}" if isinstance(exc, KeyError) else f"not found: {exc}"
            return json_response({"error": what}, status)
        except JiraError as exc:
            return json_response({"error": str(exc), **exc.body()}, exc.status)
        except GitHubInvalid as exc:
            return json_response({"error": exc.message, "errors": exc.errors}, 422)
        except (GitHubGone, GitHubMoved, ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        status = (
            201
            if request.method == "POST"
            and endpoint
            in ("add_fault", "gh_repo", "gh_create", "jira_project", "jira_create", "jira_comment", "jira_field")
            else 200
        )
        return json_response(result if result is not None else {"ok": True}, status)
