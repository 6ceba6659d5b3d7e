"""The plan: what one sync cycle should do. Pure: definitions + store + observations → actions.

Rules that keep "exactly one issue per action item":

- An item is filed only after a marker search of its tracker target *completed* in this
  cycle and found nothing. A search that failed means "could not look", never "not there".
- An item whose last create had an unknown outcome (``create_started_at`` set, no link) is
  filed again only after ``create_grace`` has passed since that attempt, because a
  tracker's search may lag just after a create.

A post-mortem closes only when every one of its action items was read from its tracker in
this cycle and found ``completed`` or ``wont-fix``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from config.teams import Team
from connectors.base import IssueState, ItemKey, NewIssue
from sync.issue_text import new_issue
from sync.model import ActionItem, PostMortem
from sync.store import Snapshot, StoredItem, StoredPostMortem


@dataclass(frozen=True)
class Definition:
    """A post-mortem that loaded cleanly, and where it came from."""

    postmortem: PostMortem
    source: str


@dataclass(frozen=True)
class Observations:
    """What the trackers said in this cycle, before anything was changed."""

    #: Fresh states of linked issues.
    states: Mapping[ItemKey, IssueState] = field(default_factory=dict)
    #: Linked issues that could not be read, with the reason.
    read_errors: Mapping[ItemKey, str] = field(default_factory=dict)
    #: Unlinked items whose marker search completed (found or not).
    searched: frozenset[ItemKey] = frozenset()
    #: Unlinked items whose marker search found their issue.
    found: Mapping[ItemKey, IssueState] = field(default_factory=dict)


# -- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterPostMortem:
    postmortem_id: str
    title: str
    source: str
    tracking_issue: str | None
    item_ids: frozenset[str]
    detected_at: datetime | None = None

    def describe(self) -> str:
        return f"record post-mortem {self.postmortem_id} ({self.title})"


@dataclass(frozen=True)
class RecordItem:
    key: ItemKey
    description: str
    team: str
    tracker: str
    target: str
    deadline_iso: str
    priority: str

    def describe(self) -> str:
        return f"record action item {self.key} (owner {self.team}, due {self.deadline_iso})"


@dataclass(frozen=True)
class CreateIssue:
    key: ItemKey
    tracker: str
    team: str
    issue: NewIssue

    def describe(self) -> str:
        return f"file {self.key} in {self.tracker} {self.issue.target} for {self.team}: {self.issue.title}"


@dataclass(frozen=True)
class LinkIssue:
    """The marker search found the issue an earlier, interrupted create had filed."""

    key: ItemKey
    state: IssueState

    def describe(self) -> str:
        return f"link {self.key} to the existing issue {self.state.ref.key} (found by its marker)"


@dataclass(frozen=True)
class WaitForCreate:
    key: ItemKey
    until: datetime

    def describe(self) -> str:
        return (
            f"wait: the last create of {self.key} had no answer; looking for its issue "
            f"until {self.until:%Y-%m-%d %H:%M:%S} UTC before filing again"
        )


@dataclass(frozen=True)
class RecordStatus:
    key: ItemKey
    state: IssueState
    previous: str | None

    def describe(self) -> str:
        was = self.previous or "never seen"
        return f"mirror {self.key} ({self.state.ref.key}): {was} -> {self.state.status.value} [{self.state.detail}]"


@dataclass(frozen=True)
class ClosePostMortem:
    postmortem_id: str

    def describe(self) -> str:
        return f"close post-mortem {self.postmortem_id}: every action item is finished; write its report"


@dataclass(frozen=True)
class PostReport:
    postmortem_id: str
    tracking_issue: str

    def describe(self) -> str:
        return f"post the follow-through report of {self.postmortem_id} on {self.tracking_issue}"


@dataclass(frozen=True)
class ReopenPostMortem:
    postmortem_id: str
    reason: str

    def describe(self) -> str:
        return f"reopen post-mortem {self.postmortem_id}: {self.reason}"


Action = (
    RegisterPostMortem
    | RecordItem
    | CreateIssue
    | LinkIssue
    | WaitForCreate
    | RecordStatus
    | ClosePostMortem
    | PostReport
    | ReopenPostMortem
)


# -- planning -----------------------------------------------------------------------------


def _record_for(pm: PostMortem, item: ActionItem, team: Team) -> RecordItem:
    return RecordItem(
        key=ItemKey(pm.id, item.id),
        description=item.description,
        team=item.owner,
        tracker=team.tracker,
        target=team.target,
        deadline_iso=item.deadline.isoformat(),
        priority=item.priority.value,
    )


def _stored_matches(stored: StoredItem, record: RecordItem) -> bool:
    return (
        stored.description == record.description
        and stored.team == record.team
        and stored.deadline.isoformat() == record.deadline_iso
        and stored.priority == record.priority
        and stored.in_definition
        # The target of a filed issue is where it lives, whatever the team routing says now.
        and (stored.linked or (stored.tracker, stored.target) == (record.tracker, record.target))
    )


def plan(
    definitions: Sequence[Definition],
    teams: Mapping[str, Team],
    snapshot: Snapshot,
    observations: Observations,
    now: datetime,
    create_grace: timedelta,
) -> list[Action]:
    """Decide the actions of one cycle, in the order they must be applied."""
    actions: list[Action] = []
    for definition in definitions:
        actions += _plan_postmortem(definition, teams, snapshot, observations, now, create_grace)
    return actions


def _plan_postmortem(
    definition: Definition,
    teams: Mapping[str, Team],
    snapshot: Snapshot,
    obs: Observations,
    now: datetime,
    create_grace: timedelta,
) -> list[Action]:
    pm = definition.postmortem
    stored_pm = snapshot.postmortems.get(pm.id)
    out: list[Action] = []
    item_ids = frozenset(item.id for item in pm.action_items)
    stored_ids = {k.item_id for k, v in snapshot.items.items() if k.postmortem_id == pm.id and v.in_definition}
    if (
        stored_pm is None
        or (stored_pm.title, stored_pm.source_path, stored_pm.tracking_issue, stored_pm.detected_at)
        != (pm.title, definition.source, pm.tracking_issue, pm.detected_at)
        or stored_ids - item_ids
    ):
        out.append(RegisterPostMortem(pm.id, pm.title, definition.source, pm.tracking_issue, item_ids, pm.detected_at))

    fresh: dict[ItemKey, IssueState] = {}
    for item in pm.action_items:
        key = ItemKey(pm.id, item.id)
        team = teams[item.owner]
        record = _record_for(pm, item, team)
        stored = snapshot.items.get(key)
        if stored is None or not _stored_matches(stored, record):
            out.append(record)

        if stored is not None and stored.linked:
            state = obs.states.get(key)
            if state is not None:
                fresh[key] = state
                if stored.status != state.status or stored.status_detail != state.detail:
                    out.append(RecordStatus(key, state, stored.status.value if stored.status else None))
            continue

        if key in obs.found:
            state = obs.found[key]
            fresh[key] = state
            out.append(LinkIssue(key, state))
            continue
        if key not in obs.searched:
            continue  # could not look: never create blind
        started = stored.create_started_at if stored is not None else None
        if started is not None and now < started + create_grace:
            out.append(WaitForCreate(key, started + create_grace))
            continue
        issue = new_issue(pm, item, item.owner, team)
        tracker: str = team.tracker
        if started is not None and stored is not None and (stored.tracker, stored.target) != (tracker, team.target):
            # The first attempt may yet show up where it went: file the retry there too.
            tracker, issue = stored.tracker, replace(issue, target=stored.target)
        out.append(CreateIssue(key, tracker, item.owner, issue))

    out += _plan_closure(pm, stored_pm, snapshot, fresh)
    return out


def _plan_closure(
    pm: PostMortem,
    stored_pm: StoredPostMortem | None,
    snapshot: Snapshot,
    fresh: Mapping[ItemKey, IssueState],
) -> list[Action]:
    keys = [ItemKey(pm.id, item.id) for item in pm.action_items]
    if stored_pm is None or stored_pm.state == "open":
        if all(k in fresh and fresh[k].status.finished for k in keys):
            close: list[Action] = [ClosePostMortem(pm.id)]
            if pm.tracking_issue:
                close.append(PostReport(pm.id, pm.tracking_issue))
            return close
        return []
    reasons = [
        f"{k.item_id} is {fresh[k].status.value} again" for k in keys if k in fresh and not fresh[k].status.finished
    ]
    reasons += [
        f"{k.item_id} was added"
        for k in keys
        if k not in fresh and (k not in snapshot.items or not snapshot.items[k].linked)
    ]
    if reasons:
        return [ReopenPostMortem(pm.id, ", ".join(reasons))]
    if pm.tracking_issue and stored_pm.report_posted_at is None:
        return [PostReport(pm.id, pm.tracking_issue)]
    return []
