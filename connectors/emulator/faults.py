"""Fault injection: rules that make the next matching requests fail in a chosen way.

Modes:

``status``
    Answer with ``status`` (default 503) and the vendor's error body, without acting.
    ``retry_after`` adds a ``Retry-After`` header (use with 429).
``commit_then_fail``
    Perform the operation fully, then answer ``status`` (default 502) instead of the real
    answer: the tracker acted but the client never learns the outcome.
``commit_then_drop``
    Perform the operation, then close the connection without sending any response.
``reset``
    Close the connection before acting.
``commit_then_delay``
    Perform the operation, then wait ``delay`` seconds before answering: a client killed
    meanwhile never learns that the tracker acted.
``html``
    Answer 200 with an HTML sign-in page, as a single sign-on proxy in front of the
    tracker does when its session expired; nothing is done.
``delay``
    Sleep ``delay`` seconds, then answer normally. Any other mode also honours ``delay``.

A rule matches on server (``github``/``jira``/any), HTTP method (``*`` for any) and a regular
expression searched in the request path (no query string). ``times`` is how many matching
requests it affects (``None``: all of them). Rules are tried in the order they were added.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast, get_args

FaultMode = Literal["status", "commit_then_fail", "commit_then_drop", "commit_then_delay", "reset", "html", "delay"]
ServerName = Literal["github", "jira"]

FAULT_MODES: tuple[str, ...] = get_args(FaultMode)


@dataclass
class FaultRule:
    """One fault-injection rule; see the module docstring for the modes."""

    mode: FaultMode
    method: str = "*"
    path: str = ".*"
    times: int | None = 1
    status: int | None = None
    delay: float = 0.0
    retry_after: int | None = None
    server: ServerName | None = None
    #: How many requests this rule has affected so far.
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; use one of {FAULT_MODES}")
        if self.server not in (None, "github", "jira"):
            raise ValueError(f"unknown server {self.server!r}")
        self.method = self.method.upper()
        self._pattern = re.compile(self.path)

    @property
    def answer_status(self) -> int:
        """The status a ``status``/``commit_then_fail`` rule answers with."""
        if self.status is not None:
            return self.status
        return 502 if self.mode == "commit_then_fail" else 503

    def matches(self, server: str, method: str, path: str) -> bool:
        """True if this rule still has uses left and applies to the request."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.server is not None and self.server != server:
            return False
        if self.method not in ("*", method.upper()):
            return False
        return self._pattern.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        """The rule as a JSON-able dict (for the control API)."""
        data = asdict(self)
        data.pop("_pattern", None)
        return data


class Faults:
    """The emulator's fault rules, shared by both servers; thread-safe."""

    #: What a random fault turns into, when ``fault_rate`` is set.
    RANDOM_CHOICES: tuple[tuple[FaultMode, int | None], ...] = (
        ("status", 500),
        ("status", 502),
        ("status", 503),
        ("status", 429),
        ("commit_then_fail", 502),
        ("commit_then_drop", None),
        ("reset", None),
        ("delay", None),
    )

    def __init__(self, rate: float = 0.0, seed: int | None = None, random_delay: float = 0.2) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._rate = rate
        # Reproducible fault sequences for soak tests, not secrets.
        self._random = random.Random(seed)  # noqa: S311
        self._random_delay = random_delay

    def add(
        self,
        *,
        mode: FaultMode = "status",
        method: str = "*",
        path: str = ".*",
        times: int | None = 1,
        status: int | None = None,
        delay: float = 0.0,
        retry_after: int | None = None,
        server: ServerName | None = None,
    ) -> FaultRule:
        """Add a rule applied to the next ``times`` matching requests; returns it."""
        rule = FaultRule(
            mode=mode,
            method=method,
            path=path,
            times=times,
            status=status,
            delay=delay,
            retry_after=retry_after,
            server=server,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_json(self, data: dict[str, Any]) -> FaultRule:
        """Add a rule from a JSON object with the same keys as :meth:`add`."""
        allowed = {"mode", "method", "path", "times", "status", "delay", "retry_after", "server"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        return self.add(**cast(Any, data))

    def reset(self) -> None:
        """Remove every rule and switch off random faults."""
        with self._lock:
            self._rules.clear()
            self._rate = 0.0

    def set_rate(self, rate: float, seed: int | None = None) -> None:
        """Change the random fault rate (0 switches it off); ``seed`` restarts the generator."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        with self._lock:
            self._rate = rate
            if seed is not None:
                self._random.seed(seed)

    @property
    def rules(self) -> list[FaultRule]:
        """A copy of the current rules, spent ones included."""
        with self._lock:
            return list(self._rules)

    def pick(self, server: str, method: str, path: str) -> FaultRule | None:
        """The fault to apply to this request, if any; consumes one use of the rule."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(server, method, path):
                    rule.hits += 1
                    return rule
            if self._rate and self._random.random() < self._rate:
                mode, status = self._random.choice(self.RANDOM_CHOICES)
                return FaultRule(
                    mode=mode,
                    status=status,
                    retry_after=1 if status == 429 else None,
                    delay=self._random.uniform(0, self._random_delay) if mode == "delay" else 0.0,
                    hits=1,
                )
        return None
