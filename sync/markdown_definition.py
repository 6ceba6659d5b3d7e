"""Markdown post-mortems: the seed's template headings, read into the same data as YAML.

A Markdown definition becomes the plain dict a YAML definition would give, plus a
:class:`~config.yamlfile.LineMap`, so :mod:`sync.loader` validates both the same way and
every error names the Markdown file's own line and the field. The format::

    ---
    id: INC-2024-042
    severity: P1
    detected_at: 2024-03-12T14:47:00Z
    resolved_at: 2024-03-12T15:52:00Z    # optional
    tracking_issue: acme/payments#1      # optional
    title: ...                           # optional: else the "# Incident: <title>" heading
    ---
    # Incident: Payment pipeline outage

    ## Summary                 paragraphs -> summary
    ## Impact                  - Duration: 65 minutes / - Users affected: 347 / - Revenue lost: $89,000
    ## Timeline                table At | Actor | Description, or
                               - 2024-03-12T14:30:00Z - CI/CD system: what happened
    ## Contributing Factors    table Description | Category | Systemic (Systemic optional)
    ## What Went Well          bullet list
    ## What Went Wrong         bullet list
    ## Action Items            table ID | Description | Owner | Deadline | Priority (required)
    ## Lessons Learned         bullet list

Rules, chosen so that nothing an author writes is silently dropped:

* The front matter (strict YAML, see :mod:`config.yamlfile`) carries the fields no heading
  can: ``id``, ``severity``, ``detected_at``, ``resolved_at``, ``tracking_issue`` or
  ``create_tracking_issue``, and optionally ``title``. A field that has its own section is refused there.
* Headings match case-insensitively and may carry trailing words, as the template's do:
  ``## Contributing Factors (NOT "root cause")``. An unknown or repeated ``##`` section is an
  error, so a misspelt heading cannot swallow its content.
* Table columns match case-insensitively, in any order; a missing or unknown column is an
  error on the header line. Cells are text; only dates and times (``Deadline``, ``At``) are
  read as YAML would read them, and categories and priorities are lower-cased.
* HTML comments and ``---`` rules are ignored anywhere; any other text outside a section,
  or of the wrong kind inside one (a paragraph where a table belongs), is an error.
* Impact values are read tolerantly (``65 min``, ``1 h 5 min``, ``$89,000``); a value that
  still is no number reaches the model as text, which reports it on its line.

Markdown is parsed by markdown-it-py (CommonMark plus GitHub tables); this module only maps
its syntax tree onto the model's fields.
"""

from __future__ import annotations

import difflib
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from config.yamlfile import (
    DEFAULT_MAX_BYTES,
    FieldPath,
    LineMap,
    SourceError,
    SourceErrors,
    YamlDocument,
    YamlError,
    format_field,
    parse_yaml,
    resolve_plain,
)

MARKDOWN_SUFFIXES = (".md", ".markdown")

NO_FRONT_MATTER = (
    "no front matter: a Markdown post-mortem starts with --- ... --- lines holding at least "
    "id, severity and detected_at"
)

#: A folder scan reads this much of a Markdown file to decide whether it is a post-mortem.
_SNIFF_BYTES = 64 * 1024
_FRONT_MATTER_START = re.compile(r"\A\ufeff?---[ \t]*\r?$", re.MULTILINE)
_TEMPLATE_HEADING = re.compile(
    r"^ {0,3}(?:#[ \t]+incident\b|##[ \t]+action[ \t]+items\b)", re.IGNORECASE | re.MULTILINE
)


class MarkdownError(SourceErrors):
    """A Markdown definition whose structure cannot be read; ``errors`` lists every problem."""


def is_markdown(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is named like a Markdown file."""
    return str(path).lower().endswith(MARKDOWN_SUFFIXES)


def looks_like_postmortem(path: str | os.PathLike[str]) -> bool:
    """Whether a Markdown file found in a folder scan should be read as a post-mortem.

    Post-mortem folders often hold a README or notes too; reporting those as broken
    definitions on every cycle would bury real problems. A file is read when it starts with
    front matter or uses the template's ``# Incident`` or ``## Action Items`` headings, so a
    post-mortem that forgot its front matter is still reported rather than ignored.
    """
    try:
        with open(path, "rb") as stream:
            raw = stream.read(_SNIFF_BYTES)
    except OSError:
        return True  # loading it will say why it cannot be read
    try:
        head = raw.decode("utf-8")
    except UnicodeDecodeError:
        return True  # not UTF-8 (UTF-16, say): loading it says so, rather than skipping it
    head = head.replace("\r\n", "\n").replace("\r", "\n")
    return bool(_FRONT_MATTER_START.match(head) or _TEMPLATE_HEADING.search(head))


def _unclosed_comment_line(text: str) -> int | None:
    position = 0
    while (start := text.find("<!--", position)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            return text.count("\n", 0, start) + 1
        position = end + 3
    return None


def load_markdown(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> YamlDocument:
    """Read the Markdown post-mortem at ``path``; raise :class:`MarkdownError` on problems."""
    name = str(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read(max_bytes + 1)
    except OSError as exc:
        raise MarkdownError([SourceError(name, None, None, f"cannot read the file: {exc.strerror or exc}")]) from None
    return parse_markdown(raw, path=name, max_bytes=max_bytes)


def parse_markdown(
    source: bytes | str,
    *,
    path: str | os.PathLike[str] = "<string>",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> YamlDocument:
    """Turn a Markdown post-mortem held in memory into definition data with field lines.

    Raises :class:`MarkdownError` with every structural problem found; problems of values
    (a bad date, an unknown owner) are left to the loader's validation, as for YAML.
    """
    name = str(path)
    text = _decode(source, name, max_bytes)
    unclosed = _unclosed_comment_line(text)
    if unclosed is not None:
        # Everything after it would vanish from the definition, action items included.
        raise MarkdownError(
            [SourceError(name, unclosed, None, "an HTML comment starts here and is never closed with -->")]
        )
    front_text, body = _split_front_matter(text, name)
    try:
        front = _parse_front_matter(front_text, name)
    except YamlError as exc:
        raise MarkdownError([exc]) from None
    reader = _Reader(name, body)
    reader.read(front)
    if reader.errors:
        raise MarkdownError(reader.errors)
    return YamlDocument(name, reader.data, LineMap(reader.lines))


# --------------------------------------------------------------------------- the file


def _decode(source: bytes | str, name: str, max_bytes: int) -> str:
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if len(raw) > max_bytes:
        raise MarkdownError([SourceError(name, None, None, f"file is too big (the limit is {max_bytes} bytes)")])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise MarkdownError([SourceError(name, line, None, "this is a binary file, not Markdown text")])
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MarkdownError([SourceError(name, line, None, "not valid UTF-8 text; save the file as UTF-8")]) from None
    # markdown-it counts lines after the same normalisation; doing it first keeps both in step.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_front_matter(text: str, name: str) -> tuple[str, str]:
    """The front matter's YAML and the Markdown body, blanked so body lines keep their numbers."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise MarkdownError([SourceError(name, 1, None, NO_FRONT_MATTER)])
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            # Blank lines in place of the front matter: markdown-it's line numbers are then the
            # file's own, with no offset to carry around.
            return "\n".join(lines[1:end]), "\n" * (end + 1) + "\n".join(lines[end + 1 :])
    raise MarkdownError([SourceError(name, 1, None, "the front matter opened here is never closed by a --- line")])


def _parse_front_matter(text: str, name: str) -> YamlDocument:
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n")):
        raise YamlError(name, 1, None, "the front matter is empty; it needs at least id, severity and detected_at")
    return parse_yaml(text, path=name, first_line=2)


# --------------------------------------------------------------------------- sections


@dataclass
class _Section:
    """One ``##`` heading and the blocks under it."""

    kind: _Kind
    line: int
    blocks: list[SyntaxTreeNode] = field(default_factory=list)


@dataclass(frozen=True)
class _Columns:
    """The columns a table section takes, by field name."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: Read like YAML scalars, so ``2024-03-26`` is a date and ``2024-02-30`` stays text.
    dates: frozenset[str] = frozenset()
    #: Enum values, which authors capitalise in a table ("Critical").
    lowercase: frozenset[str] = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        return self.required + self.optional

    def shown(self) -> str:
        return " | ".join(_column_title(name) for name in self.names)


_TIMELINE = _Columns(("at", "actor", "description"), dates=frozenset({"at"}))
_FACTORS = _Columns(("description", "category"), ("systemic",), lowercase=frozenset({"category"}))
_ACTIONS = _Columns(
    ("id", "description", "owner", "deadline", "priority"),
    ("withdrawn",),
    dates=frozenset({"deadline"}),
    lowercase=frozenset({"priority"}),
)

_IMPACT_LABELS = {
    "duration": "minutes",
    "minutes": "minutes",
    "users affected": "users_affected",
    "users": "users_affected",
    "revenue lost": "revenue_lost",
    "revenue": "revenue_lost",
}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_DURATION = re.compile(
    r"(?:(?P<hours>\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?)\b)?\s*(?:(?P<minutes>\d+(?:\.\d+)?)\s*(?:m|mins?|minutes?)?)?",
    re.IGNORECASE,
)
_USERS = re.compile(
    rf"(?:~|about|approx\.?|approximately)?\s*(?P<n>{_NUMBER})\s*(?:users?|customers?|people|accounts?)?",
    re.IGNORECASE,
)
_MONEY = re.compile(
    rf"(?:[$\u20ac\u00a3]|USD|EUR|GBP)?\s*(?P<n>{_NUMBER})\s*(?:USD|EUR|GBP|dollars?|euros?)?",
    re.IGNORECASE,
)
#: ``- 2024-03-12T14:30:00Z - CI/CD system: what happened`` (em or en dash also accepted).
_TIMELINE_ITEM = re.compile(
    r"(?P<at>\S.*?)\s+(?:\u2014|\u2013|--?)\s+(?P<actor>[^:]+?):\s+(?P<description>.+)",
    re.DOTALL,
)
_TIMELINE_EXAMPLE = '"- 2024-03-12T14:30:00Z - CI/CD system: what happened"'
_IMPACT_TITLES = ("Duration", "Users affected", "Revenue lost")

_BLOCK_NAMES = {
    "paragraph": "text",
    "bullet_list": "a list",
    "ordered_list": "a list",
    "table": "a table",
    "heading": "a heading",
    "fence": "a code block",
    "code_block": "a code block",
    "blockquote": "a quote",
    "html_block": "HTML",
}


class _Reader:
    """Walks one document's syntax tree, building definition data, field lines and errors."""

    def __init__(self, name: str, body: str) -> None:
        self.name = name
        self.source = body.split("\n")
        self.tree = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(body))
        self.data: dict[str, Any] = {}
        self.lines: dict[FieldPath, int] = {}
        self.errors: list[SourceError] = []

    def fail(self, line: int | None, path: FieldPath | None, message: str) -> None:
        self.errors.append(SourceError(self.name, line, format_field(path) if path else None, message))

    def read(self, front: YamlDocument) -> None:
        """Fill ``data`` and ``lines`` from the front matter and every section."""
        title_line, sections = self._sections()
        self._take_front_matter(front)
        self.lines[()] = 1  # fields missing from the front matter are its problem
        for section in sections:
            self.lines[(section.kind.field,)] = section.line
            section.kind.read(self, section)
        if not any(section.kind is _SECTION_KINDS["action items"] for section in sections):
            self.fail(
                title_line or 1,
                ("action_items",),
                f'no "## Action Items" section: a post-mortem needs a table of its action items ({_ACTIONS.shown()})',
            )

    def _take_front_matter(self, front: YamlDocument) -> None:
        owned = {kind.field: kind.title for kind in _SECTION_KINDS.values()}
        for key, value in front.data.items():
            if key in owned:
                # One place per field: a value in both places would leave the reader guessing.
                self.fail(front.lines.line_of((key,)), (key,), f'belongs in the "## {owned[key]}" section, not here')
            else:
                self.data[key] = value
        self.lines.update({path: line for path, line in front.lines.lines.items() if path})

    # ----------------------------------------------------------------- document layout

    def _sections(self) -> tuple[int | None, list[_Section]]:
        """Group the top-level blocks under their ``##`` headings; take the ``#`` title."""
        sections: list[_Section] = []
        current: _Section | None = None
        started = False  # a "##" heading was seen, known or not
        title_line: int | None = None
        for node in self.tree.children:
            line = _line(node)
            if _ignorable(node):
                continue
            if node.type == "heading" and node.tag == "h2":
                started = True
                current = self._section(node, sections)
                sections += [current] if current else []
            elif node.type == "heading" and node.tag == "h1":
                if title_line is None and not started:
                    title_line = line
                    self._title(node, line)
                else:
                    self.fail(line, None, 'only the title is a "#" heading; sections are "##" headings')
                    current = None  # what follows belongs to no section; one error is enough
            elif current is not None:
                current.blocks.append(node)
            elif not started:
                self.fail(line, None, 'text before the first "##" section is not read; put it under "## Summary"')
            # else: under an unknown or repeated heading, which is reported already
        return title_line, sections

    def _title(self, node: SyntaxTreeNode, line: int) -> None:
        title = re.sub(r"^incident\s*:\s*", "", _inline(node).strip(), flags=re.IGNORECASE)
        self.data["title"] = title
        self.lines[("title",)] = line

    def _section(self, node: SyntaxTreeNode, sections: Sequence[_Section]) -> _Section | None:
        """The section a ``##`` heading opens; None (and an error) for an unknown or repeated one."""
        line = _line(node)
        heading = _inline(node).strip()
        kind = _SECTION_KINDS.get(_section_key(heading))
        if kind is None:
            self.fail(line, None, _unknown_section(heading))
            return None
        first = next((s.line for s in sections if s.kind is kind), None)
        if first is not None:
            self.fail(line, None, f'section "{kind.title}" appears twice (first on line {first}); merge the two')
            return None
        return _Section(kind, line)

    # ----------------------------------------------------------------- section readers

    def read_text(self, section: _Section) -> None:
        """Free text (the summary): paragraphs folded to one line each, as YAML's ``>`` does."""
        self.data[section.kind.field] = self._text(section.blocks)
        if section.blocks:
            self.lines[(section.kind.field,)] = _line(section.blocks[0])

    def read_bullets(self, section: _Section) -> None:
        """A list of sentences (went well, went wrong, lessons learned)."""
        items = self._list_items(section, 'a list ("- one point per line")')
        self.data[section.kind.field] = [text for text, _ in items]

    def read_impact(self, section: _Section) -> None:
        """``- Duration: 65 minutes`` lines into ``{minutes, users_affected, revenue_lost}``."""
        impact: dict[str, Any] = {}
        for text, line in self._list_items(section, 'a list ("- Duration: 65 minutes")'):
            label, colon, value = re.sub(r"[*_`]", "", text).partition(":")
            key = _IMPACT_LABELS.get(" ".join(label.lower().split()))
            if not colon or key is None:
                self.fail(line, ("impact",), _unknown("impact line", label.strip(), _IMPACT_TITLES))
            elif key in impact:
                self.fail(line, ("impact", key), f"given twice (first on line {self.lines[('impact', key)]})")
            else:
                impact[key] = _IMPACT_VALUES[key](_drop_remarks(value))
                self.lines[("impact", key)] = line
        self.data["impact"] = impact

    def read_timeline(self, section: _Section) -> None:
        """A table (At | Actor | Description) or a list of ``time - actor: description``."""
        if any(block.type == "table" for block in section.blocks):
            self.data["timeline"] = self._table(section, _TIMELINE)
            return
        expected = f"a table ({_TIMELINE.shown()}) or a list ({_TIMELINE_EXAMPLE})"
        entries: list[dict[str, Any]] = []
        for index, (text, line) in enumerate(self._list_items(section, expected)):
            match = _TIMELINE_ITEM.fullmatch(text)
            if match is None:
                self.fail(line, ("timeline", index), f"write a timeline entry as {_TIMELINE_EXAMPLE}")
                continue
            entries.append({**match.groupdict(), "at": resolve_plain(match["at"])})
            self.lines[("timeline", index)] = line
            self.lines.update({("timeline", index, key): line for key in _TIMELINE.names})
        self.data["timeline"] = entries

    def read_factors(self, section: _Section) -> None:
        """Contributing factors: a table (Description | Category | Systemic)."""
        self.data["contributing_factors"] = self._table(section, _FACTORS)

    def read_action_items(self, section: _Section) -> None:
        """Action items: a table (ID | Description | Owner | Deadline | Priority)."""
        self.data["action_items"] = self._table(section, _ACTIONS)

    # ----------------------------------------------------------------- block helpers

    def _text(self, blocks: Iterable[SyntaxTreeNode]) -> str:
        parts = []
        for block in blocks:
            if block.type == "paragraph":
                parts.append(" ".join(line.strip() for line in _inline(block).split("\n")))
            elif not _ignorable(block):
                # Anything else (a nested list, a code block) is kept as written: dropping it
                # would lose what the author wrote, and issue bodies render Markdown anyway.
                start, end = block.map or (0, 0)
                parts.append(textwrap.dedent("\n".join(self.source[start:end])).strip("\n"))
        return "\n\n".join(part for part in parts if part)

    def _list_items(self, section: _Section, expected: str) -> list[tuple[str, int]]:
        """The text and line of every item of the section's lists; other blocks are errors."""
        items: list[tuple[str, int]] = []
        for block in section.blocks:
            if block.type in ("bullet_list", "ordered_list"):
                items += [(self._text(item.children), _line(item)) for item in block.children]
            else:
                self.fail(_line(block), (section.kind.field,), f"expected {expected}, found {_describe(block)}")
        return items

    def _table(self, section: _Section, columns: _Columns) -> list[dict[str, Any]]:
        """The rows of the section's one table as dicts keyed by field name."""
        name = section.kind.field
        tables = [block for block in section.blocks if block.type == "table"]
        for block in section.blocks:
            if block.type != "table":
                self.fail(_line(block), (name,), f"expected only a table ({columns.shown()}), found {_describe(block)}")
        for extra in tables[1:]:
            self.fail(_line(extra), (name,), "a second table; put every row in one table")
        if not tables:
            return []
        table = tables[0]
        self.lines[(name,)] = _line(table)
        header = self._header(table, name, columns)
        body = table.children[1].children if len(table.children) > 1 else []
        return [self._row(row, index, name, header, columns) for index, row in enumerate(body)]

    def _header(self, table: SyntaxTreeNode, name: str, columns: _Columns) -> dict[int, str]:
        """Column position -> field name; unknown, repeated and missing columns are errors."""
        row = table.children[0].children[0]
        line = _line(table)
        found: dict[int, str] = {}
        for position, cell in enumerate(row.children):
            title = re.sub(r"[*_`]", "", _inline(cell)).strip()
            key = " ".join(title.lower().split())
            if key not in columns.names:
                self.fail(line, (name,), _unknown("column", title, [_column_title(c) for c in columns.names]))
            elif key in found.values():
                self.fail(line, (name,), f'column "{title}" appears twice')
            else:
                found[position] = key
        for missing in (c for c in columns.required if c not in found.values()):
            self.fail(line, (name,), f'the table has no "{_column_title(missing)}" column (expected {columns.shown()})')
        return found

    def _row(
        self, row: SyntaxTreeNode, index: int, name: str, header: dict[int, str], columns: _Columns
    ) -> dict[str, Any]:
        line = _line(row)
        self.lines[(name, index)] = line
        item: dict[str, Any] = {}
        for position, cell in enumerate(row.children):
            key = header.get(position)
            text = _inline(cell).strip()
            if key is None or not text:
                continue  # an empty cell is a missing field: the model says which one
            if key in columns.dates:
                item[key] = resolve_plain(text)
            else:
                item[key] = text.lower() if key in columns.lowercase else text
            self.lines[(name, index, key)] = line
        return item


@dataclass(frozen=True)
class _Kind:
    """A section of the template: its heading, the field it fills and how it is read."""

    title: str
    field: str
    read: Callable[[_Reader, _Section], None]


#: In the template's order, which is also the order error messages list them in.
_SECTION_KINDS = {
    kind.title.lower(): kind
    for kind in (
        _Kind("Summary", "summary", _Reader.read_text),
        _Kind("Impact", "impact", _Reader.read_impact),
        _Kind("Timeline", "timeline", _Reader.read_timeline),
        _Kind("Contributing Factors", "contributing_factors", _Reader.read_factors),
        _Kind("What Went Well", "went_well", _Reader.read_bullets),
        _Kind("What Went Wrong", "went_wrong", _Reader.read_bullets),
        _Kind("Action Items", "action_items", _Reader.read_action_items),
        _Kind("Lessons Learned", "lessons_learned", _Reader.read_bullets),
    )
}


# --------------------------------------------------------------------------- small helpers


def _line(node: SyntaxTreeNode) -> int:
    """The 1-based line a block starts on."""
    return node.map[0] + 1 if node.map else 1


def _inline(node: SyntaxTreeNode) -> str:
    """The raw Markdown of a heading, paragraph or table cell (emphasis and code kept)."""
    return node.children[0].content if node.children else ""


def _ignorable(node: SyntaxTreeNode) -> bool:
    # Templates carry their instructions in HTML comments, and rules only separate sections.
    return node.type == "hr" or (node.type == "html_block" and node.content.lstrip().startswith("<!--"))


def _describe(node: SyntaxTreeNode) -> str:
    return _BLOCK_NAMES.get(node.type, node.type)


def _section_core(heading: str) -> str:
    """``Contributing Factors (NOT "root cause")`` -> ``Contributing Factors``."""
    return " ".join(re.split(r"\(|:|\s[\u2014\u2013-]\s", heading, maxsplit=1)[0].split())


def _section_key(heading: str) -> str:
    return _section_core(heading).lower()


def _unknown_section(heading: str) -> str:
    message = _unknown("section", _section_core(heading) or heading, [kind.title for kind in _SECTION_KINDS.values()])
    if "root cause" in heading.lower():
        # Blameless post-mortems name several contributing factors, never one root cause.
        message += '; incidents have several causes: list them under "## Contributing Factors"'
    return message


def _unknown(what: str, name: str, choices: Sequence[str]) -> str:
    message = f'unknown {what} "{name}" (expected one of: {", ".join(choices)})'
    close = difflib.get_close_matches(name.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if close:
        message += f'; did you mean "{choices[[c.lower() for c in choices].index(close[0])]}"?'
    return message


def _column_title(name: str) -> str:
    return "ID" if name == "id" else name.capitalize()


def _drop_remarks(value: str) -> str:
    """``65 minutes (14:47-15:52)`` -> ``65 minutes``: remarks in brackets are for readers."""
    return re.sub(r"\([^)]*\)", "", value).strip()


def _number(text: str) -> int | float:
    plain = text.replace(",", "")
    return float(plain) if "." in plain else int(plain)


def _minutes(value: str) -> Any:
    """``65``, ``65 min``, ``1 h 5 min`` -> minutes; anything else is left for the model."""
    match = _DURATION.fullmatch(value)
    if not value or match is None:
        return value
    total = float(match["hours"] or 0) * 60 + float(match["minutes"] or 0)
    return int(total) if total.is_integer() else value


def _count(pattern: re.Pattern[str]) -> Callable[[str], Any]:
    def read(value: str) -> Any:
        match = pattern.fullmatch(value)
        return _number(match["n"]) if match else value

    return read


_IMPACT_VALUES: dict[str, Callable[[str], Any]] = {
    "minutes": _minutes,
    "users_affected": _count(_USERS),
    "revenue_lost": _count(_MONEY),
}


__all__ = [
    "MARKDOWN_SUFFIXES",
    "NO_FRONT_MATTER",
    "MarkdownError",
    "is_markdown",
    "load_markdown",
    "looks_like_postmortem",
    "parse_markdown",
]
