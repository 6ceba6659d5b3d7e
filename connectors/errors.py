"""Translate what the vendor libraries raise into :mod:`connectors.base` errors.

Classified by exception type, HTTP status and headers, never by message text. Messages
are built from the status and the request, never from headers, so no credential can leak
into them.
"""

from __future__ import annotations

import base64
import math
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, quote_plus

import requests
import urllib3.exceptions

from connectors.base import IssueGone, PermanentError, TrackerError, TransientError, UnexpectedAnswer

#: Statuses after which the tracker may have acted, or may act if asked again later.
TRANSIENT_STATUSES = frozenset({408, 409, 423, 425, 429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({404, 410})
#: A tracker that says "retry after 0" still gets a moment.
MIN_RETRY_AFTER = 1.0
#: The longest wait believed: GitHub's and Jira's limits reset within the hour, so a longer
#: one (a reset in milliseconds, ``inf``, a date years ahead) is a mistake, not a reason to
#: stop writing for days.
MAX_RETRY_AFTER = 3600.0


def _bounded(seconds: float) -> float:
    """A wait between MIN_RETRY_AFTER and MAX_RETRY_AFTER (garbage such as NaN: the least)."""
    if math.isnan(seconds):
        return MIN_RETRY_AFTER
    return min(max(seconds, MIN_RETRY_AFTER), MAX_RETRY_AFTER)


def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """How long the tracker asked us to wait, from ``Retry-After`` or the rate-limit reset.

    ``Retry-After`` is seconds or an HTTP date; ``X-RateLimit-Reset`` is epoch seconds on
    GitHub and an ISO-8601 time on Jira. Pure apart from ``now`` (default: the clock).
    """
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    if "retry-after" in lower:
        value = lower["retry-after"].strip()
        try:
            return _bounded(float(value))
        except ValueError:
            try:
                return _bounded(parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError, OverflowError):
                return MIN_RETRY_AFTER
    if lower.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lower:
        value = lower["x-ratelimit-reset"].strip()
        try:
            reset = float(value)
        except ValueError:
            try:
                reset = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
        return _bounded(reset - now)
    return None


#: How long GitHub asks a client to wait after a secondary limit that names no time.
SECONDARY_LIMIT_WAIT = 60.0


def _secondary_limit(status: int, detail: str) -> bool:
    """GitHub's secondary (content-creation, concurrency) limits: 403 or 429 whose message
    says so, often with room left in the primary limit's headers."""
    return status in (403, 429) and "secondary rate limit" in detail.lower()


def _rate_limited(status: int, headers: Mapping[str, str] | None, detail: str = "") -> bool:
    if status == 429 or _secondary_limit(status, detail):
        return True
    if status != 403 or not headers:
        return False
    # GitHub answers its rate limits with 403 and says so in the headers.
    lower = {k.lower(): v for k, v in headers.items()}
    return lower.get("x-ratelimit-remaining") == "0" or "retry-after" in lower


def from_status(
    status: int | None,
    what: str,
    detail: str = "",
    headers: Mapping[str, str] | None = None,
    auth_hint: str = "",
) -> TrackerError:
    """The error for an HTTP status answered to ``what`` (e.g. ``GET PLAT-12``).

    ``auth_hint`` is added to a 401, to say which credentials to check.
    """
    suffix = f": {detail}" if detail else ""
    if status == 401 and auth_hint:
        suffix += f" ({auth_hint})"
    if status is None:
        return TransientError(f"{what} failed without an answer{suffix}")
    message = f"{what} answered HTTP {status}{suffix}"
    if _rate_limited(status, headers, detail):
        wait = retry_after_seconds(headers)
        if wait is None and _secondary_limit(status, detail):
            wait = SECONDARY_LIMIT_WAIT
        hint = f" (rate limited; retry in {wait:.0f}s)" if wait is not None else " (rate limited)"
        return TransientError(message + hint, status=status, retry_after=wait, not_processed=True)
    if status < 400:
        # A success or redirect the client could not use (a 201 without the new issue's key):
        # the tracker may well have acted, so this is never a refusal.
        return TransientError(message + " (an answer the client could not use)", status=status)
    if status in GONE_STATUSES:
        return IssueGone(message, status=status)
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientError(message, status=status, retry_after=retry_after_seconds(headers))
    return PermanentError(message, status=status)


def _never_connected(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    # requests wraps urllib3's error, itself sometimes wrapped in MaxRetryError.
    cause = getattr(cause, "reason", cause)
    return isinstance(cause, urllib3.exceptions.NewConnectionError)


def from_requests(exc: requests.RequestException, what: str, where: str = "") -> TrackerError:
    """A transport-level failure: the request may or may not have reached the tracker.

    ``where`` names the tracker's address and the setting that holds it, for connection
    failures, which are usually a wrong address.
    """
    untouched = _never_connected(exc)
    if isinstance(exc, requests.Timeout):
        return TransientError(f"{what} timed out", not_processed=untouched)
    if isinstance(exc, requests.ConnectionError):
        if untouched:
            place = f" to {where}" if where else ""
            return TransientError(f"{what} could not connect{place} ({type(exc).__name__})", not_processed=True)
        return TransientError(f"{what} lost its connection ({type(exc).__name__})")
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        # A proxy's sign-in or error page, or a truncated answer: the outcome is unknown.
        return TransientError(f"{what} answered something that is not the tracker's JSON (an HTML page?)")
    return TransientError(f"{what} failed ({type(exc).__name__})")


#: Shapes of GitHub credentials (tokens, installation tokens, JWTs), scrubbed from any text
#: the worker shows: an installation token is made by GitHub, so no setting holds it. No word
#: boundary in front, so that a URL-quoted header (``token%20ghs_...``) is caught too.
GITHUB_SECRET = re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|eyJ[\w-]+\.[\w-]+\.[\w-]+)")


def secret_forms(token: str, email: str | None = None) -> list[str]:
    """The token, and how it travels in a Basic ``Authorization`` header, so a tracker that
    echoes the request back in an error cannot make us repeat it."""
    forms = [token]
    if email:
        forms.append(base64.b64encode(f"{email}:{token}".encode()).decode())
    return forms


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """Each secret as it is and as it reads URL-quoted (a tracker or proxy repeating a header
    or a URL often quotes it: ``Basic%20...%3D``), longest first, so a longer form is
    replaced before a shorter one inside it. Short values are left out: they would redact
    ordinary words, and real tokens are long."""
    forms = {form for s in secrets if len(s) >= 6 for form in (s, quote(s), quote(s, safe=""), quote_plus(s))}
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret, plain or URL-quoted, replaced by ``[redacted]``."""
    for secret in secret_variants(secrets):
        text = text.replace(secret, "[redacted]")
    return text


def unexpected(exc: Exception, what: str, api: str) -> UnexpectedAnswer:
    """Anything else the client library raised: the answer was not what ``api`` sends (an HTML
    login page, a proxy's error, a truncated body). Kept to this tracker and this call."""
    return UnexpectedAnswer(f"{what} answered something that is not the {api} API ({type(exc).__name__})")


def short(text: object, limit: int = 300) -> str:
    """A one-line, bounded excerpt of a tracker's error text."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
