"""Logging: structlog to standard error, human-readable or JSON, with secrets scrubbed.

Every string in every event is scrubbed of the configured secret values (plain or URL-quoted)
and of anything shaped like a GitHub credential, so a token that slips into an exception
message or a URL never reaches the logs. The traceback of an exception no one caught is
scrubbed the same way.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable, MutableMapping
from types import TracebackType
from typing import Any

import structlog

from connectors.errors import GITHUB_SECRET, secret_variants

REDACTED = "[redacted]"


class Redactor:
    """A structlog processor (and text filter) that replaces secret values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # URL-quoted too; short values would redact ordinary words, and real tokens are long.
        self.secrets = secret_variants(secrets)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        # Installation tokens and App JWTs are made by GitHub: no setting holds them.
        return GITHUB_SECRET.sub(REDACTED, text)

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Print an exception no one caught, scrubbed: its chain holds the client libraries'
        errors, which quote the tracker's answer and whatever it repeated of the request."""
        sys.stderr.write(self.scrub("".join(traceback.format_exception(kind, exc, tb))))

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            if isinstance(value, str):
                event[key] = self.scrub(value)
            elif isinstance(value, BaseException):
                event[key] = self.scrub(repr(value))
        return event


class _ScrubbingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.scrub(record.getMessage())
        record.args = None
        if record.exc_info:  # a client library's traceback quotes the tracker's answers
            record.exc_text = self.redactor.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redactor.scrub(record.stack_info)
        return True


def configure_logging(level: str = "info", fmt: str = "console", secrets: Iterable[str] = ()) -> Redactor:
    """Set up structlog and the standard library's logging (used by the client libraries)."""
    redactor = Redactor(secrets)
    numeric = logging.getLevelName(level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redactor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ScrubbingFilter(redactor))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # The client libraries are chatty at INFO; their warnings still come through.
    root.setLevel(max(numeric, logging.WARNING))
    sys.excepthook = redactor.excepthook
    return redactor
