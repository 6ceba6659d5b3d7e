"""GitHub (github.com or Enterprise Server) through the ``PyGithub`` client library.

The library's own retries are switched off (``retry=None``): its default policy repeats
POSTs, which could file an action item twice when an answer is lost.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import structlog
from github import Auth, Github, GithubException
from github.Issue import Issue
from github.Milestone import Milestone
from github.Repository import Repository

from connectors import waits
from connectors.base import (
    CommentRef,
    Deferred,
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
from connectors.errors import GITHUB_SECRET, secret_forms
from connectors.github_auth import GitHubAppLogin, github_auth
from connectors.github_rules import DEFAULT_RULES, GitHubRepoRules, milestone_title
from connectors.markers import TRACKING_LABEL, closes_with, find_item_marker, item_marker
from connectors.pacing import ContentPacer
from connectors.retry import DEFAULT_RETRY, RetryPolicy

T = TypeVar("T")
log = structlog.get_logger(__name__)

#: Colours of the labels the worker creates (GitHub wants one).
LABEL_COLORS = {TRACKING_LABEL: "5319e7", "priority: critical": "b60205", "priority: high": "d93f0b"}
LABEL_COLOR = "c5def5"

_ISSUE_KEY = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(?P<number>[1-9][0-9]*)$")
_REPOSITORY_URL = re.compile(r"/repos/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/?$")


def repository_of(repository_url: str | None, asked: str) -> str:
    """The ``owner/repo`` an issue's ``repository_url`` names; ``asked`` when it names none.

    A transferred issue answers from its new repository (GitHub redirects the old address),
    so this is where the issue lives now, whatever address it was read by (pure)."""
    match = _REPOSITORY_URL.search(repository_url or "")
    if match is None:
        return asked
    found = match["repo"]
    # GitHub matches names without regard to case; keep the configured spelling when it is the same.
    return asked if found.lower() == asked.lower() else found


def priority_label(priority: str) -> str:
    return f"priority: {priority}"


class GitHubTracker:
    """A GitHub API endpoint. Implements :class:`connectors.base.Tracker`."""

    kind: TrackerKind = "github"

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        app: GitHubAppLogin | None = None,
        timeout: float = 20.0,
        seconds_between_writes: float = 1.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        repos: Mapping[str, GitHubRepoRules] | None = None,
        pacer: ContentPacer | None = None,
        auth_hint: str = "",
        url_hint: str = "",
    ) -> None:
        self.url = url.rstrip("/")
        #: Each repository's rules, by lower-case ``owner/repo``.
        self._rules = {name.lower(): rules for name, rules in (repos or {}).items()}
        secrets = secret_forms(token) if token is not None else []
        if app is not None:
            secrets.append(app.private_key)
        self._edge = CallEdge(
            url=self.url,
            api="GitHub",
            secrets=secrets,
            vendor=_vendor_error,
            retry=retry,
            auth_hint=auth_hint,
            url_hint=url_hint,
            patterns=(GITHUB_SECRET,),
        )
        self._token = token
        self._app = app
        self._timeout = max(1, round(timeout))
        self._seconds_between_writes = seconds_between_writes
        self._last_write = float("-inf")
        self._client: Github | None = None
        self._app_auth: Auth.AppInstallationAuth | None = None
        self._repos: dict[str, Repository] = {}
        #: Label names (case-folded) known to exist, per lower-case ``owner/repo``.
        self._labels: dict[str, set[str]] = {}
        #: Labels this token was refused, per lower-case ``owner/repo``: not asked for again.
        self._refused_labels: dict[str, set[str]] = {}
        #: Issues and comments are paced under GitHub's content-creation limits.
        self._pacer = pacer if pacer is not None else ContentPacer(max_wait=retry.max_wait)
        #: Milestones by title, per lower-case ``owner/repo``, and when they were listed.
        self._milestones: dict[str, tuple[float, dict[str, Milestone]]] = {}
        #: Repositories checked (exist, visible, take issues) by this process.
        self._checked: set[str] = set()

    @property
    def _gh(self) -> Github:
        """The client, built on first use: a GitHub App may first have to find its installation."""
        if self._client is None:
            try:
                auth = self._edge.call(
                    "GET the GitHub App's installation",
                    lambda: github_auth(
                        self._token, self._app, base_url=self.url, repos=sorted(self._rules), timeout=self._timeout
                    ),
                )
            except PermanentError as exc:
                raise MisconfiguredError(f"{exc}: {APP_HINT}") from None
            self._client = Github(
                base_url=self.url,
                auth=auth,
                retry=None,
                timeout=self._timeout,
                per_page=100,
                seconds_between_requests=None,
                # Writes are spaced in _call instead, with a wait a stop request cuts short.
                seconds_between_writes=None,
                # Lazy: no request until an answer is needed, so reading an issue is one GET
                # and the repository itself is never fetched. Every attribute access that may
                # complete an object therefore happens inside _call.
                lazy=True,
            )
            if isinstance(auth, Auth.AppInstallationAuth):
                self._app_auth = auth
        return self._client

    def _call(self, what: str, fn: Callable[[], T], *, write: bool = False) -> T:
        """``fn`` through the call edge, signed in first: an App's installation token is
        fetched (or renewed) on its own, so a refusal there reads as the App's configuration,
        never as an issue that is gone."""
        self._gh  # noqa: B018 - builds the client on first use
        if self._app_auth is not None:
            app_auth = self._app_auth
            try:
                self._edge.call("GET an installation token for the GitHub App", lambda: app_auth.token)
            except PermanentError as exc:
                raise MisconfiguredError(f"{exc}: {APP_HINT}") from None
        if not write:
            return self._edge.call(what, fn)
        held = self._pacer.held_for()
        if held > 0:
            # GitHub said to wait: carrying on with writes while limited risks the integration.
            raise Deferred(f"{what} waits {held:.0f}s more, as GitHub asked", retry_after=held)
        # GitHub asks integrations to leave a moment between writes.
        waits.pause(self._last_write + self._seconds_between_writes - time.monotonic())
        if waits.stopping():
            raise Deferred(f"{what} is made in a later cycle: the worker is stopping")
        try:
            return self._edge.call(what, fn, write=True)
        finally:
            self._last_write = time.monotonic()

    # -- helpers -------------------------------------------------------------------------

    def _repo(self, target: str) -> Repository:
        if target not in self._repos:
            self._repos[target] = self._gh.get_repo(target)
        return self._repos[target]

    def _state(self, asked: str, issue: Issue, home: str | None = None) -> IssueState:
        labels = [label.name for label in issue.labels]
        reason = issue.state_reason
        # Where the issue is now: a transferred one answers from its new repository.
        target = repository_of(issue.repository_url, asked)
        return IssueState(
            ref=IssueRef(
                tracker="github",
                target=target,
                key=f"{target}#{issue.number}",
                id=str(issue.number),
                url=self._edge.scrub(issue.html_url or ""),
            ),
            status=self._rules_for(target, home).status(issue.state, reason, labels, bool(issue.assignees)),
            detail=self._edge.scrub(str(issue.state) + (f" ({reason})" if reason else "")),
            updated_at=issue.updated_at,
            finished_at=issue.closed_at if issue.state == "closed" else None,
            item=find_item_marker(issue.body),
            labels=tuple(labels),
        )

    # -- Tracker -------------------------------------------------------------------------

    def probe(self) -> TrackerInfo:
        def read() -> tuple[int, int]:
            core = self._gh.get_rate_limit().resources.core
            return int(core.remaining), int(core.limit)

        try:
            remaining, limit = self._call("GET rate_limit", read)
        except UnexpectedAnswer as exc:
            raise MisconfiguredError(f"{exc}: {URL_HINT}") from exc
        except TrackerError as exc:
            if exc.status is not None and 300 <= exc.status < 400:
                raise MisconfiguredError(f"{exc}; a redirect is what a web page answers: {URL_HINT}") from exc
            raise
        for target, rules in sorted(self._rules.items()):
            self._check_repo(target, rules)
        return TrackerInfo(kind="github", url=self.url, detail=f"rate limit {remaining}/{limit}")

    def _checked_repo(self, target: str) -> None:
        """A team's repository is checked once per process before it is used, in case the
        start-up check could not run (GitHub was not answering then)."""
        rules = self._rules.get(target.lower())
        if rules is not None and target.lower() not in self._checked:
            self._check_repo(target.lower(), rules)

    def _check_repo(self, target: str, rules: GitHubRepoRules) -> None:
        """The repository exists, this token can see it and it takes issues."""
        who = ", ".join(rules.teams) or "its team"
        try:
            has_issues = self._call(f"GET repository {target}", lambda: self._gh.get_repo(target).has_issues)
        except IssueGone as exc:
            raise MisconfiguredError(
                f"repository {target} of {who}: not found, or this token cannot see it ({exc}); check the "
                "teams file's repo and the token's access"
            ) from exc
        if not isinstance(has_issues, bool):
            # Not a repository as the API describes one (a web page, a proxy's answer).
            raise UnexpectedAnswer(f"GET repository {target} answered something that is not the GitHub API")
        if not has_issues:
            raise MisconfiguredError(
                f"repository {target} of {who} has issues turned off: turn them on in its settings, or give "
                f"{who} another repo in the teams file"
            )
        self._checked.add(target.lower())

    @staticmethod
    def _body(new: NewIssue) -> str:
        return f"{new.body_markdown}\n\n<!-- {item_marker(new.item)} -->\n"

    def _usable_labels(self, target: str, wanted: Iterable[str]) -> list[str]:
        """``wanted``, after creating the labels the repository lacks. One this token may not
        create is left off, with a warning, except the worker's own label: without it the
        issue could not be found again, so nothing is filed until it exists."""
        repo = self._repo(target)
        known = self._labels.get(target.lower())
        if known is None:
            known = self._call(
                f"GET labels of {target}", lambda: {label.name.casefold() for label in repo.get_labels()}
            )
            self._labels[target.lower()] = known
        refused = self._refused_labels.setdefault(target.lower(), set())
        usable: list[str] = []
        for name in dict.fromkeys(wanted):
            if name.casefold() in refused:
                continue
            if name.casefold() not in known:
                try:
                    self._call(f"POST label {name!r} in {target}", self._label_maker(repo, name), write=True)
                except PermanentError as exc:
                    # 422: it exists already; a refusal may also mean someone made it since the
                    # list was read, which one look tells.
                    if exc.status != 422 and not self._label_exists(repo, target, name):
                        if name == TRACKING_LABEL:
                            raise MisconfiguredError(
                                f"cannot create the label {TRACKING_LABEL!r} in {target} ({exc}); every issue "
                                "the worker files carries it, so create it there once by hand, or give the "
                                "token permission to create labels"
                            ) from exc
                        log.warning(
                            "label left off: this token may not create it", repo=target, label=name, error=str(exc)
                        )
                        refused.add(name.casefold())
                        continue
                known.add(name.casefold())
            usable.append(name)
        return usable

    def _label_exists(self, repo: Repository, target: str, name: str) -> bool:
        try:
            # Lazy objects ask nothing until read: the colour makes it ask.
            self._call(f"GET label {name!r} of {target}", lambda: repo.get_label(name).color)
        except IssueGone:
            return False
        return True

    def _create_content(self, what: str, create: Callable[[], T]) -> T:
        """A content-creating request, paced; a limit GitHub answers holds the rest back."""
        self._pacer.acquire(what)
        try:
            return self._call(what, create, write=True)
        except TransientError as exc:
            if exc.not_processed and exc.retry_after is not None:
                self._pacer.hold(exc.retry_after)
                if exc.retry_after > self._pacer.max_wait:
                    raise Deferred(f"{exc}; it is made in a later cycle", retry_after=exc.retry_after) from exc
            raise

    @staticmethod
    def _label_maker(repo: Repository, name: str) -> Callable[[], object]:
        return lambda: repo.create_label(name, LABEL_COLORS.get(name, LABEL_COLOR), "Added by postmortem-sync")

    def _milestone(self, target: str, deadline: date) -> Milestone | None:
        """The milestone of issues due on ``deadline``, made if the repository lacks it;
        ``None`` (with a warning) where this token may not make it, or the team wants none."""
        if not self._rules.get(target.lower(), DEFAULT_RULES).deadline_milestones:
            return None
        repo = self._repo(target)
        title = milestone_title(deadline)
        known = self._milestone_list(repo, target)
        if title not in known:
            due = datetime(deadline.year, deadline.month, deadline.day, 12, tzinfo=UTC)
            try:
                known[title] = self._call(
                    f"POST milestone {title!r} in {target}",
                    lambda: repo.create_milestone(title, description="Action items due that day", due_on=due),
                    write=True,
                )
            except TransientError:
                # The answer was lost: it may well exist now.
                known = self._milestone_list(repo, target, fresh=True)
                if title not in known:
                    raise
            except PermanentError as exc:
                # 422: made meanwhile (or by an earlier try whose answer was lost): look again.
                known = self._milestone_list(repo, target, fresh=True) if exc.status == 422 else known
                if title not in known:
                    log.warning("issue filed without its milestone", repo=target, milestone=title, error=str(exc))
                    return None
        return known[title]

    def _milestone_list(self, repo: Repository, target: str, *, fresh: bool = False) -> dict[str, Milestone]:
        """The repository's milestones by title, listed at most once a minute: people add and
        delete them too."""
        cached = self._milestones.get(target.lower())
        if cached is not None and not fresh and time.monotonic() - cached[0] < MILESTONES_FOR:
            return cached[1]
        listed = self._call(
            f"GET milestones of {target}", lambda: {m.title: m for m in repo.get_milestones(state="all")}
        )
        self._milestones[target.lower()] = (time.monotonic(), listed)
        return listed

    def create_issue(self, new: NewIssue) -> IssueState:
        body = self._body(new)
        extra: dict[str, Any] = {}
        self._checked_repo(new.target)
        try:
            labels = self._usable_labels(new.target, [TRACKING_LABEL, priority_label(new.priority), *new.labels])
            milestone = None if new.item.is_tracking else self._milestone(new.target, new.deadline)
        except TransientError as exc:
            # Nothing was filed yet: the create itself was never sent.
            raise TransientError(str(exc), status=exc.status, retry_after=exc.retry_after, not_processed=True) from exc
        if milestone is not None:
            extra["milestone"] = milestone
        repo = self._repo(new.target)
        issue = self._create_content(
            f"POST issue in {new.target}", lambda: repo.create_issue(title=new.title, body=body, labels=labels, **extra)
        )
        return self._call(f"read the new issue in {new.target}", lambda: self._state(new.target, issue))

    def _rules_for(self, target: str, home: str | None) -> GitHubRepoRules:
        """The rules of the repository an issue is in; transferred where no team files, those
        of the repository it was filed in (its team's)."""
        found = self._rules.get(target.lower()) or (self._rules.get(home.lower()) if home else None)
        return found or DEFAULT_RULES

    def get_issue(self, ref: IssueRef, home: str | None = None) -> IssueState:
        repo = self._repo(ref.target)
        return self._call(f"GET issue {ref.key}", lambda: self._state(ref.target, repo.get_issue(int(ref.id)), home))

    def update_issue(self, ref: IssueRef, new: NewIssue, changed: Collection[str]) -> None:
        issue = self._repo(ref.target).get_issue(int(ref.id))
        edits: dict[str, Any] = {"body": self._body(new)}
        if "text" in changed:
            edits["title"] = new.title
        if "priority" in changed:
            # The priority is a label: swap it, keep every other label people added.
            current = self._call(f"GET issue {ref.key}", lambda: [label.name for label in issue.labels])
            prefix = priority_label("").casefold()
            edits["labels"] = [name for name in current if not name.casefold().startswith(prefix)]
            edits["labels"] += self._usable_labels(ref.target, [priority_label(new.priority)])
        if "deadline" in changed and not new.item.is_tracking:
            milestone = self._milestone(ref.target, new.deadline)
            if milestone is not None:
                edits["milestone"] = milestone
        self._call(f"PATCH issue {ref.key}", lambda: issue.edit(**edits), write=True)

    def set_parent(self, ref: IssueRef, parent: IssueRef) -> bool:
        """Attach the issue to ``parent`` as a sub-issue. Where GitHub will not (another owner,
        a parent someone else gave it, a full parent), it is left as it is, with a warning: the
        tracking issue's task list still lists it."""
        child = self._repo(ref.target).get_issue(int(ref.id))
        holder = self._repo(parent.target).get_issue(int(parent.id))
        child_id = self._call(f"GET issue {ref.key}", lambda: int(child.id))
        try:
            self._call(f"POST sub-issue {ref.key} of {parent.key}", lambda: holder.add_sub_issue(child_id), write=True)
        except PermanentError as exc:
            if exc.status != 422:
                raise
            if "already a sub-issue of this issue" in str(exc):
                return True  # an earlier answer was lost
            log.warning("not attached as a sub-issue", issue=ref.key, parent=parent.key, error=str(exc))
            return False
        return True

    def set_label(self, ref: IssueRef, label: str, present: bool) -> bool:
        issue = self._repo(ref.target).get_issue(int(ref.id))
        if present:
            if not self._usable_labels(ref.target, [label]):
                return False  # the token may not create it: warned about once
            self._call(f"POST label {label!r} on {ref.key}", lambda: issue.add_to_labels(label), write=True)
            return True
        try:
            self._call(f"DELETE label {label!r} of {ref.key}", lambda: issue.remove_from_labels(label), write=True)
        except IssueGone:
            pass  # not on it (any more): as asked
        return True

    def move_issue(self, ref: IssueRef, goal: MoveGoal) -> IssueState:
        wanted = ItemStatus.COMPLETED if goal == "done" else ItemStatus.WONT_FIX
        state = self.get_issue(ref)
        if state.status == wanted or (goal == "open" and not state.status.finished):
            return state
        issue = self._repo(ref.target).get_issue(int(ref.id))
        if goal == "open":
            self._call(f"PATCH issue {ref.key}", lambda: issue.edit(state="open"), write=True)
        else:
            reason = "completed" if goal == "done" else "not_planned"
            self._call(f"PATCH issue {ref.key}", lambda: issue.edit(state="closed", state_reason=reason), write=True)
        return self.get_issue(ref)

    def marker_scope(self, target: str) -> str:
        return target

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
        self._checked_repo(target)
        repo = self._repo(target)

        def scan() -> dict[ItemKey, IssueState]:
            kwargs: dict[str, Any] = {
                "state": "all",
                "labels": [TRACKING_LABEL],
                "sort": "created",
                "direction": "asc",
            }
            # Narrowed by time only when no issue is expected: an expected one that was not
            # updated since would be missing from a complete answer.
            if since is not None and not expect:
                kwargs["since"] = since
            found: dict[ItemKey, IssueState] = {}
            seen: set[str] = set()
            for issue in repo.get_issues(**kwargs):
                # Pull requests are listed too. Judged by URL: reading `pull_request`, which
                # issues lack, would make PyGithub fetch each issue again.
                if "/pull/" in (issue.html_url or ""):
                    continue
                seen.add(str(issue.number))
                key = find_item_marker(issue.body)
                # The oldest issue carrying a marker is the one the worker filed first.
                if key in wanted and key not in found:
                    found[key] = self._state(target, issue)
            missing = sorted(set(expect) - seen, key=int)
            if missing:
                raise TrackerError(
                    f"the issue list of {target} is incomplete: it lacks #{', #'.join(missing[:5])}, "
                    f"which carry the {TRACKING_LABEL} label"
                )
            return found

        try:
            return self._call(f"list the issues of {target}", scan)
        except IssueGone as exc:
            if exc.status == 410:  # the repository's issues were turned off since it was checked
                self._checked.discard(target.lower())
                raise MisconfiguredError(f"{exc}: issues are turned off in {target}; turn them on again") from exc
            raise

    def post_comment(self, issue_key: str, body_markdown: str, marker: str) -> CommentRef:
        match = _ISSUE_KEY.match(issue_key)
        if match is None:
            raise PermanentError(f"{issue_key!r} is not a GitHub issue reference (owner/repo#N)")
        repo = self._repo(match["repo"])
        number = int(match["number"])
        issue = repo.get_issue(number)  # lazy: the comment requests below are the first

        def existing() -> CommentRef | None:
            for comment in issue.get_comments():
                if closes_with(comment.body, marker):
                    return CommentRef(issue_key=issue_key, url=self._edge.scrub(comment.html_url), already_there=True)
            return None

        found = self._call(f"GET comments of {issue_key}", existing)
        if found is not None:
            return found
        body = f"{body_markdown}\n\n<!-- {marker} -->\n"
        comment = self._create_content(f"POST comment on {issue_key}", lambda: issue.create_comment(body))
        return CommentRef(issue_key=issue_key, url=self._edge.scrub(comment.html_url))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


#: How long a repository's list of milestones is trusted, in seconds.
MILESTONES_FOR = 60.0
URL_HINT = "check PMSYNC_GITHUB_URL (GitHub Enterprise Server: https://HOST/api/v3)"
APP_HINT = (
    "check PMSYNC_GITHUB_APP_ID, PMSYNC_GITHUB_APP_PRIVATE_KEY and PMSYNC_GITHUB_APP_INSTALLATION_ID "
    "(the App must be installed on the teams' repositories)"
)


def _vendor_error(exc: Exception) -> VendorError | None:
    if not isinstance(exc, GithubException):
        return None
    status = exc.status if exc.status and exc.status > 0 else None
    return VendorError(status, _github_detail(exc), exc.headers)


def _github_detail(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            message += " " + "; ".join(str(e) for e in errors)
        return message
    return ""
