"""Strict YAML reading for every YAML file the project reads (teams file, definitions).

The parser only tokenises: Python data is built here, from its events, so that the rules
are ours and the same everywhere. The parser of record is ruamel.yaml (pure Python, YAML
1.2). When PyYAML's libyaml binding is installed it parses first, because it is ~30 times
faster; any file it has trouble with is parsed again by ruamel.yaml, whose verdict and error
messages count. Both produce the same data and lines (the tests check it). libyaml is a
little more lenient in corners where ruamel is stricter than YAML 1.2 itself (a tab inside
unquoted text, for one): such files load with libyaml and are refused without it.

* **YAML 1.2 core schema.** Unquoted ``NO``, ``yes``, ``on`` stay text; ``010`` is the number
  10, not octal 8; ``1:20`` is text, not a sexagesimal number. ``true``/``false`` (any case
  spelling YAML 1.2 allows) are booleans. A ``%YAML 1.1`` directive is refused rather than
  obeyed.
* **Dates and times.** ``2024-03-26`` becomes a :class:`datetime.date`;
  ``2024-03-12T14:47:00Z`` or ``...+01:00`` becomes a timezone-aware
  :class:`datetime.datetime` that keeps its offset. A date and time *without* an offset is
  returned as a naive datetime: the reader does not guess, and the models that need a moment
  (post-mortem timestamps) refuse it with a message asking for ``Z`` or an offset. A
  date-looking value that is no real date (``2024-02-30``) stays text, so the model reports it
  together with every other problem of the file.
* **Keys are always text** (``404: x`` has the key ``"404"``), never a list or mapping.
* **No aliases.** ``*name`` references are refused outright: definitions never need them, and
  refusing them makes "billion laughs" expansion bombs impossible. (Anchors alone are
  harmless and ignored.) Tags other than ``!!str`` are refused too.
* **Refused before parsing:** files over the size limit (1 MiB by default), binary content
  (NUL bytes), text that is not UTF-8, empty files and tabs used for indentation.
* **Refused after parsing:** duplicate keys, a top level that is not a mapping, more than one
  document in a file, nesting deeper than :data:`MAX_DEPTH`.

Every problem is a :class:`SourceError` carrying the file, the 1-based line and the field
path, so the author is sent to the exact place to fix. :mod:`config.validation_messages`
turns pydantic's validation errors into such errors, in plain words.
"""

from __future__ import annotations

import importlib
import os
import re
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

DEFAULT_MAX_BYTES = 1024 * 1024
#: Deeper nesting than this is a mistake in a hand-written file, and a cheap way to make a
#: reader work hard; definitions need about five levels.
MAX_DEPTH = 32

#: One step of a field path: a mapping key or a list index.
PathPart = str | int
FieldPath = tuple[PathPart, ...]


# --------------------------------------------------------------------------- errors


class SourceError(Exception):
    """One problem in one input file, located as precisely as we can.

    ``str()`` reads ``postmortems/inc-42.yaml:17: action_items[2].deadline: not a valid
    date ("2024-02-30")``; the line and field parts are left out when unknown.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        line: int | None,
        field: str | None,
        message: str,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(path={self.path!r}, line={self.line!r}, "
            f"field={self.field!r}, message={self.message!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceError):
            return NotImplemented
        return self.sort_key() == other.sort_key()

    def __hash__(self) -> int:
        return hash(self.sort_key())

    def sort_key(self) -> tuple[str, int, str, str]:
        """Orders errors as an author reads a file: by file, then line (unknown last)."""
        return (
            self.path,
            self.line if self.line is not None else 1 << 30,
            self.field or "",
            self.message,
        )


class YamlError(SourceError):
    """The file could not be read as YAML at all (size, encoding, syntax, duplicates...)."""


class SourceErrors(Exception):
    """Several problems found in one go; ``errors`` lists them in reading order."""

    def __init__(self, errors: Iterable[SourceError]) -> None:
        self.errors: tuple[SourceError, ...] = tuple(sorted(errors, key=SourceError.sort_key))
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def format_field(path: Sequence[PathPart]) -> str | None:
    """``("action_items", 2, "deadline")`` -> ``action_items[2].deadline``; ``()`` -> None.

    Keys that are not plain words (team names with spaces) are quoted: ``teams["Edge Team"]``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or None


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class LineMap:
    """Where each field of a document is: field path -> 1-based line.

    A mapping entry is at the line of its key, a list item at the line where it starts.
    Paths that were never written (a missing field) fall back to the nearest parent that was.
    """

    lines: Mapping[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The line of ``path``, or of its nearest written parent; None for an empty map."""
        key = tuple(path)
        while True:
            line = self.lines.get(key)
            if line is not None or not key:
                return line
            key = key[:-1]

    def __contains__(self, path: object) -> bool:
        return path in self.lines


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file read into plain Python data, with the line of every field."""

    path: str
    data: dict[str, Any]
    lines: LineMap

    def error(self, path: Sequence[PathPart], message: str) -> SourceError:
        """A :class:`SourceError` about the field at ``path`` of this document."""
        return SourceError(self.path, self.lines.line_of(path), format_field(path), message)


def load_yaml(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> YamlDocument:
    """Read the YAML file at ``path``; raise :class:`YamlError` on the first problem.

    The size is checked before the file is read, and again on what is read (a file may grow,
    or be a device that ``stat`` cannot size).
    """
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise YamlError(name, None, None, _too_big(size, max_bytes))
        with open(path, "rb") as stream:
            raw = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise YamlError(name, None, None, "file not found") from None
    except IsADirectoryError:
        raise YamlError(name, None, None, "is a folder, not a file") from None
    except OSError as exc:
        raise YamlError(name, None, None, f"cannot read the file: {exc.strerror or exc}") from None
    return parse_yaml(raw, path=name, max_bytes=max_bytes)


def parse_yaml(
    source: bytes | str,
    *,
    path: str | os.PathLike[str] = "<string>",
    max_bytes: int = DEFAULT_MAX_BYTES,
    first_line: int = 1,
) -> YamlDocument:
    """Read YAML held in memory. ``path`` only names it in errors.

    ``first_line`` is the line number of the first line of ``source`` in its file, for YAML
    embedded in another file (Markdown front matter starts on line 2).
    """
    name = str(path)
    text = _decode(source, name, max_bytes, first_line)
    if not text.strip():
        raise YamlError(name, None, None, "file is empty")
    return _Builder(text, name, first_line).build()


def _too_big(size: int, limit: int) -> str:
    shown, most = _size(size), _size(limit)
    if shown == most:  # just over: "1.0 MiB; the limit is 1.0 MiB" would read as no problem
        shown, most = f"{size:,} bytes", f"{limit:,} bytes"
    return f"file is too big ({shown}; the limit is {most})"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def _decode(source: bytes | str, name: str, max_bytes: int, first_line: int) -> str:
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if len(raw) > max_bytes:
        raise YamlError(name, None, None, _too_big(len(raw), max_bytes))
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + first_line
        raise YamlError(
            name,
            line,
            None,
            "this is a binary file, not YAML text (it contains NUL bytes); if it is UTF-16 text, save it as UTF-8",
        )
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as some editors write
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + first_line
        raise YamlError(
            name,
            line,
            None,
            f"not valid UTF-8 text (byte 0x{raw[exc.start]:02X}); save the file as UTF-8",
        ) from None


# --------------------------------------------------------------------------- scalars

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)"
    r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?"
    r"(?:[ \t]*(Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?"
)
#: Plain scalars starting with anything else are text; checking the first character spares
#: the regular expressions for the bulk of a definition (titles, descriptions).
_MAYBE_NOT_TEXT = frozenset("0123456789+-.~nNtTfF")


def resolve_plain(value: str) -> Any:
    """The Python value of an unquoted scalar under the YAML 1.2 core schema, plus dates."""
    if value and value[0] not in _MAYBE_NOT_TEXT:
        return value
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    try:
        if _INT.fullmatch(value):
            return int(value, 10)
        if _OCT.fullmatch(value):
            return int(value[2:], 8)
        if _HEX.fullmatch(value):
            return int(value[2:], 16)
    except ValueError:  # more digits than Python converts; nobody means that as a number
        return value
    if _FLOAT.fullmatch(value):
        return float(value)
    if _INF.fullmatch(value):
        return float("-inf") if value[0] == "-" else float("inf")
    if _NAN.fullmatch(value):
        return float("nan")
    return _timestamp(value)


def _timestamp(value: str) -> Any:
    match = _DATE.fullmatch(value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _DATETIME.fullmatch(value)
        if not match:
            return value
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micro,
            tzinfo=_zone(zone),
        )
    except ValueError:  # 2024-02-30, 25:00: not a real moment; the model will say so
        return value


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


# --------------------------------------------------------------------------- building

_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_LEADING_TAB = re.compile(r"^ *\t[ \t]*\S", re.MULTILINE)

#: ruamel's words for a quote left open: it notices only at the end of the file.
_UNCLOSED_QUOTE = "found unexpected end of stream"
#: ruamel's wording for common mistakes, with a hint an author can act on.
_SYNTAX_HINTS = (
    (
        "mapping values are not allowed here",
        "a ':' is not allowed here: put quotes around a value that contains ': ', or check the indentation",
    ),
    (
        "could not find expected ':'",
        "expected 'key: value' here: check the indentation, or a quote that is not closed",
    ),
    (
        _UNCLOSED_QUOTE,
        "this quote is not closed: the file ends inside the quoted value",
    ),
    ("found undefined tag handle", "unknown '!' tag: put quotes around values that start with '!'"),
    ("expected <block end>, but found", "the indentation does not line up with the lines above"),
    (
        "found character '\\t' that cannot start any token",
        "a tab character is not allowed here; use spaces",
    ),
    (
        "found character '@' that cannot start any token",
        "a value cannot start with '@': put it in quotes",
    ),
    (
        "found character '`' that cannot start any token",
        "a value cannot start with '`': put it in quotes",
    ),
)


# --------------------------------------------------------------------------- parsers


def _ruamel_events(text: str) -> Iterator[Any]:
    return typing.cast(Iterator[Any], YAML(typ="safe", pure=True).parse(text))


def _find_libyaml() -> Any:
    """PyYAML's binding of libyaml, if installed with its C extension; else None."""
    try:
        module = importlib.import_module("yaml")
    except ImportError:
        return None
    return module if getattr(module, "__with_libyaml__", False) else None


#: libyaml parses ~30 times faster than ruamel's pure-Python parser, which is what keeps a
#: folder of a thousand definitions well under a second. (ruamel's own C parser is no
#: option: it rejects `{at: 14:30:00Z}`, which YAML 1.2 allows.) Set to None to use ruamel
#: only.
LIBYAML: Any = _find_libyaml()
#: YAML 1.1 treats these as line breaks and YAML 1.2 does not: such text goes to ruamel.
_YAML11_BREAKS = re.compile("[\x85\u2028\u2029]")


def _events(text: str) -> Iterable[Any]:
    """Parse events for ``text``: from libyaml when it can, else from ruamel.yaml.

    Whenever libyaml finds a problem, ruamel parses the text again: it has the final word
    (YAML 1.2 rules) and the error messages authors see are always ruamel's.
    """
    if LIBYAML is not None and not _YAML11_BREAKS.search(text):
        try:
            return list(LIBYAML.parse(text, Loader=LIBYAML.CSafeLoader))
        except LIBYAML.YAMLError:
            pass
    return _ruamel_events(text)


class _Builder:
    """Turns the parse events of one file into data plus a :class:`LineMap`."""

    def __init__(self, text: str, name: str, first_line: int) -> None:
        self.text = text
        self.name = name
        # ruamel counts lines from 0; authors count from 1 (or from where the YAML starts).
        self.offset = first_line
        self.lines: dict[FieldPath, int] = {}

    def fail(self, line: int | None, path: FieldPath | None, message: str) -> YamlError:
        return YamlError(self.name, line, format_field(path) if path else None, message)

    def build(self) -> YamlDocument:
        tab_lines = [self.text.count("\n", 0, m.start()) + self.offset for m in _LEADING_TAB.finditer(self.text)]
        try:
            data, spans = self._parse()
        except MarkedYAMLError as exc:
            error = self._syntax_error(exc)
            # A tab at or above the point where parsing broke is the likely culprit, and
            # ruamel's own words for it ("cannot start any token") do not say "tab".
            suspects = [n for n in tab_lines if error.line is None or n <= error.line]
            raise (self._tab_error(suspects[0]) if suspects else error) from None
        except ReaderError as exc:
            line = self.text.count("\n", 0, int(exc.position or 0)) + self.offset
            raise self.fail(
                line,
                None,
                f"contains a control character (U+{int(exc.character):04X}) that YAML does not allow; delete it",
            ) from None
        except YAMLError as exc:  # unmarked: ruamel could not even say where
            raise self.fail(None, None, f"not valid YAML: {exc}") from None
        for line in tab_lines:
            # Tabs inside a multi-line text block are content, not indentation.
            if not any(start < line <= end for start, end in spans):
                raise self._tab_error(line)
        return YamlDocument(self.name, data, LineMap(self.lines))

    def _tab_error(self, line: int) -> YamlError:
        return self.fail(line, None, "a tab is used for indentation; YAML needs spaces here")

    def _syntax_error(self, exc: MarkedYAMLError) -> YamlError:
        mark = exc.problem_mark or exc.context_mark
        problem = str(exc.problem or exc.context or "syntax error")
        if _UNCLOSED_QUOTE in problem and exc.context_mark is not None:
            # The parser stops at the end of the file; the author has to look where the
            # quote was opened.
            mark = exc.context_mark
        line = mark.line + self.offset if mark is not None else None
        for needle, hint in _SYNTAX_HINTS:
            if needle in problem:
                problem = hint
                break
        else:
            problem = f"not valid YAML: {problem}"
            if exc.context and exc.context_mark is not None and exc.problem:
                problem += f" ({exc.context} on line {exc.context_mark.line + self.offset})"
        return self.fail(line, None, problem)

    def _parse(self) -> tuple[dict[str, Any], list[tuple[int, int]]]:
        """Build the single document; returns it and the line spans of multi-line scalars."""
        spans: list[tuple[int, int]] = []
        root: Any = _NOTHING
        root_line: int | None = None  # where the top-level value starts, after any comments
        stack: list[_Open] = []  # the mappings and lists still open, innermost last
        documents = 0
        for event in _events(self.text):
            kind = type(event).__name__
            line = event.start_mark.line + self.offset if event.start_mark else None
            if kind == "ScalarEvent":
                if stack and stack[-1].expects_key:
                    self._key(stack[-1], event, line)
                    continue
                value = self._scalar(event, line, stack)
                if event.end_mark is not None and event.end_mark.line > event.start_mark.line:
                    spans.append((line or 0, event.end_mark.line + self.offset))
                if stack:
                    self._place(stack, value, line)
                else:
                    root, root_line = value, line
            elif kind in ("MappingStartEvent", "SequenceStartEvent"):
                self._open(event, kind, line, stack)
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                done = stack.pop()
                self._place(stack, done.value, done.line)
                if not stack:
                    root, root_line = done.value, done.line
            elif kind == "AliasEvent":
                raise self.fail(
                    line,
                    self._path_here(stack),
                    f"YAML aliases (*{event.anchor}) are not allowed; write the value out in full",
                )
            elif kind == "DocumentStartEvent":
                documents += 1
                self._document(event, line, documents)
        if root is _NOTHING:
            raise self.fail(None, None, "file is empty (it has only comments)")
        if not isinstance(root, dict):
            raise self.fail(
                root_line or self.offset,
                None,
                f"the file must be a mapping of fields (key: value) at the top level, not {_kind(root)}",
            )
        self.lines.setdefault((), self.offset)
        return root, spans

    def _document(self, event: Any, line: int | None, count: int) -> None:
        if count > 1:
            raise self.fail(
                line,
                None,
                "the file holds more than one YAML document ('---'); put each one in its own file",
            )
        version = event.version
        if version is not None and tuple(version) != (1, 2):
            directive = re.search(r"^%YAML", self.text, re.MULTILINE)
            at = self.text.count("\n", 0, directive.start()) if directive else 0
            raise self.fail(
                at + self.offset,
                None,
                f"only YAML 1.2 is read; remove the '%YAML {version[0]}.{version[1]}' line",
            )

    def _open(self, event: Any, kind: str, line: int | None, stack: list[_Open]) -> None:
        if event.tag not in _COLLECTION_TAGS:
            raise self.fail(
                line,
                self._path_here(stack),
                f"YAML tags such as {event.tag} are not supported; remove it",
            )
        if stack and stack[-1].expects_key:
            raise self.fail(line, stack[-1].path or None, "a key must be plain text, not a list or mapping")
        path = self._child_path(stack)
        if len(path) >= MAX_DEPTH:
            raise self.fail(line, path[:2], f"nested more than {MAX_DEPTH} levels deep")
        container: dict[str, Any] | list[Any] = {} if kind == "MappingStartEvent" else []
        stack.append(_Open(container, path, line))

    def _path_here(self, stack: list[_Open]) -> FieldPath | None:
        return self._child_path(stack) if stack else None

    @staticmethod
    def _child_path(stack: list[_Open]) -> FieldPath:
        """The path of the value about to be placed into the innermost open collection."""
        if not stack:
            return ()
        top = stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return top.path if top.key is None else (*top.path, top.key)

    def _place(self, stack: list[_Open], value: Any, line: int | None) -> None:
        """Put a finished value into the innermost open collection, recording its line."""
        if not stack:
            return
        top = stack[-1]
        if isinstance(top.value, list):
            if line is not None:
                self.lines[(*top.path, len(top.value))] = line
            top.value.append(value)
        else:
            assert top.key is not None
            top.value[top.key] = value
            top.key = None

    def _key(self, top: _Open, event: Any, line: int | None) -> None:
        key = event.value
        if event.tag not in (None, "!", _STR_TAG):
            raise self.fail(line, top.path or None, f"a key cannot carry a YAML tag ({event.tag})")
        if not event.style and key in ("", "~", "null", "Null", "NULL"):
            raise self.fail(line, top.path or None, "a key is missing before ':'")
        path = (*top.path, key)
        first = top.seen.get(key)
        if first is not None:
            raise self.fail(
                line,
                path,
                f'duplicate key "{key}": it is already set on line {first}; keep one of the two',
            )
        if line is not None:
            top.seen[key] = line
            self.lines[path] = line
        top.key = key

    def _scalar(self, event: Any, line: int | None, stack: list[_Open]) -> Any:
        tag = event.tag
        if tag is None:
            return self._text(event.value, line, stack) if event.style else resolve_plain(event.value)
        if tag in ("!", _STR_TAG):
            return self._text(event.value, line, stack)
        raise self.fail(
            line,
            self._path_here(stack),
            f"YAML tags such as {tag.replace('tag:yaml.org,2002:', '!!')} are not supported; "
            "remove it (put the value in quotes to keep it as text)",
        )

    def _text(self, value: str, line: int | None, stack: list[_Open]) -> str:
        """A quoted scalar, with JSON-style surrogate pairs (``"\\ud83d\\ude80"``) made into the
        character they stand for; half a pair is refused, since no text can hold it."""
        if not _SURROGATE.search(value):
            return value
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise self.fail(
                line,
                self._path_here(stack),
                "holds a \\u escape that is half of a character (a lone surrogate such as \\ud83d): "
                "write the character itself, or both halves of the pair",
            ) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


class _Nothing:
    pass


_NOTHING: Any = _Nothing()


class _Open:
    """A mapping or list still being filled."""

    __slots__ = ("key", "line", "path", "seen", "value")

    def __init__(self, value: dict[str, Any] | list[Any], path: FieldPath, line: int | None) -> None:
        self.value = value
        self.path = path
        self.line = line
        self.key: str | None = None
        self.seen: dict[str, int] = {}

    @property
    def expects_key(self) -> bool:
        return isinstance(self.value, dict) and self.key is None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        return f'the text "{clip(value)}"'
    return f"the value {value!r}"


def clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DEPTH",
    "FieldPath",
    "LineMap",
    "PathPart",
    "SourceError",
    "SourceErrors",
    "YamlDocument",
    "YamlError",
    "clip",
    "format_field",
    "load_yaml",
    "parse_yaml",
    "resolve_plain",
]
