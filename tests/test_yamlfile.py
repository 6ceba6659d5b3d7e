"""Strict YAML reading: YAML 1.2 values, refusals with line and field, error translation."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

import config.yamlfile as yamlfile
from config.validation_messages import errors_from_validation
from config.yamlfile import (
    LineMap,
    SourceError,
    SourceErrors,
    YamlDocument,
    YamlError,
    format_field,
    load_yaml,
    parse_yaml,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(params=["libyaml", "ruamel"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Runs a test with each parser: the results must not depend on which one is present."""
    if request.param == "libyaml" and yamlfile.LIBYAML is None:
        pytest.skip("PyYAML with libyaml is not installed")
    if request.param == "ruamel":
        monkeypatch.setattr(yamlfile, "LIBYAML", None)
    yield request.param


# ------------------------------------------------------------------ values (YAML 1.2)

VALUES = [
    # YAML 1.1 would read these as booleans, octal or base-60 numbers.
    ("NO", "NO"),
    ("yes", "yes"),
    ("on", "on"),
    ("Off", "Off"),
    ("y", "y"),
    ("010", 10),
    ("1:20", "1:20"),
    ("0o10", 8),
    ("0x1F", 31),
    ("-7", -7),
    ("1.5", 1.5),
    ("1e3", 1000.0),
    ("true", True),
    ("FALSE", False),
    ("~", None),
    ("null", None),
    ("", None),
    ("'010'", "010"),
    ('"true"', "true"),
    ("!!str 010", "010"),
    ("1_000", "1_000"),
    ("2024-03-26", date(2024, 3, 26)),
    ("2024-03-12T14:47:00Z", datetime(2024, 3, 12, 14, 47, tzinfo=UTC)),
    (
        "2024-03-12T16:47:00+02:00",
        datetime(2024, 3, 12, 16, 47, tzinfo=timezone(timedelta(hours=2))),
    ),
    (
        "2024-03-12 09:47:00.25 -05:00",
        datetime(2024, 3, 12, 9, 47, 0, 250000, tzinfo=timezone(timedelta(hours=-5))),
    ),
    ("2024-03-12T14:47:00", datetime(2024, 3, 12, 14, 47)),  # naive: the model decides
    ("2024-02-30", "2024-02-30"),  # no such day: left as text for the model to report
    ("2024-03-12T25:00:00Z", "2024-03-12T25:00:00Z"),
    ("'2024-03-26'", "2024-03-26"),
    ("Platform Team", "Platform Team"),
]


@pytest.mark.parametrize(("written", "expected"), VALUES)
def test_values_follow_yaml_1_2(parser: str, written: str, expected: object) -> None:
    value = parse_yaml(f"key: {written}\n").data["key"]
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(expected, datetime):
        assert isinstance(value, datetime)
        assert value.utcoffset() == expected.utcoffset()  # the offset is kept, not converted


def test_special_floats(parser: str) -> None:
    data = parse_yaml("a: .inf\nb: -.Inf\nc: .nan\n").data
    assert data["a"] == math.inf
    assert data["b"] == -math.inf
    assert math.isnan(data["c"])


def test_keys_are_always_text(parser: str) -> None:
    assert parse_yaml("404: a\ntrue: b\n2024-03-26: c\n").data == {
        "404": "a",
        "true": "b",
        "2024-03-26": "c",
    }


def test_nested_data_and_lines(parser: str) -> None:
    doc = parse_yaml(
        "id: X\n"  # 1
        "action_items:\n"  # 2
        "  - id: AI-1\n"  # 3
        "    owner: Platform Team\n"  # 4
        "  - {id: AI-2, owner: B}\n"  # 5
        "went_well: [a, b]\n",  # 6
        path="pm.yaml",
    )
    assert doc.data == {
        "id": "X",
        "action_items": [{"id": "AI-1", "owner": "Platform Team"}, {"id": "AI-2", "owner": "B"}],
        "went_well": ["a", "b"],
    }
    lines = doc.lines
    assert lines.line_of(("action_items",)) == 2
    assert lines.line_of(("action_items", 0)) == 3
    assert lines.line_of(("action_items", 0, "owner")) == 4
    assert lines.line_of(("action_items", 1, "owner")) == 5
    assert lines.line_of(("went_well", 1)) == 6
    # Never written: the nearest parent's line.
    assert lines.line_of(("action_items", 0, "deadline")) == 4 - 1
    assert lines.line_of(("nope", 3)) == 1
    assert ("action_items", 0, "id") in lines


def test_block_text_and_windows_line_ends(parser: str) -> None:
    doc = parse_yaml("summary: |\r\n  one\r\n  two\r\nnext: >\r\n  a\r\n  b\r\n")
    assert doc.data == {"summary": "one\ntwo\n", "next": "a b\n"}
    assert doc.lines.line_of(("next",)) == 4


def test_tabs_inside_block_text_are_content(parser: str) -> None:
    doc = parse_yaml("summary: |\n  code:\n  \tindented with a tab\nnext: 1\n")
    assert doc.data["summary"] == "code:\n\tindented with a tab\n"


def test_utf8_byte_order_mark_is_accepted(parser: str) -> None:
    assert parse_yaml(b"\xef\xbb\xbftitle: caf\xc3\xa9\n").data == {"title": "café"}


def test_first_line_offsets_lines_for_embedded_yaml(parser: str) -> None:
    doc = parse_yaml("id: X\ntitle: T\n", first_line=2)
    assert doc.lines.line_of(("title",)) == 3
    with pytest.raises(YamlError) as caught:
        parse_yaml("id: X\nid: Y\n", first_line=2)
    assert caught.value.line == 3


def test_parsers_agree_on_the_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    if yamlfile.LIBYAML is None:
        pytest.skip("PyYAML with libyaml is not installed")
    files = sorted(EXAMPLES.rglob("*.yaml"))
    assert files
    for file in files:
        fast = load_yaml(file)
        with monkeypatch.context() as patch:
            patch.setattr(yamlfile, "LIBYAML", None)
            slow = load_yaml(file)
        assert fast.data == slow.data, file
        assert dict(fast.lines.lines) == dict(slow.lines.lines), file


# ------------------------------------------------------------------ refusals

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)

# (name, file content, expected line, expected field, fragment of the message)
BAD_YAML: list[tuple[str, bytes, int | None, str | None, str]] = [
    ("colon in value", b"title: Outage: payments\n", 1, None, "':' is not allowed here"),
    ("unclosed flow list", b"went_well: [a, b\nsummary: x\n", 2, None, "not valid YAML"),
    ("unclosed quote", b'title: "Outage\nseverity: P1\n', 1, None, "quote is not closed"),
    ("bad indentation", b"impact:\n  minutes: 5\n users: 3\n", 3, None, "indentation"),
    ("tab indentation", b"impact:\n\tminutes: 5\n", 2, None, "tab is used for indentation"),
    ("tab after spaces", b"impact:\n  minutes: 5\n  \tusers: 3\n", 3, None, "tab"),
    ("alias", b"a: &x [1]\nb: *x\n", 2, "b", "aliases (*x) are not allowed"),
    ("alias bomb", BILLION_LAUGHS.encode(), 2, "b[0]", "aliases"),
    ("merge key", b"base: &b {x: 1}\nitem:\n  <<: *b\n", 3, 'item["<<"]', "aliases"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, None, "binary file"),
    ("utf-16", "id: X\n".encode("utf-16"), 1, None, "binary file"),
    ("not utf-8", b"id: X\ntitle: caf\xe9\n", 2, None, "not valid UTF-8"),
    ("control character", b"id: X\ntitle: a\x07b\n", 2, None, "control character (U+0007)"),
    ("empty", b"", None, None, "file is empty"),
    ("blank", b"\n   \n", None, None, "file is empty"),
    ("only comments", b"# nothing yet\n", None, None, "only comments"),
    ("top-level list", b"- id: X\n- id: Y\n", 1, None, "not a list"),
    ("top-level text", b"just words\n", 1, None, 'not the text "just words"'),
    ("duplicate key", b"id: X\ntitle: A\nid: Y\n", 3, "id", "already set on line 1"),
    (
        "nested duplicate key",
        b"action_items:\n  - id: AI-1\n    owner: A\n    owner: B\n",
        4,
        "action_items[0].owner",
        'duplicate key "owner"',
    ),
    ("two documents", b"id: X\n---\nid: Y\n", 2, None, "more than one YAML document"),
    ("yaml 1.1", b"%YAML 1.1\n---\nid: X\n", 1, None, "only YAML 1.2"),
    ("int tag", b"minutes: !!int 5\n", 1, "minutes", "tags such as !!int"),
    ("local tag", b"owner: !team Platform\n", 1, "owner", "tags such as !team"),
    ("list as key", b"? [a, b]\n: c\n", 1, None, "key must be plain text"),
    ("missing key", b": value\n", 1, None, "key is missing"),
    ("too deep", b"a: " + b"[" * 40 + b"]" * 40 + b"\n", 1, "a[0]", "levels deep"),
    ("starts with @", b"owner: @payments\n", 1, None, "cannot start with '@'"),
]


@pytest.mark.parametrize(
    ("content", "line", "field", "fragment"),
    [case[1:] for case in BAD_YAML],
    ids=[case[0] for case in BAD_YAML],
)
def test_bad_yaml_is_refused_with_line_and_field(
    parser: str,
    tmp_path: Path,
    content: bytes,
    line: int | None,
    field: str | None,
    fragment: str,
) -> None:
    file = tmp_path / "inc.yaml"
    file.write_bytes(content)
    with pytest.raises(YamlError) as caught:
        load_yaml(file)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(file), line, field), error
    assert fragment in error.message


def test_tab_inside_a_line_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    # ruamel alone refuses it (libyaml reads it as text, as YAML 1.2 allows); either way the
    # author is told in plain words.
    monkeypatch.setattr(yamlfile, "LIBYAML", None)
    with pytest.raises(YamlError, match="a tab character is not allowed here; use spaces"):
        parse_yaml("id: X\ntitle: a\tb\n")


def test_size_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    # Not even YAML: if it were parsed first, a syntax error would come out instead.
    file.write_bytes(b"{[" * 600)
    with pytest.raises(YamlError, match=r"file is too big \(1.2 KiB; the limit is 1000 bytes\)"):
        load_yaml(file, max_bytes=1000)
    with pytest.raises(YamlError, match="too big"):
        parse_yaml(b"a: 1\n" * 300, max_bytes=1000)


def test_default_size_limit_is_one_mib(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    file.write_bytes(b"# padding\n" * (110 * 1024))
    with pytest.raises(YamlError, match=r"limit is 1\.0 MiB"):
        load_yaml(file)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")
    with pytest.raises(YamlError, match="is a folder"):
        load_yaml(tmp_path)


# ------------------------------------------------------------------ error values


def test_source_error_reads_like_a_compiler_message() -> None:
    error = SourceError(
        "postmortems/inc-42.yaml",
        17,
        "action_items[2].deadline",
        'not a valid date ("2024-02-30")',
    )
    assert str(error) == ('postmortems/inc-42.yaml:17: action_items[2].deadline: not a valid date ("2024-02-30")')
    assert str(SourceError("a.yaml", None, None, "file is empty")) == "a.yaml: file is empty"
    assert str(SourceError("a.yaml", 3, None, "bad")) == "a.yaml:3: bad"


def test_source_errors_are_sorted_by_line() -> None:
    group = SourceErrors(
        [
            SourceError("a.yaml", 9, "x", "later"),
            SourceError("a.yaml", None, None, "somewhere"),
            SourceError("a.yaml", 2, "y", "first"),
        ]
    )
    assert [e.line for e in group.errors] == [2, 9, None]
    assert str(group).splitlines()[0] == "a.yaml:2: y: first"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (("action_items", 2, "deadline"), "action_items[2].deadline"),
        (("teams", "Edge Team", "repo"), 'teams["Edge Team"].repo'),
        (("impact", "users_affected"), "impact.users_affected"),
        ((), None),
    ],
)
def test_format_field(path: tuple[str | int, ...], shown: str | None) -> None:
    assert format_field(path) == shown


def test_line_map_without_lines() -> None:
    assert LineMap().line_of(("a",)) is None


# ------------------------------------------------------------------ pydantic errors


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deadline: date
    priority: Literal["critical", "high", "medium", "low"]


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int = 0
    steps: tuple[Step, ...] = ()


PLAN = (
    "name: Plan\n"  # 1
    "count: many\n"  # 2
    "steps:\n"  # 3
    "  - deadline: 2024-02-30\n"  # 4
    "    priority: urgent\n"  # 5
    "    dedline: x\n"  # 6
    "  - priority: low\n"  # 7
    "colour: red\n"  # 8
)


def _translate(text: str) -> list[SourceError]:
    doc = parse_yaml(text, path="plan.yaml")
    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(doc.data)
    return errors_from_validation(caught.value, doc, model=Plan)


def test_validation_errors_in_plain_words() -> None:
    got = [(e.line, e.field, e.message) for e in _translate(PLAN)]
    assert got == [
        (2, "count", 'must be a whole number ("many")'),
        (
            4,
            "steps[0].deadline",
            'not a valid date ("2024-02-30"); write it as YYYY-MM-DD, e.g. 2024-03-26',
        ),
        (5, "steps[0].priority", 'must be one of: critical, high, medium, low ("urgent")'),
        (6, "steps[0].dedline", 'unknown field (did you mean "deadline"?)'),
        (7, "steps[1].deadline", "required field is missing"),
        (8, "colour", "unknown field (check the spelling; allowed here: count, name, steps)"),
    ]


def test_validation_error_for_text_written_as_number() -> None:
    doc = parse_yaml("name: 42\n", path="plan.yaml")
    with pytest.raises(ValidationError) as caught:
        Plan.model_validate(doc.data)
    (error,) = errors_from_validation(caught.value, doc)
    assert error.message == 'must be text (42); put it in quotes: "42"'


def test_document_error_helper() -> None:
    doc = YamlDocument("x.yaml", {"a": {"b": 1}}, LineMap({("a",): 3, ("a", "b"): 4}))
    assert str(doc.error(("a", "b", "c"), "nope")) == "x.yaml:4: a.b.c: nope"
