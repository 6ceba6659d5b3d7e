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
from datetime import UTC, date, datetime, timedelta, tzinfo

from config.teams import GitHubTeam, Team
from connectors.base import IssueRef, IssueState, ItemKey, ItemStatus, MoveGoal, NewIssue
from sync.issue_text import (
    ItemProgress,
    fingerprint,
    issue_fingerprint,
    new_issue,
    tracking_issue,
    tracking_record_fields,
)
from sync.model import ActionItem, PostMortem
from sync.pushed import Field, changed_fields
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
    #: What this cycle saw of each tracker (``ok``, ``failed``, ``skipped``, ``unused``) and
    #: its last error, for its circuit breaker.
    trackers: Mapping[str, tuple[str, str]] = field(default_factory=dict)


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
    withdrawn: str | None = None

    def describe(self) -> str:
        return f"record action item {self.key} (owner {self.team}, due {self.deadline_iso})"


@dataclass(frozen=True)
class CreateIssue:
    key: ItemKey
    tracker: str
    team: str
    issue: NewIssue
    #: File it under this item's issue (the tracking issue) if that is linked by then.
    parent: ItemKey | None = None
    #: Fingerprint of what the issue says (see :func:`sync.issue_text.fingerprint`).
    pushed: str | None = None

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
    #: Nothing changed but a problem noted earlier is over: clear it without a word.
    quiet: bool = False

    def describe(self) -> str:
        if self.quiet:
            return f"clear the problem noted on {self.key}: {self.state.ref.key} reads fine again"
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


@dataclass(frozen=True)
class FollowMove:
    """The issue answers under another key (moved to another Jira project): store it."""

    key: ItemKey
    state: IssueState
    previous_key: str

    def describe(self) -> str:
        return f"follow {self.key}: {self.previous_key} is now {self.state.ref.key}"


@dataclass(frozen=True)
class UpdateIssue:
    """The definition's description, deadline or priority changed after filing: write it once."""

    key: ItemKey
    ref: IssueRef
    issue: NewIssue
    pushed: str
    #: What was written before, restored if the tracker certainly did not take the edit.
    previous: str
    changed: frozenset[Field]

    def changes(self) -> str:
        """What is written, in words: ``description, deadline 2024-04-05``."""
        what = {
            "text": "description",
            "deadline": f"deadline {self.issue.deadline.isoformat()}",
            "priority": f"priority {self.issue.priority}",
        }
        return ", ".join(what[name] for name in ("text", "deadline", "priority") if name in self.changed)

    def describe(self) -> str:
        if self.key.is_tracking:
            return f"bring the tracking issue {self.ref.key} of {self.key.postmortem_id} up to date with its items"
        return f"update {self.ref.key} ({self.key}) from the edited definition: {self.changes()}"


@dataclass(frozen=True)
class RecordPushed:
    """Remember what a filed issue says, without writing to it (stores from before edits were tracked)."""

    key: ItemKey
    pushed: str

    def describe(self) -> str:
        return f"note what {self.key}'s issue says"


@dataclass(frozen=True)
class SetParent:
    """Put an action item's issue under the post-mortem's tracking issue. The tracking
    issue's link is looked up when this is applied: it may be created in the same cycle."""

    key: ItemKey
    ref: IssueRef
    parent: ItemKey

    def describe(self) -> str:
        return f"put {self.ref.key} ({self.key}) under the tracking issue of {self.parent.postmortem_id}"


@dataclass(frozen=True)
class RecordMoved:
    """The issue is where the worker would move it: remember that it need not be moved again."""

    key: ItemKey

    def describe(self) -> str:
        return f"note that {self.key}'s issue is closed"


@dataclass(frozen=True)
class MarkOverdue:
    """Put the team's overdue label on an open issue past its deadline, or take it off."""

    key: ItemKey
    ref: IssueRef
    label: str
    overdue: bool
    deadline: date

    def describe(self) -> str:
        if self.overdue:
            return f"label {self.ref.key} ({self.key}) {self.label!r}: it was due {self.deadline.isoformat()}"
        return f"take {self.label!r} off {self.ref.key} ({self.key})"


@dataclass(frozen=True)
class MoveIssue:
    """Move an issue the worker is responsible for: a withdrawn item to won't fix, a
    tracking issue to done."""

    key: ItemKey
    ref: IssueRef
    goal: MoveGoal
    comment: str | None = None

    def describe(self) -> str:
        if self.goal == "wont-fix":
            return f"close {self.ref.key} ({self.key}) as won't do: the item was withdrawn"
        if self.goal == "open":
            return f"reopen the tracking issue {self.ref.key}: post-mortem {self.key.postmortem_id} reopened"
        done = "move it to done" if self.ref.tracker == "jira" else "close it"
        return f"{done}: the tracking issue {self.ref.key} of {self.key.postmortem_id}"


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
    | FollowMove
    | UpdateIssue
    | RecordPushed
    | SetParent
    | MoveIssue
    | RecordMoved
    | MarkOverdue
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
        withdrawn=item.withdrawn,
    )


def _tracking_record(pm: PostMortem, team_name: str, team: Team) -> RecordItem:
    description, deadline, priority = tracking_record_fields(pm)
    return RecordItem(
        key=ItemKey.tracking(pm.id),
        description=description,
        team=team_name,
        tracker=team.tracker,
        target=team.target,
        deadline_iso=deadline.isoformat(),
        priority=priority,
    )


def _stored_matches(stored: StoredItem, record: RecordItem) -> bool:
    return (
        stored.description == record.description
        and stored.team == record.team
        and stored.deadline.isoformat() == record.deadline_iso
        and stored.priority == record.priority
        and stored.withdrawn == record.withdrawn
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
    zone: tzinfo = UTC,
) -> list[Action]:
    """Decide the actions of one cycle, in the order they must be applied. ``zone``'s
    calendar says when a deadline has passed."""
    actions: list[Action] = []
    for definition in definitions:
        actions += _plan_postmortem(definition, teams, snapshot, observations, now, create_grace, zone)
    return actions


@dataclass
class _Cycle:
    """What planning one post-mortem needs at hand."""

    snapshot: Snapshot
    obs: Observations
    now: datetime
    create_grace: timedelta
    #: Today on the configured calendar.
    today: date
    #: States read in this cycle, by item (tracking issue included).
    fresh: dict[ItemKey, IssueState] = field(default_factory=dict)


def _plan_postmortem(
    definition: Definition,
    teams: Mapping[str, Team],
    snapshot: Snapshot,
    obs: Observations,
    now: datetime,
    create_grace: timedelta,
    zone: tzinfo,
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

    cycle = _Cycle(snapshot, obs, now, create_grace, now.astimezone(zone).date())
    tracking = _plan_tracking(pm, teams, cycle, out)
    for item in pm.action_items:
        key = ItemKey(pm.id, item.id)
        team = teams[item.owner]
        stored = snapshot.items.get(key)
        if item.withdrawn:
            out += _plan_issue(key, _record_for(pm, item, team), stored, cycle, None)
            state = cycle.fresh.get(key)
            if (
                stored is not None
                and stored.linked
                and stored.moved_at is None
                and state is not None
                and state.status is not ItemStatus.GONE
            ):
                if state.status.finished:
                    # Closed already (by an earlier move whose answer was lost, or by people):
                    # from now on, what happens to the issue is theirs.
                    out.append(RecordMoved(key))
                else:
                    reason = f"Withdrawn from post-mortem {pm.id} ({pm.title}): {item.withdrawn}"
                    out.append(MoveIssue(key, state.ref, "wont-fix", reason))
            if state is not None and state.status is not ItemStatus.GONE and isinstance(team, GitHubTeam):
                if team.overdue_label:
                    out += overdue_label(key, state, item.deadline, cycle.today, team.overdue_label, withdrawn=True)
            continue
        issue = new_issue(pm, item, item.owner, team)
        if isinstance(team, GitHubTeam) and team.overdue_label and item.deadline < cycle.today:
            # Filed late: overdue from the start, rather than labelled a cycle later.
            issue = replace(issue, labels=(*issue.labels, team.overdue_label))
        # Jira items go under a Jira tracking issue; its link is looked up when filing,
        # since it may be created earlier in this same cycle.
        parent = (
            ItemKey.tracking(pm.id)
            if pm.create_tracking_issue and can_hold(teams[pm.create_tracking_issue], team)
            else None
        )
        pushed = fingerprint(item)
        out += _plan_issue(key, _record_for(pm, item, team), stored, cycle, _Filing(item.owner, issue, parent, pushed))
        state = cycle.fresh.get(key)
        if stored is None or not stored.linked or state is None or state.status is ItemStatus.GONE:
            continue
        if stored.pushed is None:
            out.append(RecordPushed(key, pushed))
        elif stored.pushed != pushed:
            out.append(UpdateIssue(key, state.ref, issue, pushed, stored.pushed, changed_fields(stored.pushed, pushed)))
        if parent is not None and _needs_parent(stored, tracking, cycle.snapshot.tracking.get(pm.id)):
            out.append(SetParent(key, state.ref, parent))
        if isinstance(team, GitHubTeam) and team.overdue_label:
            out += overdue_label(key, state, item.deadline, cycle.today, team.overdue_label)

    out += _plan_closure(pm, stored_pm, cycle, tracking)
    return out


def overdue_label(
    key: ItemKey, state: IssueState, deadline: date, today: date, label: str, *, withdrawn: bool = False
) -> list[Action]:
    """Whether the issue's overdue label must go on or come off (pure): on while it is not
    finished or withdrawn and its deadline has passed on ``today``'s calendar, off otherwise."""
    wanted = deadline < today and not state.status.finished and not withdrawn
    present = label.casefold() in {name.casefold() for name in state.labels}
    return [MarkOverdue(key, state.ref, label, wanted, deadline)] if wanted != present else []


def can_hold(tracking_team: Team, item_team: Team) -> bool:
    """Whether the tracking issue filed for ``tracking_team`` can hold the issues of
    ``item_team`` (pure): a Jira Epic holds the site's issues; a GitHub issue holds
    sub-issues of repositories with the same owner."""
    if tracking_team.tracker != item_team.tracker:
        return False
    if tracking_team.tracker == "jira":
        return True
    return tracking_team.target.split("/")[0].lower() == item_team.target.split("/")[0].lower()


def _needs_parent(stored: StoredItem, tracking: _Tracking | None, tracking_row: StoredItem | None) -> bool:
    """Whether a filed item still has to be put under its tracking issue: not yet under the
    one that exists, or under none while it is being created (looked up when applied)."""
    if tracking is not None:
        return stored.parent_key != tracking.ref.key
    not_filed_yet = tracking_row is None or not tracking_row.linked
    return not_filed_yet and stored.parent_key is None


@dataclass(frozen=True)
class _Filing:
    """How to file an issue: for which team, what it says, under which tracking issue."""

    team: str
    issue: NewIssue
    parent: ItemKey | None = None
    pushed: str | None = None


@dataclass(frozen=True)
class _Tracking:
    """The tracking issue the worker created for a post-mortem, as known now."""

    key: ItemKey
    tracker: str
    ref: IssueRef
    state: IssueState | None
    moved_at: datetime | None


def _plan_tracking(pm: PostMortem, teams: Mapping[str, Team], cycle: _Cycle, out: list[Action]) -> _Tracking | None:
    """Plan the tracking issue the definition asks for; return it once it is linked."""
    if not pm.create_tracking_issue:
        return None
    team_name = pm.create_tracking_issue
    team = teams[team_name]
    key = ItemKey.tracking(pm.id)
    stored = cycle.snapshot.tracking.get(pm.id)
    record = _tracking_record(pm, team_name, team)
    issue = tracking_issue(pm, team_name, team, _progress(pm, cycle))
    pushed = issue_fingerprint(issue)
    out += _plan_issue(key, record, stored, cycle, _Filing(team_name, issue, pushed=pushed))
    if stored is None or not stored.linked:
        return None
    state = cycle.fresh.get(key)
    if state is not None and state.status is ItemStatus.GONE:
        return None
    if state is not None:
        # Its text lists the items: keep it in step with edits and withdrawals, once each.
        if stored.pushed is None:
            out.append(RecordPushed(key, pushed))
        elif stored.pushed != pushed:
            out.append(UpdateIssue(key, state.ref, issue, pushed, stored.pushed, changed_fields(stored.pushed, pushed)))
    return _Tracking(key, stored.tracker, state.ref if state else stored.ref(), state, stored.moved_at)


def _progress(pm: PostMortem, cycle: _Cycle) -> dict[str, ItemProgress]:
    """Each item's issue and whether it is finished: read in this cycle where it was, as
    last known otherwise (a failed read does not untick an item)."""
    out: dict[str, ItemProgress] = {}
    for item in pm.action_items:
        key = ItemKey(pm.id, item.id)
        stored = cycle.snapshot.items.get(key)
        state = cycle.obs.states.get(key)
        if state is not None and state.status is not ItemStatus.GONE:
            out[item.id] = ItemProgress(state.ref.key, state.status.finished)
        elif stored is not None and stored.linked:
            out[item.id] = ItemProgress(stored.issue_key, bool(stored.status and stored.status.finished))
    return out


def _plan_issue(
    key: ItemKey,
    record: RecordItem,
    stored: StoredItem | None,
    cycle: _Cycle,
    create: _Filing | None,
) -> list[Action]:
    """Record, mirror, link or file one issue. ``create`` says how to file it; None for a
    withdrawn item, which is never filed."""
    out: list[Action] = []
    if stored is None or not _stored_matches(stored, record):
        out.append(record)

    if stored is not None and stored.linked:
        state = cycle.obs.states.get(key)
        if state is not None:
            cycle.fresh[key] = state
            if state.ref.key != stored.issue_key and state.status is not ItemStatus.GONE:
                out.append(FollowMove(key, state, stored.issue_key or "?"))
            previous = stored.status.value if stored.status else None
            if stored.status != state.status or stored.status_detail != state.detail:
                out.append(RecordStatus(key, state, previous))
            elif stored.last_error is not None:
                # Read fine this time: a problem from an earlier cycle is no longer shown.
                out.append(RecordStatus(key, state, previous, quiet=True))
        return out

    if key in cycle.obs.found:
        state = cycle.obs.found[key]
        cycle.fresh[key] = state
        out.append(LinkIssue(key, state))
        return out
    if create is None or key not in cycle.obs.searched:
        return out  # withdrawn, or could not look: never create blind
    started = stored.create_started_at if stored is not None else None
    if started is not None and cycle.now < started + cycle.create_grace:
        out.append(WaitForCreate(key, started + cycle.create_grace))
        return out
    issue, tracker = create.issue, record.tracker
    if started is not None and stored is not None and (stored.tracker, stored.target) != (tracker, record.target):
        # The first attempt may yet show up where it went: file the retry there too.
        tracker, issue = stored.tracker, replace(issue, target=stored.target)
    out.append(CreateIssue(key, tracker, create.team, issue, create.parent, create.pushed))
    return out


def _finished(item: ActionItem, key: ItemKey, cycle: _Cycle) -> bool:
    """Whether the item lets its post-mortem close, judged on what was read in this cycle.
    A withdrawn item never holds it open, whatever becomes of its issue."""
    if item.withdrawn:
        return True
    state = cycle.fresh.get(key)
    return state is not None and state.status.finished


def _plan_closure(
    pm: PostMortem,
    stored_pm: StoredPostMortem | None,
    cycle: _Cycle,
    tracking: _Tracking | None,
) -> list[Action]:
    report_on = pm.tracking_issue or (tracking.ref.key if tracking is not None else None)
    move_tracking: list[Action] = []
    if tracking is not None and tracking.moved_at is None:
        if tracking.state is not None and tracking.state.status.finished:
            # Closed already, whichever way people closed it: nothing to move.
            move_tracking.append(RecordMoved(tracking.key))
        else:
            move_tracking.append(MoveIssue(tracking.key, tracking.ref, "done"))
    keys = {ItemKey(pm.id, item.id): item for item in pm.action_items}
    if stored_pm is None or stored_pm.state == "open":
        if all(_finished(item, key, cycle) for key, item in keys.items()):
            close: list[Action] = [ClosePostMortem(pm.id)]
            if report_on:
                close.append(PostReport(pm.id, report_on))
            return close + move_tracking
        return []
    reasons = [
        f"{k.item_id} is {cycle.fresh[k].status.value} again"
        for k, item in keys.items()
        if k in cycle.fresh and not _finished(item, k, cycle)
    ]
    reasons += [
        f"{k.item_id} was added"
        for k, item in keys.items()
        if not item.withdrawn
        and k not in cycle.fresh
        and (k not in cycle.snapshot.items or not cycle.snapshot.items[k].linked)
    ]
    if reasons:
        reopen: list[Action] = [ReopenPostMortem(pm.id, ", ".join(reasons))]
        if tracking is not None and tracking.state is not None and tracking.state.status.finished:
            # The work is not finished after all: the tracking issue opens again with its post-mortem.
            reopen.append(MoveIssue(tracking.key, tracking.ref, "open"))
        return reopen
    out: list[Action] = []
    if report_on and stored_pm.report_posted_at is None:
        out.append(PostReport(pm.id, report_on))
    return out + move_tracking
