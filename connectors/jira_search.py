"""Paging through a Jira search, refusing answers that are incomplete. Pure.

Jira Cloud pages ``/search/jql`` with ``nextPageToken`` and ``isLast`` (no total); Server
and Data Center page ``/search`` with ``startAt`` and ``total``. Either way an answer
that lacks its paging fields, says more follows without saying how to get it, or stops
short of its own total is an error: "found nothing" must mean nothing is there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from connectors.base import TrackerError


def cursor_pages(fetch: Callable[[str | None], Any], what: str) -> Iterator[dict[str, Any]]:
    """Issues of a Cloud ``/search/jql`` search; ``fetch(token)`` gets one page."""
    token: str | None = None
    while True:
        page = fetch(token)
        issues = page.get("issues") if isinstance(page, dict) else None
        token = page.get("nextPageToken") if isinstance(page, dict) else None
        is_last = page.get("isLast") if isinstance(page, dict) else None
        if not isinstance(issues, list) or not isinstance(is_last, bool) or (not is_last and not token):
            raise TrackerError(f"{what}: the search answer is incomplete")
        yield from issues
        if is_last:
            return


def offset_pages(fetch: Callable[[int], Any], what: str) -> Iterator[dict[str, Any]]:
    """Issues of a Server/Data Center ``/search``; ``fetch(start_at)`` gets one page."""
    start = 0
    while True:
        page = fetch(start)
        issues = page.get("issues") if isinstance(page, dict) else None
        total = page.get("total") if isinstance(page, dict) else None
        if not isinstance(issues, list) or not isinstance(total, int) or isinstance(total, bool):
            raise TrackerError(f"{what}: the search answer is incomplete (no issues or total)")
        yield from issues
        start += len(issues)
        if start >= total:
            return
        if not issues:
            raise TrackerError(f"{what}: the search answer is incomplete: it announced {total} issues and gave {start}")
