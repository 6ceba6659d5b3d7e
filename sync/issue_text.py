"""What an action item's tracker issue says. Pure functions.

The text names the owning team and the systems involved, never a person: it is built only
from the definition's team, description, summary and contributing factors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from config.teams import JiraTeam, Team
from connectors.base import ItemKey, NewIssue
from sync.model import ActionItem, PostMortem
from sync.pushed import pushed_state
from sync.wording import when

TITLE_LIMIT = 200
CONTEXT_LIMIT = 600


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cell(text: str) -> str:
    # Table cells are one line and must not close the cell early.
    return " ".join(text.split()).replace("|", "\\|")


def issue_title(pm: PostMortem, item: ActionItem) -> str:
    first_line = item.description.strip().splitlines()[0]
    return _clip(f"[{pm.id}] {first_line}", TITLE_LIMIT)


def incident_window(pm: PostMortem) -> str:
    start = when(pm.detected_at)
    if pm.resolved_at is None:
        return f"detected {start}, not yet resolved"
    minutes = round((pm.resolved_at - pm.detected_at).total_seconds() / 60)
    return f"detected {start}, resolved after {minutes} min"


def issue_body(pm: PostMortem, item: ActionItem, team_name: str, team: Team) -> str:
    """The issue body in Markdown (converted to Atlassian Document Format for Jira)."""
    lines = [
        f"**Action item {item.id} of post-mortem {pm.id}: {pm.title}**",
        "",
        item.description.strip(),
        "",
        "| | |",
        "|---|---|",
        f"| Owning team | {_cell(team_name)} |",
        f"| Priority | {item.priority.value} |",
        f"| Deadline | {item.deadline.isoformat()} |",
        f"| Post-mortem | {_cell(pm.id)}: {_cell(pm.title)} (severity {pm.severity}) |",
        f"| Incident | {incident_window(pm)} |",
    ]
    if pm.summary.strip():
        lines += ["", "### Context", "", _clip(pm.summary, CONTEXT_LIMIT)]
    if pm.contributing_factors:
        lines += ["", "### Contributing factors", ""]
        for factor in pm.contributing_factors:
            kind = "systemic" if factor.systemic else "one-off"
            lines.append(f"- {_clip(factor.description, 200)} ({factor.category.value}, {kind})")
    lines += [
        "",
        "---",
        f"_Filed by postmortem-sync for {team_name}. {_how_to_finish(team)} The post-mortem follows "
        "this issue's status and closes when all of its action items are finished._",
    ]
    return "\n".join(lines)


def _how_to_finish(team: Team) -> str:
    if team.tracker == "jira":
        return "Resolve this issue when the work is done, or resolve it as Won't Do if the team decides against it."
    return "Close this issue when the work is done, or close it as not planned if the team decides against it."


def new_issue(pm: PostMortem, item: ActionItem, team_name: str, team: Team) -> NewIssue:
    return NewIssue(
        item=ItemKey(pm.id, item.id),
        target=team.target,
        title=issue_title(pm, item),
        body_markdown=issue_body(pm, item, team_name, team),
        priority=item.priority.value,
        deadline=item.deadline,
        labels=tuple(team.labels),
        issue_type=getattr(team, "issue_type", "Task"),
    )


def fingerprint(item: ActionItem) -> str:
    """What an edit of the definition can change on a filed issue (see :mod:`sync.pushed`)."""
    return pushed_state(item.description, item.deadline, item.priority.value)


_PRIORITY_ORDER = ("critical", "high", "medium", "low")


def issue_fingerprint(issue: NewIssue) -> str:
    """Everything a tracking issue says (see :mod:`sync.pushed`)."""
    return pushed_state(f"{issue.title}\n{issue.body_markdown}", issue.deadline, issue.priority)


def tracking_record_fields(pm: PostMortem) -> tuple[str, date, str]:
    """(description, deadline, priority) of a post-mortem's tracking issue: it is due when
    its last live action item is, and as urgent as its most urgent one."""
    live = [item for item in pm.action_items if not item.withdrawn] or list(pm.action_items)
    deadline = max(item.deadline for item in live)
    priority = min((item.priority.value for item in live), key=_PRIORITY_ORDER.index)
    return f"Post-mortem {pm.id}: {pm.title}", deadline, priority


@dataclass(frozen=True)
class ItemProgress:
    """Where an action item's issue is and whether it is finished, as a tracking issue shows it."""

    issue_key: str | None
    finished: bool


def tracking_issue(
    pm: PostMortem, team_name: str, team: Team, progress: Mapping[str, ItemProgress] | None = None
) -> NewIssue:
    """The tracking issue the worker creates for a post-mortem (an Epic in Jira).

    On GitHub its action items are a task list, ticked as they finish and linked to their
    issues (``progress``, by item id), so the issue shows the follow-through at a glance; in
    Jira the Epic's children show it, and the list stays plain."""
    _, deadline, priority = tracking_record_fields(pm)
    tasks = team.tracker == "github"
    lines = [
        f"**Tracking issue of post-mortem {pm.id}: {pm.title}** (severity {pm.severity})",
        "",
        f"Incident: {incident_window(pm)}.",
    ]
    if pm.summary.strip():
        lines += ["", _clip(pm.summary, CONTEXT_LIMIT)]
    lines += ["", "### Action items", ""]
    for item in pm.action_items:
        note = f" (withdrawn: {_clip(item.withdrawn, 200)})" if item.withdrawn else ""
        text = (
            f"{item.id}: {_clip(item.description, 200)} ({item.owner}, {item.priority.value}, "
            f"due {item.deadline.isoformat()}){note}"
        )
        if not tasks:
            lines.append(f"- {text}")
            continue
        known = (progress or {}).get(item.id, ItemProgress(None, False))
        done = bool(item.withdrawn) or known.finished
        where = f" {known.issue_key}" if known.issue_key else ""
        lines.append(f"- [{'x' if done else ' '}] {'~~' + text + '~~' if item.withdrawn else text}{where}")
    lines += [
        "",
        "---",
        f"_Filed by postmortem-sync for {team_name}. The follow-through report is posted here, and this "
        f"issue is {'moved to done' if team.tracker == 'jira' else 'closed'}, when every action item is finished._",
    ]
    return NewIssue(
        item=ItemKey.tracking(pm.id),
        target=team.target,
        title=_clip(f"[{pm.id}] Post-mortem follow-through: {pm.title}", TITLE_LIMIT),
        body_markdown="\n".join(lines),
        priority=priority,
        deadline=deadline,
        labels=tuple(team.labels),
        issue_type=team.tracking_issue_type if isinstance(team, JiraTeam) else "Task",
    )
