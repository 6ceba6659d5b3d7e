"""What ``postmortem-sync status`` shows: post-mortems, their items, and the worker's health."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from connectors.base import ItemStatus
from sync.breaker import breakers_from
from sync.store import Store, StoredItem
from sync.wording import printable, when

_STYLE = {
    "completed": "green",
    "wont-fix": "cyan",
    "in-progress": "yellow",
    "open": "white",
    "unknown": "magenta",
    "not filed": "red",
    "gone": "red",
    "withdrawn": "cyan",
}
#: How a state reads in the table, where it differs from the value scripts get.
_LABEL = {"gone": "gone from tracker"}


def item_state(item: StoredItem) -> str:
    """The item's state: its issue's status, ``withdrawn`` (whatever its issue says: the
    definition dropped it), or ``not filed``."""
    if item.withdrawn:
        return "withdrawn"
    if item.status is not None:
        return item.status.value
    return "not filed"


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    """The calendar day it is in ``zone`` (deadlines are days on that calendar)."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


def is_overdue(item: StoredItem, today: date) -> bool:
    """Past its deadline (``today`` in the configured time zone) and not finished or withdrawn."""
    return item.deadline < today and not (item.status and item.status.finished) and not item.withdrawn


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def collect(store: Store, today: date) -> dict[str, Any]:
    """The status as plain data (the ``--json`` shape; stable for scripts)."""
    snap = store.snapshot()
    good = store.last_good_cycle()
    last = store.last_cycles(1)
    finished = store.last_finished_cycle()
    postmortems = []
    for pm in sorted(snap.postmortems.values(), key=lambda p: p.id):
        items = sorted(
            (i for k, i in snap.items.items() if k.postmortem_id == pm.id),
            key=lambda i: i.key.item_id,
        )
        postmortems.append(
            {
                "id": pm.id,
                "title": pm.title,
                "state": pm.state,
                "source": pm.source_path,
                "tracking_issue": pm.tracking_issue
                or (snap.tracking[pm.id].issue_key if pm.id in snap.tracking else None),
                "closed_at": _iso(pm.closed_at),
                "report_path": pm.report_path,
                "report_url": pm.report_url,
                "items": [
                    {
                        "id": i.key.item_id,
                        "team": i.team,
                        "tracker": i.tracker,
                        "issue": i.issue_key,
                        "url": i.issue_url,
                        "status": item_state(i),
                        "detail": i.status_detail,
                        "issue_status": i.status.value if i.status else None,
                        "deadline": i.deadline.isoformat(),
                        "priority": i.priority,
                        "overdue": is_overdue(i, today),
                        "finished_at": _iso(i.finished_at),
                        "status_seen_at": _iso(i.status_seen_at),
                        "in_definition": i.in_definition,
                        "withdrawn": i.withdrawn,
                        "problem": i.last_error,
                    }
                    for i in items
                ],
            }
        )
    return {
        "last_cycle": (
            {
                "started_at": _iso(last[0].started_at),
                "finished_at": _iso(last[0].finished_at),
                "ok": last[0].ok,
                "summary": last[0].summary,
            }
            if last
            else None
        ),
        "last_good_cycle_finished_at": _iso(good.finished_at) if good else None,
        # Trackers failing cycle after cycle, and until when the worker leaves them alone.
        "trackers": {
            kind: breaker.to_json()
            for kind, breaker in breakers_from(finished.summary if finished is not None else None).items()
        },
        "postmortems": postmortems,
    }


def render(data: dict[str, Any], console: Console) -> None:
    if not data["postmortems"]:
        console.print("No post-mortems in the store yet: run [bold]postmortem-sync sync --once[/bold] first.")
    for pm in data["postmortems"]:
        done = sum(
            1
            for i in pm["items"]
            if i["status"] in (ItemStatus.COMPLETED.value, ItemStatus.WONT_FIX.value, "withdrawn")
        )
        title = f"{pm['id']}  {pm['title']}  [{pm['state']}, {done} of {len(pm['items'])} finished]"
        # A heading of its own: a table title is cut to the table's width.
        console.print(_text(title, style="bold"), soft_wrap=True)
        if pm["tracking_issue"]:
            console.print(_text(f"  tracking issue: {pm['tracking_issue']}"), soft_wrap=True)
        table = Table(expand=False)
        for column in ("Item", "Team", "Issue", "Status", "Deadline", "Priority", "Note"):
            # Fold rather than cut: an issue key with an ellipsis cannot be looked up.
            table.add_column(column, overflow="fold")
        for item in pm["items"]:
            notes = Text("; ").join(
                [Text("overdue", style="red")] * item["overdue"]
                + [Text("removed from definition")] * (not item["in_definition"])
                + [_text(f"withdrawn: {item['withdrawn']}")] * bool(item["withdrawn"])
                + [_text(f"its issue: {item['detail'] or '?'}")] * bool(item["withdrawn"] and item["issue"])
                + [Text("restore the issue, or withdraw the item")] * (item["status"] == "gone")
                + [Text("problem, see below", style="magenta")] * bool(item["problem"])
            )
            # Text from definitions and trackers is shown as written, never read as markup.
            table.add_row(
                _text(item["id"]),
                _text(item["team"]),
                _text(item["issue"] or "-"),
                Text(_LABEL.get(item["status"], item["status"]), style=_STYLE.get(item["status"], "white")),
                Text(item["deadline"]),
                Text(item["priority"]),
                notes,
            )
        console.print(table)
        for item in pm["items"]:
            if item["problem"]:
                console.print(
                    Text(f"  {printable(item['id'])}: ", style="magenta") + _text(item["problem"]), soft_wrap=True
                )
        if pm["report_path"]:
            if pm["report_url"]:
                where = f", posted at {pm['report_url']}"
            elif pm["tracking_issue"]:
                where = f", not yet posted on {pm['tracking_issue']}"
            else:
                where = ""
            console.print(f"  report: {pm['report_path']}{where}", markup=False, soft_wrap=True)
        console.print()
    last = data["last_cycle"]
    if last:
        state = "OK" if last["ok"] else "with problems"
        console.print(f"Last cycle: started {_human(last['started_at'])}, {state}.", markup=False)
        problems = last["summary"].get("definition_problems") or []
        if problems:
            console.print("Definitions skipped in that cycle (`postmortem-sync validate` checks them):", markup=False)
            for problem in problems:
                console.print(_text(f"  ✗ {problem}"), soft_wrap=True)
    console.print(f"Last good cycle finished: {_human(data['last_good_cycle_finished_at'])}.", markup=False)
    for kind, breaker in sorted(data.get("trackers", {}).items()):
        if breaker["open_until"]:
            said = f"left alone until {_human(breaker['open_until'])}, then tried again"
        else:
            said = "still called; left alone for a while if it keeps failing"
        console.print(
            _text(f"{kind}: failed in {breaker['failures']} cycles in a row, {said} (last: {breaker['reason']})"),
            soft_wrap=True,
        )


def _text(value: str, style: str = "") -> Text:
    """Text from definitions and trackers, shown as written: no markup, no control characters."""
    return Text(printable(value), style=style)


def _human(iso: str | None) -> str:
    return when(datetime.fromisoformat(iso)) if iso else "never"
