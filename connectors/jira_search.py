"""Paging through a Jira search, refusing answers that are incomplete. Pure.

Jira Cloud pages ``/search/jql`` with ``nextPageToken`` and ``isLast`` (no total); Server
and Data Center page ``/search`` with ``startAt`` and ``total``. A marker search decides
whether an item is filed, so "found nothing" must mean nothing is there. An answer is
refused when it lacks its paging fields, says more follows without saying how to get it,
stops short of its own total, answers another page than the one asked for, repeats an
issue or a page token, or runs past :data:`MAX_PAGES`.

Offset pages shift when an issue leaves the result between two pages (deleted, moved out
of the project, label removed): the issue after it would never be seen. A change of
``total`` between pages shows it; the search then starts over (at most
:data:`RESTARTS` times).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connectors.base import TrackerError

#: 100 issues a page: 100,000 issues carrying the label before the answer is refused.
MAX_PAGES = 1000
RESTARTS = 2


def _incomplete(what: str, why: str) -> TrackerError:
    return TrackerError(f"{what}: the search answer is incomplete: {why}")


def _ids(issues: list[Any], seen: set[str], what: str) -> None:
    for issue in issues:
        issue_id = str(issue.get("id")) if isinstance(issue, dict) else None
        if issue_id is None or issue_id in seen:
            raise _incomplete(what, f"issue {issue_id} came twice (the site or a proxy ignores paging)")
        seen.add(issue_id)


def cursor_pages(fetch: Callable[[str | None], Any], what: str) -> Iterator[dict[str, Any]]:
    """Issues of a Cloud ``/search/jql`` search; ``fetch(token)`` gets one page."""
    token: str | None = None
    tokens: set[str] = set()
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = fetch(token)
        issues = page.get("issues") if isinstance(page, dict) else None
        token = page.get("nextPageToken") if isinstance(page, dict) else None
        is_last = page.get("isLast") if isinstance(page, dict) else None
        if not isinstance(issues, list) or not isinstance(is_last, bool) or (not is_last and not token):
            raise _incomplete(what, "no issues, no isLast, or no token for the next page")
        if not is_last and (not isinstance(token, str) or token in tokens):
            raise _incomplete(what, "a page token came twice")
        _ids(issues, seen, what)
        yield from issues
        if is_last:
            return
        assert isinstance(token, str)
        tokens.add(token)
    raise _incomplete(what, f"more than {MAX_PAGES} pages")


def offset_pages(fetch: Callable[[int], Any], what: str) -> Iterator[dict[str, Any]]:
    """Issues of a Server/Data Center ``/search``; ``fetch(start_at)`` gets one page.

    Issues are yielded only once the whole answer is known to be consistent, since a
    restart would otherwise yield some twice."""
    for _ in range(RESTARTS + 1):
        collected = _offset_once(fetch, what)
        if collected is not None:
            yield from collected
            return
    raise _incomplete(what, "the result kept changing between pages; looking again next cycle")


def _offset_once(fetch: Callable[[int], Any], what: str) -> list[dict[str, Any]] | None:
    """Every issue, or None when ``total`` changed between pages (the pages shifted)."""
    start = 0
    first_total: int | None = None
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = fetch(start)
        issues = page.get("issues") if isinstance(page, dict) else None
        total = page.get("total") if isinstance(page, dict) else None
        if not isinstance(issues, list) or not isinstance(total, int) or isinstance(total, bool):
            raise _incomplete(what, "no issues or total")
        answered = page.get("startAt", start)
        if answered != start:
            raise _incomplete(what, f"asked for the page at {start}, got the one at {answered}")
        if first_total is None:
            first_total = total
        elif total != first_total:
            return None
        _ids(issues, seen, what)
        out += issues
        start += len(issues)
        if start >= total:
            return out
        if not issues:
            raise _incomplete(what, f"it announced {total} issues and gave {start}")
    raise _incomplete(what, f"more than {MAX_PAGES} pages")
