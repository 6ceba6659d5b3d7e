"""The follow-through report written when a post-mortem closes (Markdown, via Jinja2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from connectors.base import ItemKey, ItemStatus
from sync.issue_text import incident_window
from sync.model import PostMortem
from sync.store import StoredItem
from sync.wording import plural


@dataclass(frozen=True)
class ReportRow:
    id: str
    description: str
    team: str
    priority: str
    deadline: str
    status: str
    finished: str
    timeliness: str
    issue_key: str
    url: str | None


def outcomes(completed: int, wont_fix: int, withdrawn: int) -> str:
    """``4 completed, 1 closed as won't fix`` (only the kinds there are; pure)."""
    parts = [f"{completed} completed"] if completed or not (wont_fix or withdrawn) else []
    parts += [f"{wont_fix} closed as won't fix"] * bool(wont_fix)
    parts += [f"{withdrawn} withdrawn"] * bool(withdrawn)
    return ", ".join(parts)


def timeliness(deadline: date, finished: date | None) -> str:
    """``on time``, ``early by N days`` or ``late by N days`` (pure)."""
    if finished is None:
        return "not finished"
    delta = (finished - deadline).days
    if delta > 0:
        return f"late by {delta} day{'s' if delta != 1 else ''}"
    if delta < 0:
        return f"on time ({-delta} day{'s' if delta != -1 else ''} early)"
    return "on time"


def _oneline(text: str) -> str:
    return " ".join(str(text).split())


def _cell(text: str) -> str:
    return _oneline(text).replace("|", "\\|")


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("sync", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML  # noqa: S701
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _cell
    env.filters["oneline"] = _oneline
    env.filters["plural"] = plural
    return env


def render_report(pm: PostMortem, items: Mapping[ItemKey, StoredItem], closed_at: datetime, zone: tzinfo = UTC) -> str:
    """The Markdown follow-through report of a closed post-mortem. Days (finished, on time)
    are calendar days in ``zone``."""
    rows: list[ReportRow] = []
    on_time = late = completed = wont_fix = withdrawn = 0
    for item in pm.action_items:
        stored = items.get(ItemKey(pm.id, item.id))
        status = stored.status if stored and stored.status else ItemStatus.UNKNOWN
        finished_day = stored.finished_at.astimezone(zone).date() if stored and stored.finished_at else None
        when = timeliness(item.deadline, finished_day)
        status_text = status.value
        if item.withdrawn:
            withdrawn += 1
            when = "n/a (withdrawn)"
            status_text = f"withdrawn: {item.withdrawn}"
        elif status is ItemStatus.WONT_FIX:
            wont_fix += 1
            when = "n/a (won't fix)"
        else:
            completed += status is ItemStatus.COMPLETED
            late += when.startswith("late")
            on_time += when.startswith("on time")
        rows.append(
            ReportRow(
                id=item.id,
                description=item.description,
                team=item.owner,
                priority=item.priority.value,
                deadline=item.deadline.isoformat(),
                status=status_text,
                finished=finished_day.isoformat() if finished_day else "-",
                timeliness=when,
                issue_key=(stored.issue_key if stored and stored.issue_key else "-"),
                url=stored.issue_url if stored else None,
            )
        )
    days = (closed_at.astimezone(zone).date() - pm.detected_at.astimezone(zone).date()).days
    text = (
        _env()
        .get_template("followthrough.md.j2")
        .render(
            pm=pm,
            incident=incident_window(pm),
            items=rows,
            counts={"outcomes": outcomes(completed, wont_fix, withdrawn), "on_time": on_time, "late": late},
            closed_at=closed_at.astimezone(zone).strftime("%Y-%m-%d"),
            days_to_close=days,
            factors=pm.contributing_factors,
        )
    )
    # Template conditionals leave runs of blank lines; Markdown needs at most one.
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def write_report(reports_dir: Path, postmortem_id: str, text: str) -> Path:
    """Write atomically, so a crash never leaves half a report behind."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"{postmortem_id}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
