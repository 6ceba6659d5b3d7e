"""The :class:`Emulator`: both fake trackers on loopback, their data, and the knobs tests turn.

Its Jira methods (acting in the site as a person or an admin) are in :mod:`.jira_person`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, get_args

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .clock import Clock
from .control import ControlApi
from .faults import Faults
from .github_api import GitHubApp
from .github_app_auth import AppIdentity, AppTokens
from .github_json import GitHubRenderer
from .github_state import GitHubState
from .jira_api import JiraApp
from .jira_model import Deployment, account_id
from .jira_person import JiraPerson
from .jira_state import JiraState
from .ratelimit import RateLimiter
from .request_log import RequestLog, RequestRecord
from .wsgi import ServiceApp

JsonDict = dict[str, Any]


class _Connections:
    """Open client sockets, so :meth:`Emulator.stop` can cut keep-alive connections too."""

    def __init__(self) -> None:
        self._socks: set[socket.socket] = set()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.add(sock)

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.discard(sock)

    def close_all(self) -> None:
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _handler_class(connections: _Connections) -> type[WSGIRequestHandler]:
    class Handler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            connections.add(self.connection)

        def finish(self) -> None:
            connections.discard(self.connection)
            super().finish()

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            # One line per request on stderr would drown test output.
            pass

    return Handler


class Emulator(JiraPerson):
    """Fake GitHub and Jira REST APIs served on 127.0.0.1 for the real client libraries.

    Create, :meth:`start`, point PyGithub at :attr:`github_url` and jira at :attr:`jira_url`,
    then :meth:`stop`. Also a context manager. The ``github_*``/``jira_*`` methods act as a
    person in the tracker would; :attr:`faults` injects failures; :attr:`request_log` lists
    answered requests.

    ``jira_deployment`` picks the Jira: ``"cloud"`` (REST v3 + v2, ADF, ``/search/jql``,
    Basic ``email:token``) or ``"datacenter"`` (Server/Data Center 9.12: REST v2 only, wiki
    strings, offset ``/search``, ``Authorization: Bearer <jira_token>``, epics through the
    "Epic Link"/"Epic Name" fields). On Data Center the bot's user name is the local part of
    ``jira_email``, and :attr:`jira_account_id` holds it.
    """

    def __init__(
        self,
        *,
        github_token: str = "gh-demo-token",  # noqa: S107 - the fake server's demo login
        jira_email: str = "bot@example.com",
        jira_token: str = "jira-demo-token",  # noqa: S107 - the fake server's demo login
        latency: float = 0.0,
        fault_rate: float = 0.0,
        seed: int | None = None,
        github_login: str = "pmsync-bot",
        github_rate_limit: int = 5000,
        github_rate_window: float = 3600.0,
        github_search_rate_limit: int = 30,
        github_content_limit: tuple[int, float] | None = None,
        github_enterprise: bool = False,
        github_app: AppIdentity | None = None,
        jira_rate_limit: int | None = None,
        jira_rate_window: float = 60.0,
        clock: Callable[[], float] | None = None,
        host: str = "127.0.0.1",
        github_port: int = 0,
        jira_port: int = 0,
        jira_deployment: Deployment = "cloud",
    ) -> None:
        if jira_deployment not in get_args(Deployment):
            raise ValueError(f"unknown jira_deployment {jira_deployment!r}: use cloud or datacenter")
        self.clock = Clock(clock) if clock is not None else Clock()
        self.faults = Faults(rate=fault_rate, seed=seed)
        self._log = RequestLog()
        self.github_state = GitHubState(self.clock)
        self.jira_state = JiraState(self.clock, jira_deployment)
        self.github_login = github_login
        self.jira_email = jira_email
        dc = jira_deployment == "datacenter"
        self.jira_account_id = jira_email.split("@", 1)[0] if dc else account_id(jira_email)
        self._host = host
        self._ports = {"github": github_port, "jira": jira_port}
        control = ControlApi(self)
        self.github_app = GitHubApp(
            state=self.github_state,
            token=github_token,
            login=github_login,
            core_limit=RateLimiter(self.clock, github_rate_limit, github_rate_window),
            search_limit=RateLimiter(self.clock, github_search_rate_limit, 60.0),
            faults=self.faults,
            log=self._log,
            control=control,
            latency=latency,
            app_tokens=AppTokens(github_app, self.clock) if github_app is not None else None,
            content_limit=(
                RateLimiter(self.clock, github_content_limit[0], github_content_limit[1])
                if github_content_limit is not None
                else None
            ),
        )
        if github_enterprise:
            # GitHub Enterprise Server: the API under /api/v3, the web UI everywhere else.
            self.github_app.api_prefix = "/api/v3"
        self.jira_app = JiraApp(
            state=self.jira_state,
            clock=self.clock,
            email=jira_email,
            token=jira_token,
            account=self.jira_account_id,
            rate_limit=(
                RateLimiter(self.clock, jira_rate_limit, jira_rate_window) if jira_rate_limit is not None else None
            ),
            faults=self.faults,
            log=self._log,
            control=control,
            latency=latency,
        )
        self._servers: dict[str, BaseWSGIServer] = {}
        self._threads: list[threading.Thread] = []
        self._connections = _Connections()

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind both servers and serve them from daemon threads; returns ``self``."""
        if self._servers:
            raise RuntimeError("emulator already started")
        apps: dict[str, ServiceApp] = {"github": self.github_app, "jira": self.jira_app}
        handler = _handler_class(self._connections)
        try:
            for name, app in apps.items():
                server = make_server(self._host, self._ports[name], app, threaded=True, request_handler=handler)
                self._servers[name] = server
                app.base_url = f"http://{self._host}:{server.server_port}{app.api_prefix}"
        except BaseException:
            for server in self._servers.values():
                server.server_close()
            self._servers.clear()
            raise
        for name, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"emulator-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop both servers and cut every open client connection."""
        for server in self._servers.values():
            server.shutdown()
        for server in self._servers.values():
            server.server_close()
        self._connections.close_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def github_url(self) -> str:
        """Base URL for PyGithub (github.com layout, no ``/api/v3``)."""
        if not self.github_app.base_url:
            raise RuntimeError("emulator not started")
        return self.github_app.base_url

    @property
    def jira_url(self) -> str:
        """Server URL for the jira client."""
        if not self.jira_app.base_url:
            raise RuntimeError("emulator not started")
        return self.jira_app.base_url

    @property
    def github_url_or_none(self) -> str | None:
        """:attr:`github_url`, or ``None`` before :meth:`start`."""
        return self.github_app.base_url or None

    @property
    def jira_url_or_none(self) -> str | None:
        """:attr:`jira_url`, or ``None`` before :meth:`start`."""
        return self.jira_app.base_url or None

    @property
    def request_log(self) -> list[RequestRecord]:
        """``(server, method, path, status)`` of every answered request; status 0 = dropped."""
        return self._log.snapshot()

    def clear_request_log(self) -> None:
        """Forget the requests recorded so far."""
        self._log.clear()

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (rate-limit windows, relative JQL dates)."""
        self.clock.advance(seconds)

    # --- GitHub, as a person ------------------------------------------------------------

    @property
    def _gh(self) -> GitHubRenderer:
        return self.github_app.renderer

    def add_github_repo(self, full_name: str, *, private: bool = True, has_issues: bool = True) -> JsonDict:
        """Create repository ``owner/name``; returns its JSON."""
        repo = self.github_state.add_repo(full_name, private=private, has_issues=has_issues)
        with self.github_state.lock:
            return self._gh.repo(repo)

    def github_issues(self, repo: str) -> list[JsonDict]:
        """Every issue of ``repo`` (open and closed) as GitHub JSON, by number."""
        with self.github_state.lock:
            r = self.github_state.any_repo(repo)
            return [self._gh.issue(r, i) for _, i in sorted(r.issues.items())]

    def github_issue(self, repo: str, number: int) -> JsonDict:
        """One issue as GitHub JSON."""
        with self.github_state.lock:
            r = self.github_state.any_repo(repo)
            return self._gh.issue(r, self.github_state.issue(r, number))

    def github_create_issue(
        self,
        repo: str,
        title: str,
        body: str | None = None,
        *,
        labels: Iterable[str] = (),
        actor: str = "repo-maintainer",
    ) -> int:
        """File an issue as ``actor``; returns its number."""
        r = self.github_state.any_repo(repo)
        data = {"title": title, "body": body, "labels": list(labels)}
        return self.github_state.create_issue(r, data, actor, as_worker=False).number

    def github_set_state(
        self,
        repo: str,
        number: int,
        *,
        state: str,
        state_reason: str | None = None,
        actor: str = "repo-maintainer",
    ) -> JsonDict:
        """Close or reopen an issue as ``actor``; returns the issue JSON."""
        r = self.github_state.any_repo(repo)
        self.github_state.set_state(r, number, state, state_reason, actor)
        return self.github_issue(repo, number)

    def github_set_assignees(self, repo: str, number: int, logins: Iterable[str]) -> JsonDict:
        """Replace an issue's assignees; returns the issue JSON."""
        r = self.github_state.any_repo(repo)
        self.github_state.set_assignees(r, number, list(logins))
        return self.github_issue(repo, number)

    def github_add_label(self, repo: str, number: int, *names: str) -> JsonDict:
        """Add labels to an issue (creating unknown ones); returns the issue JSON."""
        r = self.github_state.any_repo(repo)
        self.github_state.add_labels(r, number, list(names), as_worker=False)
        return self.github_issue(repo, number)

    def github_sub_issues(self, repo: str, number: int) -> list[str]:
        """The sub-issues of an issue, as ``owner/repo#N``."""
        state = self.github_state
        with state.lock:
            issue = state.issue(state.any_repo(repo), number)
            found = [state.issue_by_id(i) for i in issue.sub_issues]
            return [f"{r.full_name}#{i.number}" for r, i in found]

    def github_delete_issue(self, repo: str, number: int) -> None:
        """Delete an issue as an admin; its address answers 410 from now on."""
        self.github_state.delete_issue(self.github_state.any_repo(repo), number)

    def github_transfer_issue(self, repo: str, number: int, to: str) -> int:
        """Transfer an issue to repository ``to``; returns its number there. The old
        address answers 301 to the new one."""
        state = self.github_state
        return state.transfer_issue(state.any_repo(repo), number, state.any_repo(to)).number

    def github_set_repo(
        self,
        repo: str,
        *,
        has_issues: bool | None = None,
        visible: bool | None = None,
        labels_writable: bool | None = None,
    ) -> None:
        """Change a repository's settings: issues on or off, whether the worker's token can
        see it, whether it may create labels there."""
        with self.github_state.lock:
            r = self.github_state.any_repo(repo)
            if has_issues is not None:
                r.has_issues = has_issues
            if visible is not None:
                r.visible = visible
            if labels_writable is not None:
                r.labels_writable = labels_writable

    def github_add_comment(self, repo: str, number: int, body: str, *, actor: str = "repo-maintainer") -> None:
        """Comment on an issue as ``actor``."""
        r = self.github_state.any_repo(repo)
        self.github_state.add_comment(r, number, body, actor)

    # --- seeding ------------------------------------------------------------------------

    def load_seed(self, data: Mapping[str, Any]) -> None:
        """Load repos, projects, issues and fault rules from a seed document::

        {"github": {"repos": ["acme/payments", {"full_name": "acme/web"}],
                    "issues": [{"repo", "title", "body"?, "labels"?, "state"?,
                                "state_reason"?}]},
         "jira": {"projects": [{"key": "PLAT", "name": "Platform"}],
                  "issues": [{"project", "summary", "description"?, "labels"?,
                              "status"?, "category"?, "resolution"?}]},
         "faults": [{"mode": "status", "path": "...", ...}]}
        """
        github = data.get("github") or {}
        for repo in github.get("repos") or []:
            if isinstance(repo, str):
                self.add_github_repo(repo)
            else:
                self.add_github_repo(
                    repo["full_name"],
                    private=repo.get("private", True),
                    has_issues=repo.get("has_issues", True),
                )
        for issue in github.get("issues") or []:
            number = self.github_create_issue(
                issue["repo"], issue["title"], issue.get("body"), labels=issue.get("labels", ())
            )
            if issue.get("state"):
                self.github_set_state(
                    issue["repo"],
                    number,
                    state=issue["state"],
                    state_reason=issue.get("state_reason"),
                )
        jira = data.get("jira") or {}
        for project in jira.get("projects") or []:
            if isinstance(project, str):
                self.add_jira_project(project)
            else:
                self.add_jira_project(project["key"], project.get("name"))
        for issue in jira.get("issues") or []:
            key = self.jira_create_issue(
                issue["project"],
                issue["summary"],
                issue.get("description"),
                labels=issue.get("labels", ()),
            )
            if issue.get("status"):
                self.jira_transition(
                    key,
                    issue["status"],
                    category=issue.get("category"),
                    resolution=issue.get("resolution"),
                )
        for rule in data.get("faults") or []:
            self.faults.add_json(dict(rule))
