"""The ``q`` language of ``GET /search/issues``, for the subset the emulator understands.

Supported: ``repo:o/r``, ``org:``/``user:``, ``is:issue|pr|open|closed``, ``state:``,
``label:x`` (several are ANDed, ``label:a,b`` is OR), ``-label:x``, ``no:label``,
``author:``, ``assignee:``, ``in:title|body|comments``, ``created:``/``updated:`` with
``>``, ``>=``, ``<``, ``<=`` or ``a..b``, and free words or ``"quoted phrases"`` matched
case-insensitively in the fields named by ``in:`` (title and body by default).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import parse_iso
from .github_state import GhIssue, GhRepo


class SearchSyntaxError(ValueError):
    """The query cannot be understood (GitHub answers 422)."""


Predicate = Callable[[GhRepo, GhIssue], bool]


@dataclass
class IssueQuery:
    """A parsed search query."""

    repos: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)
    pulls_only: bool = False

    def matches(self, repo: GhRepo, issue: GhIssue) -> bool:
        """True if ``issue`` of ``repo`` satisfies every term."""
        if self.pulls_only:
            return False
        if self.repos and repo.full_name.lower() not in self.repos:
            return False
        if self.owners and repo.owner.lower() not in self.owners:
            return False
        if not all(p(repo, issue) for p in self.predicates):
            return False
        scopes = self.scopes or {"title", "body"}
        parts = [issue.title] if "title" in scopes else []
        parts += [issue.body or ""] if "body" in scopes else []
        parts += [c.body for c in issue.comments] if "comments" in scopes else []
        haystack = " ".join(parts).lower()
        return all(word.lower() in haystack for word in self.words)


def _time_predicate(attr: str, spec: str) -> Predicate:
    def ts(text: str) -> float:
        try:
            return parse_iso(text)
        except ValueError as exc:
            raise SearchSyntaxError(f"invalid date {text!r}") from exc

    def value(issue: GhIssue) -> float:
        stamp: float = getattr(issue, attr)
        return float(int(stamp))

    if ".." in spec:
        low, _, high = spec.partition("..")
        lo = ts(low) if low and low != "*" else float("-inf")
        hi = ts(high) if high and high != "*" else float("inf")
        return lambda _r, i: lo <= value(i) <= hi
    match = re.fullmatch(r"(>=|<=|>|<)?(.+)", spec)
    assert match is not None
    op, when = match.group(1) or ">=", ts(match.group(2))
    compare: dict[str, Callable[[float], bool]] = {
        ">=": lambda v: v >= when,
        ">": lambda v: v > when,
        "<=": lambda v: v <= when,
        "<": lambda v: v < when,
    }
    check = compare[op]
    return lambda _r, i: check(value(i))


def parse_query(q: str) -> IssueQuery:
    """Parse a search ``q`` string."""
    try:
        tokens = shlex.split(q)
    except ValueError as exc:
        raise SearchSyntaxError(str(exc)) from exc
    query = IssueQuery()
    for token in tokens:
        negate = token.startswith("-") and ":" in token
        name, sep, value = token.lstrip("-").partition(":") if negate else token.partition(":")
        name = name.lower()
        if not sep or not value:
            query.words.append(token)
            continue
        pred = _qualifier(query, name, value)
        if pred is None:
            continue
        query.predicates.append(_negated(pred) if negate else pred)
    return query


def _negated(pred: Predicate) -> Predicate:
    return lambda r, i: not pred(r, i)


def _qualifier(query: IssueQuery, name: str, value: str) -> Predicate | None:
    low = value.lower()
    if name == "repo":
        query.repos.append(low)
        return None
    if name in ("org", "user", "owner"):
        query.owners.append(low)
        return None
    if name in ("is", "type", "state"):
        if low in ("pr", "pull-request"):
            query.pulls_only = True
            return None
        if low in ("open", "closed"):
            return lambda _r, i: i.state == low
        if low == "issue":
            return None
        raise SearchSyntaxError(f"unsupported qualifier {name}:{value}")
    if name == "label":
        wanted = {v.strip().lower() for v in value.split(",")}
        return lambda _r, i: any(lbl.lower() in wanted for lbl in i.labels)
    if name == "no" and low == "label":
        return lambda _r, i: not i.labels
    if name == "author":
        return lambda _r, i: i.user.lower() == low
    if name == "assignee":
        return lambda _r, i: low in (a.lower() for a in i.assignees)
    if name == "in":
        query.scopes.update(s for s in low.split(",") if s)
        return None
    if name in ("created", "updated", "closed"):
        attr = {"created": "created_at", "updated": "updated_at", "closed": "closed_at"}[name]
        inner = _time_predicate(attr, value)
        if name == "closed":
            return lambda r, i: i.closed_at is not None and inner(r, i)
        return inner
    raise SearchSyntaxError(f"unsupported qualifier {name}:{value}")
