"""The policy every tracker call goes through, whatever the tracker.

One retry layer (:mod:`connectors.retry`), the vendor library's exceptions translated into
:mod:`connectors.base` errors, and the connector's own secrets scrubbed from anything a
tracker answers before it reaches a message. Each connector supplies only how to read its
library's HTTP error (``vendor``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import requests

from connectors.base import TrackerError
from connectors.errors import from_requests, from_status, scrub, short, unexpected
from connectors.retry import DEFAULT_RETRY, RetryPolicy

T = TypeVar("T")


@dataclass(frozen=True)
class VendorError:
    """What a client library's exception says about the HTTP answer behind it."""

    status: int | None
    detail: str
    headers: Mapping[str, str] | None


class CallEdge:
    def __init__(
        self,
        *,
        url: str,
        api: str,
        secrets: Sequence[str],
        vendor: Callable[[Exception], VendorError | None],
        retry: RetryPolicy = DEFAULT_RETRY,
        auth_hint: str = "",
        url_hint: str = "",
        patterns: Sequence[re.Pattern[str]] = (),
    ) -> None:
        self.url = url
        self.api = api
        self.secrets = list(secrets)
        #: Shapes of secrets no setting holds (tokens the tracker itself hands out).
        self.patterns = tuple(patterns)
        self.retry = retry
        self._vendor = vendor
        self._auth_hint = auth_hint
        self._where = f"{url} ({url_hint})" if url_hint else url

    def scrub(self, text: str) -> str:
        text = scrub(text, self.secrets)
        for pattern in self.patterns:
            text = pattern.sub("[redacted]", text)
        return text

    def call(self, what: str, fn: Callable[[], T], *, write: bool = False) -> T:
        """``fn()`` under the retry policy; any failure comes out as a :class:`TrackerError`."""
        return self.retry.call(lambda: self._translate(what, fn), write=write)

    def _translate(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except TrackerError:
            raise
        except requests.RequestException as exc:
            raise from_requests(exc, what, self._where) from exc
        except Exception as exc:  # every other failure is this tracker's answer
            answer = self._vendor(exc)
            if answer is None:
                raise unexpected(exc, what, self.api) from exc
            detail = short(self.scrub(answer.detail))
            raise from_status(answer.status, what, detail, answer.headers, self._auth_hint) from exc
