"""Translate what the vendor libraries raise into :mod:`connectors.base` errors.

Classified by exception type and HTTP status, never by message text. Messages are built
from the status and the request, never from headers, so no credential can leak into them.
"""

from __future__ import annotations

import requests

from connectors.base import IssueGone, PermanentError, TrackerError, TransientError

#: Statuses after which the tracker may have acted, or may act if asked again later.
TRANSIENT_STATUSES = frozenset({408, 409, 423, 425, 429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({404, 410})


def from_status(status: int | None, what: str, detail: str = "") -> TrackerError:
    """The error for an HTTP status answered to ``what`` (e.g. ``GET PLAT-12``)."""
    suffix = f": {detail}" if detail else ""
    if status is None:
        return TransientError(f"{what} failed without an answer{suffix}")
    message = f"{what} answered HTTP {status}{suffix}"
    if status in GONE_STATUSES:
        return IssueGone(message, status=status)
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientError(message, status=status)
    return PermanentError(message, status=status)


def from_requests(exc: requests.RequestException, what: str) -> TrackerError:
    """A transport-level failure: the request may or may not have reached the tracker."""
    if isinstance(exc, requests.Timeout):
        return TransientError(f"{what} timed out")
    if isinstance(exc, requests.ConnectionError):
        return TransientError(f"{what} lost its connection ({type(exc).__name__})")
    return TransientError(f"{what} failed ({type(exc).__name__})")


def short(text: object, limit: int = 300) -> str:
    """A one-line, bounded excerpt of a tracker's error text."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
