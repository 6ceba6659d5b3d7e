"""A small JQL: the subset of Jira's query language the emulator answers.

Clauses ``FIELD OP VALUE`` joined by ``AND``/``OR``/``NOT`` with parentheses, then an
optional ``ORDER BY field [ASC|DESC], ...``. Keywords are case-insensitive; values are
bare words or single/double-quoted strings. Fields: ``project``, ``key``/``issuekey``/
``issue``/``id``, ``labels``, ``status``, ``statusCategory``, ``resolution``, ``priority``,
``issuetype``/``type``, ``assignee``, ``reporter``, ``created``, ``updated``, ``resolved``/
``resolutiondate``, ``duedate``/``due``, ``parent`` (Cloud's epic link), the text fields
``summary``, ``description``, ``comment``, ``text`` (``~`` only; descriptions and comments
are searched whether they were sent as ADF or as wiki strings), and custom fields by name
(quoted if it has spaces, e.g. ``"Epic Link" = PLAT-1``) or as ``cf[10100]``: text fields
with ``~``, the others with ``=``/``IN``. Operators: ``= != > >= < <= ~ !~ IN NOT IN IS IS NOT``
with ``EMPTY``/``NULL``; functions ``now()`` and ``currentUser()``.

Dates take Jira's ``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd HH:mm"``, ``yyyy-MM-dd`` and
``yyyy/MM/dd`` forms (UTC, the bot's time zone), ISO 8601 such as ``2024-03-12T14:30:00Z``,
and relative periods such as ``-5m``, ``-2h``, ``-1d``, ``-1w 2d``.

Errors raise :class:`JqlError` with the message Jira would put in ``errorMessages``; with
``warnings`` (Data Center's ``validateQuery=false``) unknown values become warnings instead
and match nothing. Only issues the bot may see are ever found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from .jira_catalog import ISSUE_TYPES, RESOLUTIONS, Priority, find_category, find_priority
from .jira_fields import CustomField, search_terms
from .jira_model import JIssue
from .jira_state import JiraState
from .jira_text import plain_text


class JqlError(ValueError):
    """The query is invalid; ``str(error)`` is Jira's message."""


# --- syntax --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A lexical token; ``kind`` is word, string, op or punct."""

    kind: str
    text: str
    pos: int


@dataclass(frozen=True)
class Value:
    """A literal (``quoted`` if it was a string), a function call, or EMPTY."""

    text: str
    quoted: bool = False
    function: bool = False
    empty: bool = False


@dataclass(frozen=True)
class Clause:
    """``field op value(s)``."""

    field: str
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class BoolOp:
    """``AND``/``OR`` over several nodes, or ``NOT`` over one."""

    op: str
    nodes: tuple[Node, ...]


Node = Clause | BoolOp


@dataclass(frozen=True)
class Query:
    """A parsed query: a condition (``None`` matches all) and the ORDER BY list."""

    where: Node | None
    order: tuple[tuple[str, bool], ...]


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[^\s"'(),=!<>~]+)
    )""",
    re.VERBOSE,
)
_RESERVED = set("&|%^$#@;?*[]{}")
_CUSTOM_CLAUSE = re.compile(r"cf\[\d+\]", re.IGNORECASE)
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}


def _err(message: str, pos: int | None = None) -> JqlError:
    where = f" The query error occurred at line 1, character {pos + 1}." if pos is not None else ""
    return JqlError(f"Error in the JQL Query: {message}{where}")


def _reserved(char: str, pos: int) -> JqlError:
    return _err(
        f"The character '{char}' is a reserved JQL character. You must enclose it in a string "
        f"or use the escape '\\u{ord(char):04x}' instead.",
        pos,
    )


def tokenize(jql: str) -> list[Token]:
    """Split a query into tokens."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(jql):
        if jql[pos:].strip() == "":
            break
        match = _TOKEN.match(jql, pos)
        if match is None or match.end() == pos:
            start = len(jql) - len(jql[pos:].lstrip())
            if jql[start] in "\"'":
                raise _err(f"The quoted string '{jql[start:]}' has not been completed.", start)
            raise _reserved(jql[start], start)
        kind = match.lastgroup or "word"
        text = match.group(kind)
        start = match.start(kind)
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        elif kind == "word" and text in ("&&", "&", "||", "|"):
            text = "and" if text.startswith("&") else "or"
        elif kind == "word" and _CUSTOM_CLAUSE.fullmatch(text):
            pass
        elif kind == "word" and any(c in _RESERVED for c in text):
            bad = next(c for c in text if c in _RESERVED)
            raise _reserved(bad, start + text.index(bad))
        tokens.append(Token(kind, text, start))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, jql: str) -> None:
        self.tokens = tokenize(jql)
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def is_kw(self, token: Token | None, *words: str) -> bool:
        return token is not None and token.kind == "word" and token.text.lower() in words

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise _err("Expecting more input but reached the end of the query.")
        self.i += 1
        return token

    def parse(self) -> Query:
        where: Node | None = None
        if self.peek() is not None and not self.is_kw(self.peek(), "order"):
            where = self.parse_or()
        order: list[tuple[str, bool]] = []
        token = self.peek()
        if token is not None:
            if not self.is_kw(token, "order"):
                raise _err(f"Expecting either 'OR' or 'AND' but got '{token.text}'.", token.pos)
            self.take()
            if not self.is_kw(self.peek(), "by"):
                raise _err("Expecting 'BY' after 'ORDER'.", token.pos)
            self.take()
            while True:
                name = self.take()
                if name.kind not in ("word", "string"):
                    raise _err(f"Expecting a field name but got '{name.text}'.", name.pos)
                ascending = True
                if self.is_kw(self.peek(), "asc", "desc"):
                    ascending = self.take().text.lower() == "asc"
                order.append((name.text, ascending))
                following = self.peek()
                if following is None:
                    break
                if following.text != ",":
                    raise _err(f"Expecting ',' but got '{following.text}'.", following.pos)
                self.take()
        return Query(where, tuple(order))

    def parse_or(self) -> Node:
        nodes = [self.parse_and()]
        while self.is_kw(self.peek(), "or"):
            self.take()
            nodes.append(self.parse_and())
        return nodes[0] if len(nodes) == 1 else BoolOp("or", tuple(nodes))

    def parse_and(self) -> Node:
        nodes = [self.parse_not()]
        while self.is_kw(self.peek(), "and"):
            self.take()
            nodes.append(self.parse_not())
        return nodes[0] if len(nodes) == 1 else BoolOp("and", tuple(nodes))

    def parse_not(self) -> Node:
        token = self.peek()
        if self.is_kw(token, "not"):
            self.take()
            return BoolOp("not", (self.parse_not(),))
        if token is not None and token.text == "(" and token.kind == "punct":
            self.take()
            node = self.parse_or()
            closing = self.take()
            if closing.text != ")":
                raise _err(f"Expecting ')' but got '{closing.text}'.", closing.pos)
            return node
        return self.parse_clause()

    def parse_clause(self) -> Clause:
        name = self.take()
        if name.kind not in ("word", "string") or (name.kind == "word" and name.text.lower() in _KEYWORDS):
            raise _err(f"Expecting a field name but got '{name.text}'.", name.pos)
        op_token = self.take()
        op = op_token.text.lower()
        if op_token.kind == "op":
            pass
        elif op == "in":
            op = "in"
        elif op == "not" and self.is_kw(self.peek(), "in"):
            self.take()
            op = "not in"
        elif op == "is":
            op = "is"
            if self.is_kw(self.peek(), "not"):
                self.take()
                op = "is not"
        else:
            raise _err(f"Expecting operator but got '{op_token.text}'.", op_token.pos)
        if op in ("in", "not in"):
            opening = self.take()
            if opening.text != "(":
                return Clause(name.text, op, (self.value(opening),))
            values = [self.value(self.take())]
            while True:
                sep = self.take()
                if sep.text == ")":
                    break
                if sep.text != ",":
                    raise _err(f"Expecting ',' or ')' but got '{sep.text}'.", sep.pos)
                values.append(self.value(self.take()))
            return Clause(name.text, op, tuple(values))
        return Clause(name.text, op, (self.value(self.take()),))

    def value(self, token: Token) -> Value:
        if token.kind == "string":
            return Value(token.text, quoted=True)
        if token.kind != "word" or token.text.lower() in _KEYWORDS - {"empty", "null"}:
            raise _err(f"Expecting either a value, list or function but got '{token.text}'.", token.pos)
        if token.text.lower() in ("empty", "null"):
            return Value(token.text, empty=True)
        following = self.peek()
        if following is not None and following.text == "(" and following.kind == "punct":
            self.take()
            closing = self.take()
            if closing.text != ")":
                raise _err("Function arguments are not supported here.", closing.pos)
            return Value(token.text, function=True)
        return Value(token.text)


def parse(jql: str) -> Query:
    """Parse a JQL string; raises :class:`JqlError`."""
    return _Parser(jql).parse()


# --- semantics -----------------------------------------------------------------------------

_FIELD_ALIASES = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "issue": "key",
    "id": "key",
    "labels": "labels",
    "label": "labels",
    "status": "status",
    "statuscategory": "category",
    "resolution": "resolution",
    "priority": "priority",
    "issuetype": "issuetype",
    "type": "issuetype",
    "assignee": "assignee",
    "reporter": "reporter",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
    "resolved": "resolved",
    "resolutiondate": "resolved",
    "duedate": "duedate",
    "due": "duedate",
    "summary": "summary",
    "description": "description",
    "comment": "comment",
    "text": "text",
    "parent": "parent",
}
_DATE_FIELDS = {"created", "updated", "resolved", "duedate"}
_TEXT_FIELDS = {"summary", "description", "comment", "text"}
_EMPTYABLE = {"labels", "resolution", "assignee", "resolved", "duedate", "description", "parent", "custom"}
_PERIOD = re.compile(r"([-+]?)((?:\s*\d+\s*[wdhm])+)", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_ORDER_FIELDS = {
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "created": "created",
    "updated": "updated",
    "summary": "summary",
    "priority": "priority",
    "status": "status",
    "duedate": "duedate",
    "resolved": "resolved",
    "resolutiondate": "resolved",
    "project": "key",
    "issuetype": "issuetype",
    "statuscategory": "category",
    "resolution": "resolution",
}


def _field_error(name: str) -> JqlError:
    return JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


def _value_error(value: str, name: str) -> JqlError:
    return JqlError(f"The value '{value}' does not exist for the field '{name}'.")


class Evaluator:
    """Checks a parsed query against the store and runs it over issues."""

    def __init__(self, state: JiraState, account: str, now: float) -> None:
        self.state = state
        self.account = account
        self.now = now

    # values --------------------------------------------------------------------------

    def date_value(self, value: Value, name: str) -> float:
        """A date/time value as epoch seconds."""
        if value.function:
            if value.text.lower() == "now":
                return self.now
            raise JqlError(f"Unable to find JQL function '{value.text}()'.")
        text = value.text.strip()
        period = _PERIOD.fullmatch(text)
        if period:
            seconds = sum(
                int(n) * _UNIT_SECONDS[u.lower()]
                for n, u in re.findall(r"(\d+)\s*([wdhm])", period.group(2), re.IGNORECASE)
            )
            return self.now - seconds if period.group(1) == "-" else self.now + seconds
        for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
            except ValueError:
                continue
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise JqlError(
                f"Date value '{text}' for field '{name}' is invalid. Valid formats include: "
                "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
                "period format e.g. '-5d', '4w 2d'."
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()

    def _field(self, name: str) -> tuple[str, list[CustomField]]:
        """The canonical field a clause names, or ``"custom"`` with the custom fields it means."""
        field = _FIELD_ALIASES.get(name.lower())
        if field is not None:
            return field, []
        custom = self.state.fields.named(name)
        if not custom:
            raise _field_error(name)
        return "custom", custom

    def _is_text(self, field: str, custom: list[CustomField]) -> bool:
        if field == "custom":
            return all(cf.schema_type == "string" and cf.id != self.state.epic_link_id for cf in custom)
        return field in _TEXT_FIELDS

    def check(self, node: Node, warnings: list[str] | None = None) -> None:
        """Validate fields, operators and values the way Jira does before searching.

        With ``warnings``, unknown values are listed there instead of raising.
        """
        if isinstance(node, BoolOp):
            for child in node.nodes:
                self.check(child, warnings)
            return
        field, custom = self._field(node.field)
        op = node.op
        if self._is_text(field, custom):
            allowed = {"~", "!~", "is", "is not"}
        elif field in _DATE_FIELDS:
            allowed = {"=", "!=", ">", ">=", "<", "<=", "is", "is not", "in", "not in"}
        elif field == "key":
            allowed = {"=", "!=", "in", "not in", ">", ">=", "<", "<="}
        else:
            allowed = {"=", "!=", "in", "not in", "is", "is not"}
        if op not in allowed:
            raise JqlError(f"The operator '{op.upper()}' is not supported by the '{node.field}' field.")
        for value in node.values:
            if value.empty:
                if op not in ("is", "is not", "=", "!=", "in", "not in") or (field not in _EMPTYABLE):
                    raise JqlError(f"The field '{node.field}' does not support searching for EMPTY values.")
                continue
            if op in ("is", "is not"):
                raise _err(f"Expecting 'EMPTY' but got '{value.text}'.")
            try:
                self._check_value(field, node.field, value, custom)
            except JqlError as exc:
                if warnings is None or value.function or field in _DATE_FIELDS:
                    raise
                warnings.append(str(exc))

    def _check_value(self, field: str, name: str, value: Value, custom: list[CustomField]) -> None:
        text = value.text
        if value.function and not (
            (text.lower() == "now" and field in _DATE_FIELDS)
            or (text.lower() == "currentuser" and field in ("assignee", "reporter"))
        ):
            raise JqlError(f"Unable to find JQL function '{text}()'.")
        if value.function:
            return
        links = field in ("key", "parent") or any(cf.id == self.state.epic_link_id for cf in custom)
        if field in _DATE_FIELDS:
            self.date_value(value, name)
        elif field == "project" and self.state.find_project(text) is None:
            raise _value_error(text, name)
        elif links and self.state.find_visible(text) is None:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+|\d+", text):
                raise JqlError(f"The issue key '{text}' for field '{name}' is invalid.")
            raise JqlError(f"An issue with key '{text}' does not exist for field '{name}'.")
        elif field == "category" and find_category(text) is None:
            raise _value_error(text, name)
        elif field == "status" and self._status_ids(text) == set():
            raise _value_error(text, name)
        elif (
            field == "resolution"
            and text.lower() != "unresolved"
            and not any(text.lower() in (r.name.lower(), r.id) for r in RESOLUTIONS)
        ):
            raise _value_error(text, name)
        elif field == "priority" and self._priority(text) is None:
            raise _value_error(text, name)
        elif field == "issuetype" and not any(text.lower() in (t.name.lower(), t.id) for t in ISSUE_TYPES):
            raise _value_error(text, name)
        elif field == "custom" and not links:
            options = [o for cf in custom for o in cf.options]
            if options and not any(text.lower() in (o.value.lower(), o.id) for o in options):
                raise _value_error(text, name)

    def _priority(self, text: str) -> Priority | None:
        return find_priority({"id": text} if text.isdigit() else {"name": text}, self.state.priorities)

    def _status_ids(self, text: str) -> set[str]:
        low = text.lower()
        return {s.id for s in self.state.statuses if low in (s.name.lower(), s.id)}

    # matching ------------------------------------------------------------------------

    def matches(self, node: Node, issue: JIssue) -> bool:
        """True if ``issue`` satisfies ``node``."""
        if isinstance(node, BoolOp):
            if node.op == "and":
                return all(self.matches(n, issue) for n in node.nodes)
            if node.op == "or":
                return any(self.matches(n, issue) for n in node.nodes)
            return not self.matches(node.nodes[0], issue)
        field, custom = self._field(node.field)
        op = node.op
        if self._is_text(field, custom):
            return self._text(field, op, node.values[0], issue, custom)
        if field in _DATE_FIELDS:
            return self._date(field, op, node.values, issue)
        present = self._custom_values(custom, issue) if field == "custom" else self._values_of(field, issue)
        if op in ("is", "is not"):
            return (not present) == (op == "is")
        if field == "key" and op in (">", ">=", "<", "<="):
            return self._key_compare(op, node.values[0], issue)
        hits = any(self._value_matches(field, v, present, issue) for v in node.values)
        if op in ("=", "in"):
            return hits
        # Jira's negative operators never match an issue whose field is empty.
        return bool(present) and not hits

    def _values_of(self, field: str, issue: JIssue) -> set[str]:
        cloud = self.state.deployment == "cloud"
        getters: dict[str, Callable[[JIssue], set[str]]] = {
            "project": lambda i: {i.project.key.lower()},
            "key": lambda i: {i.key.lower(), i.id},
            "labels": lambda i: {x.lower() for x in i.labels},
            "status": lambda i: {i.status.id},
            "category": lambda i: {i.status.category},
            "resolution": lambda i: {i.resolution.id} if i.resolution else set(),
            "priority": lambda i: {i.priority.id},
            "issuetype": lambda i: {i.issuetype.id},
            "assignee": lambda i: {i.assignee} if i.assignee else set(),
            "reporter": lambda i: {i.reporter},
            # On Data Center ``parent`` means a sub-task's parent; epics link through "Epic Link".
            "parent": lambda i: {i.parent.id} if i.parent and cloud else set(),
        }
        return getters[field](issue)

    def _custom_values(self, custom: list[CustomField], issue: JIssue) -> set[str]:
        out: set[str] = set()
        for cf in custom:
            if cf.id == self.state.epic_link_id:
                out |= {issue.parent.id} if issue.parent else set()
            else:
                out |= search_terms(issue.custom.get(cf.id))
        return out

    def _value_matches(self, field: str, value: Value, present: set[str], issue: JIssue) -> bool:
        if value.empty:
            return not present
        text = value.text
        if value.function:
            return self.account in present
        low = text.lower()
        if field == "project":
            project = self.state.find_project(text)
            return project is not None and project.key.lower() in present
        if field in ("key", "parent", "custom"):
            found = self.state.find_visible(text)
            if found is not None and found.id in present:
                return True
            if field != "custom":
                return False
        if field == "category":
            cat = find_category(text)
            return cat is not None and cat.key in present
        if field == "status":
            return bool(self._status_ids(text) & present)
        if field == "resolution":
            if low == "unresolved":
                return not present
            return any(low in (r.name.lower(), r.id) and r.id in present for r in RESOLUTIONS)
        if field == "priority":
            # Issues keep the priority they had when the scheme changed; compare the whole priority.
            return self._priority(text) == issue.priority
        if field == "issuetype":
            return any(low in (t.name.lower(), t.id) and t.id in present for t in ISSUE_TYPES)
        return low in present

    def _key_compare(self, op: str, value: Value, issue: JIssue) -> bool:
        other = self.state.find_visible(value.text)
        if other is None or other.project is not issue.project:
            return False
        a, b = issue.number, other.number
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]

    def _text(self, field: str, op: str, value: Value, issue: JIssue, custom: list[CustomField]) -> bool:
        texts = [plain_text(v) for v in issue.custom.values() if isinstance(v, str | dict)]
        parts = {
            "summary": [issue.summary],
            "description": [plain_text(issue.description)] if issue.description is not None else [],
            "comment": [plain_text(c.body) for c in issue.comments],
            "custom": [plain_text(issue.custom[cf.id]) for cf in custom if cf.id in issue.custom],
        }
        parts["text"] = parts["summary"] + parts["description"] + parts["comment"] + texts
        haystack = " ".join(parts[field]).lower()
        if op in ("is", "is not"):
            return (not haystack.strip()) == (op == "is")
        needle = value.text.lower().strip()
        # Jira matches words anywhere unless the phrase itself is in (escaped) quotes.
        if len(needle) > 1 and needle[0] == needle[-1] == '"':
            words = [needle[1:-1]]
        else:
            words = [w.strip("*?") for w in needle.split()]
        found = all(w in haystack for w in words)
        return found if op == "~" else not found

    def _date(self, field: str, op: str, values: tuple[Value, ...], issue: JIssue) -> bool:
        stamp = self._stamp(field, issue)
        if op in ("is", "is not"):
            return (stamp is None) == (op == "is")
        if stamp is None:
            return False
        if op in ("in", "not in", "=", "!="):
            hit = any(int(stamp // 60) == int(self.date_value(v, field) // 60) for v in values)
            return hit if op in ("in", "=") else not hit
        bound = self.date_value(values[0], field)
        compare = {
            ">": stamp > bound,
            ">=": stamp >= bound,
            "<": stamp < bound,
            "<=": stamp <= bound,
        }
        return compare[op]

    @staticmethod
    def _stamp(field: str, issue: JIssue) -> float | None:
        if field == "created":
            return issue.created
        if field == "updated":
            return issue.updated
        if field == "resolved":
            return issue.resolutiondate
        due: date | None = issue.duedate
        if due is None:
            return None
        return datetime(due.year, due.month, due.day, tzinfo=UTC).timestamp()

    # ordering ------------------------------------------------------------------------

    def sort(self, issues: list[JIssue], order: tuple[tuple[str, bool], ...]) -> list[JIssue]:
        """Sort as ``ORDER BY`` says; Jira's default is ``key DESC``."""
        if not order:
            order = (("key", False),)
        result = sorted(issues, key=lambda i: int(i.id))
        for name, ascending in reversed(order):
            field = _ORDER_FIELDS.get(name.lower())
            if field is None:
                raise _field_error(name)
            present = [i for i in result if self._order_key(field, i) is not None]
            missing = [i for i in result if self._order_key(field, i) is None]
            present.sort(key=partial(self._order_key, field), reverse=not ascending)
            # Empty values sort last ascending and first descending, as in Jira.
            result = present + missing if ascending else missing + present
        return result

    @staticmethod
    def _order_key(field: str, issue: JIssue) -> Any:
        keys: dict[str, Callable[[JIssue], Any]] = {
            "key": lambda i: (i.project.key, i.number),
            "created": lambda i: i.created,
            "updated": lambda i: i.updated,
            "summary": lambda i: i.summary.lower(),
            "priority": lambda i: -int(i.priority.id),
            "status": lambda i: i.status.name.lower(),
            "category": lambda i: i.status.category,
            "duedate": lambda i: i.duedate,
            "resolved": lambda i: i.resolutiondate,
            "issuetype": lambda i: i.issuetype.name.lower(),
            "resolution": lambda i: i.resolution.name.lower() if i.resolution else None,
        }
        return keys[field](issue)


def search(state: JiraState, jql: str, account: str, now: float, *, warnings: list[str] | None = None) -> list[JIssue]:
    """Run a JQL query over the issues the bot may see; raises :class:`JqlError` for invalid
    queries (with ``warnings``, unknown values are listed there instead)."""
    query = parse(jql)
    evaluator = Evaluator(state, account, now)
    with state.lock:
        if query.where is not None:
            evaluator.check(query.where, warnings)
        for name, _ in query.order:
            if name.lower() not in _ORDER_FIELDS:
                raise _field_error(name)
        where = query.where
        found = [i for i in state.issues(visible=True) if where is None or evaluator.matches(where, i)]
        return evaluator.sort(found, query.order)
