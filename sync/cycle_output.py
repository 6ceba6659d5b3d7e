"""What ``sync`` and the demo print about a cycle: one line per thing that happened."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console

from sync.cycle import CycleResult
from sync.plan import RecordItem, RecordMoved, RecordPushed, RegisterPostMortem
from sync.wording import plural, printable

_MARKS = {
    "filed": "+",
    "linked": "=",
    "mirrored": "~",
    "moved": "→",
    "withdrawn": "⊘",
    "finished": "✔",
    "updated": "✎",
    "closed": "✔",
    "posted": "✉",
    "reopened": "↺",
    "waiting": "…",
    "overdue": "⚑",
    "unlabelled": "⚐",
    "error": "✗",
}
#: Bookkeeping actions: the store's copy of the definitions. Counted, not listed, in a dry run.
_BOOKKEEPING = (RegisterPostMortem, RecordItem, RecordPushed, RecordMoved)


def _line(console: Console, text: str) -> None:
    console.print(printable(text), soft_wrap=True, markup=False, highlight=False)


def same_message(errors: Mapping[str, str], shown: int = 3) -> list[tuple[str, str]]:
    """Errors grouped by message, in first-seen order: a tracker refusing every call is said
    once, naming the first few items (``A, B, C and 4 more``; pure)."""
    groups: dict[str, list[str]] = {}
    for key, message in errors.items():
        groups.setdefault(message, []).append(key)
    out = []
    for message, keys in groups.items():
        named = ", ".join(keys[:shown]) + (f" and {len(keys) - shown} more" if len(keys) > shown else "")
        out.append((named, message))
    return out


def print_cycle(result: CycleResult, console: Console) -> None:
    if result.skipped:
        _line(console, "Skipped: another cycle is running on this state store.")
        return
    for error in result.definition_errors:
        _line(console, f"✗ invalid definition skipped: {error}")
    for keys, message in same_message(result.read_errors):
        _line(console, f"! {keys}: {message}")
    for key, message in result.attention.items():
        _line(console, f"! {key}: {message}")
    if result.dry_run:
        _print_plan(result, console)
    else:
        for event in result.events:
            where = f" <{event.url}>" if event.url else ""
            _line(console, f"{_MARKS.get(event.kind, '-')} {event.kind:<8} {event.subject}: {event.message}{where}")
    _line(console, summary_line(result))


def _print_plan(result: CycleResult, console: Console) -> None:
    visible = [a for a in result.actions if not isinstance(a, _BOOKKEEPING)]
    for action in visible:
        _line(console, f"would {action.describe()}")
    bookkeeping = len(result.actions) - len(visible)
    if bookkeeping:
        entries = plural(bookkeeping, "post-mortem or action item", "post-mortems or action items")
        _line(console, f"would note {entries} from the definitions in the state store")
    if not result.actions:
        if result.read_errors or result.attention:
            _line(console, "Nothing else to do for now; the items above could not be read or filed.")
            return
        scope = "the valid definitions" if result.definition_errors else "the definitions"
        _line(console, f"Nothing to do: the trackers and the state store agree with {scope}.")


def summary_line(result: CycleResult) -> str:
    parts = [plural(result.postmortems, "post-mortem")]
    if result.dry_run:
        parts.append("dry run, nothing changed")
    else:
        counts: dict[str, int] = {}
        for event in result.events:
            counts[event.kind] = counts.get(event.kind, 0) + 1
        done = [f"{kind} {counts[kind]}" for kind in _MARKS if kind != "error" and counts.get(kind)]
        parts.append(", ".join(done) if done else "nothing changed in the trackers")
        if counts.get("error"):
            parts.append(plural(counts["error"], "failed action"))
    if result.read_errors:
        parts.append(plural(len(result.read_errors), "item") + " not read or not filed")
    if result.attention:
        parts.append(plural(len(result.attention), "issue") + " gone from the tracker")
    if result.definition_errors:
        parts.append(plural(len(result.definition_errors), "definition problem"))
    if result.stopped:
        parts.append("stopped before the end; the next cycle does the rest")
    head = "OK" if result.ok else "Needs attention"
    return f"{head}: " + "; ".join(parts) + "."
