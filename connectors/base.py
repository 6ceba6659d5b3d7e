"""The tracker interface: what the engine may ask of Jira or GitHub, and what it gets back.

The engine (``sync/``) talks to trackers only through :class:`Tracker` and the frozen
dataclasses below; it never imports ``jira`` or ``github``. Each connector translates its
vendor library's answers and exceptions into these types at the edge.

Exception tree::

    TrackerError                 any failure talking to a tracker
    ├── PermanentError           the request was understood and refused (400, 401, 403, 422):
    │   │                        retrying the same request will not help
    │   ├── MisconfiguredError   the configuration does not fit the tracker
    │   └── IssueGone            the issue was deleted or can no longer be read (404, 410)
    └── TransientError           the tracker may or may not have acted (timeout, reset
        │                        connection, 5xx, 429): the outcome of a write is unknown
        ├── Deferred             not sent: the tracker's limits ask for a longer wait than a
        │                        cycle may block; made in a later cycle
        └── UnexpectedAnswer     the answer was not the tracker's API at all (an HTML login
                                 page, a proxy error): a wrong URL when it persists
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

TrackerKind = Literal["jira", "github"]
#: Where the worker may move an issue: a tracking issue to done (and back open when its
#: post-mortem reopens), a withdrawn item to won't fix.
MoveGoal = Literal["done", "wont-fix", "open"]


class ItemStatus(enum.StrEnum):
    """The status of an action item as mirrored from its tracker issue."""

    OPEN = "open"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    WONT_FIX = "wont-fix"
    #: The tracker reported a status the mapping does not know. Never counts as finished.
    UNKNOWN = "unknown"
    #: The issue was deleted or can no longer be seen with the worker's credentials.
    #: Never counts as finished, and the item is never filed again on its own.
    GONE = "gone"

    @property
    def finished(self) -> bool:
        """True for the two statuses that let a post-mortem close."""
        return self in (ItemStatus.COMPLETED, ItemStatus.WONT_FIX)


@dataclass(frozen=True)
class ItemKey:
    """Identifies one action item across the whole organisation: post-mortem id + item id.

    Its text form is the marker every created issue carries, so the worker can find the
    issue again after a crash or a lost answer.
    """

    postmortem_id: str
    item_id: str

    @classmethod
    def tracking(cls, postmortem_id: str) -> ItemKey:
        """The key of a post-mortem's tracking issue when the worker creates it. ``#`` cannot
        appear in an item id, so it never collides with an action item."""
        return cls(postmortem_id, TRACKING_ITEM)

    @property
    def is_tracking(self) -> bool:
        return self.item_id == TRACKING_ITEM

    def __str__(self) -> str:
        if self.is_tracking:
            return f"{self.postmortem_id} tracking issue"
        return f"{self.postmortem_id}/{self.item_id}"


#: The item id of a post-mortem's tracking issue (see :meth:`ItemKey.tracking`).
TRACKING_ITEM = "#tracking"


@dataclass(frozen=True)
class IssueRef:
    """Where an issue lives.

    ``target`` is the Jira project key or the GitHub ``owner/repo``. ``key`` is what people
    read (``PLAT-12``, ``acme/payments#7``); ``id`` is the tracker's stable identifier (Jira's
    numeric issue id, GitHub's issue number as text).
    """

    tracker: TrackerKind
    target: str
    key: str
    id: str
    url: str


@dataclass(frozen=True)
class NewIssue:
    """Everything a connector needs to file one action item."""

    item: ItemKey
    target: str
    title: str
    body_markdown: str
    priority: str  # critical | high | medium | low
    deadline: date
    labels: tuple[str, ...] = ()
    issue_type: str = "Task"
    #: The tracking issue (an Epic in Jira) this issue belongs under, if any.
    parent: IssueRef | None = None


@dataclass(frozen=True)
class IssueState:
    """What the tracker says about an issue right now."""

    ref: IssueRef
    status: ItemStatus
    #: The tracker's own words for the status, e.g. ``Done / Won't Do`` or ``closed (not_planned)``.
    detail: str
    updated_at: datetime | None = None
    #: When the issue reached its current finished state (Jira resolution date, GitHub closed_at).
    finished_at: datetime | None = None
    item: ItemKey | None = None
    labels: tuple[str, ...] = ()
    #: The key of the issue's parent (Jira Epic) when the tracker says.
    parent_key: str | None = None


@dataclass(frozen=True)
class CommentRef:
    """A comment the worker posted (or found already posted)."""

    issue_key: str
    url: str
    already_there: bool = False


@dataclass(frozen=True)
class TrackerInfo:
    """What a start-up probe learned about a tracker."""

    kind: TrackerKind
    url: str
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class TrackerError(Exception):
    """A failure talking to a tracker. Messages never contain credentials."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PermanentError(TrackerError):
    """The tracker refused the request; repeating it unchanged will not help."""


class MisconfiguredError(PermanentError):
    """The configuration does not fit the tracker (a priority or field the site lacks, an
    API the site does not have): nothing will work until the configuration changes."""


class IssueGone(PermanentError):
    """The issue was deleted, moved out of reach, or cannot be read with these credentials."""


class TransientError(TrackerError):
    """The tracker may or may not have acted; retry later, and look before writing again.

    ``not_processed`` is True only when the tracker certainly did not act (it refused with
    a rate limit, or the connection was never made), so even a write may be repeated.
    ``retry_after`` is how many seconds the tracker asked us to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        not_processed: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.not_processed = not_processed


class Tracker(Protocol):
    """One tracker (a Jira site or a GitHub API endpoint) as the engine sees it."""

    kind: TrackerKind

    def probe(self) -> TrackerInfo:
        """Check the URL and credentials; raise :class:`TrackerError` with a hint if wrong."""
        ...

    def create_issue(self, new: NewIssue) -> IssueState:
        """File one issue carrying ``new.item`` as its marker. Not retried here."""
        ...

    def get_issue(self, ref: IssueRef, home: str | None = None) -> IssueState:
        """Read one issue's current status. Raises :class:`IssueGone` when it no longer exists.
        ``home`` is the target it was filed for (its team's): if it moved where no team files,
        that team's rules read its status."""
        ...

    def marker_scope(self, target: str) -> str:
        """What one marker search for ``target`` covers: ``target`` itself, or ``*`` when the
        tracker searches everywhere the worker files (a Jira site: issues moved to another
        project are found too)."""
        ...

    def find_by_marker(
        self,
        target: str,
        items: Iterable[ItemKey],
        since: datetime | None,
        expect: Collection[str] = (),
    ) -> dict[ItemKey, IssueState]:
        """Find the issues in ``target`` (``*``: see :meth:`marker_scope`) that carry any of
        ``items`` as their marker.

        ``since`` narrows the search to issues updated after that time (``None``: all of
        them). ``expect`` holds ids of issues known to carry the worker's label in
        ``target``: an answer without one of them is incomplete. Raises
        :class:`TrackerError` when the search could not be completed: an empty answer must
        mean "not there", never "could not look".
        """
        ...

    def post_comment(self, issue_key: str, body_markdown: str, marker: str) -> CommentRef:
        """Post ``body_markdown`` on ``issue_key`` unless a comment carrying ``marker`` is there."""
        ...

    def update_issue(self, ref: IssueRef, new: NewIssue, changed: Collection[str]) -> None:
        """Write what ``changed`` names (``text``, ``deadline``, ``priority``) from ``new``; the
        body, which states all three, is rewritten on any change. Never the status."""
        ...

    def set_parent(self, ref: IssueRef, parent: IssueRef) -> bool:
        """Put the issue under ``parent`` (a Jira Epic, a GitHub parent issue). Returns False
        when the tracker declines for good and the issue is left as it is (GitHub: another
        owner); raises :class:`PermanentError` when the configuration must change."""
        ...

    def set_label(self, ref: IssueRef, label: str, present: bool) -> bool:
        """Put ``label`` on the issue or take it off (nothing if it is as asked already).
        False when the label cannot be had there (the token may not create it)."""
        ...

    def move_issue(self, ref: IssueRef, goal: MoveGoal) -> IssueState:
        """Move the issue to ``done`` or ``wont-fix`` (nothing if it is there already);
        returns the state read back afterwards, which may still not be the goal (a status
        the mapping reads otherwise). Raises :class:`PermanentError` when it cannot move it."""
        ...

    def close(self) -> None:
        """Release network resources."""
        ...


class Deferred(TransientError):
    """Not sent: the tracker's limits ask for a longer wait than a cycle may block. Nothing
    was done; the same request is made in a later cycle."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after, not_processed=True)


class UnexpectedAnswer(TransientError):
    """The answer was not what the tracker's API sends: at start-up, a wrong URL."""
