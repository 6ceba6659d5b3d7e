"""Markdown to Jira wiki markup, and the two Jira search pagings. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import TrackerError
from connectors.jira_search import cursor_pages, offset_pages
from connectors.jira_wiki import markdown_to_wiki


@pytest.mark.parametrize(
    ("markdown", "wiki"),
    [
        ("**bold** and *em* and ~~gone~~", "*bold* and _em_ and -gone-"),
        ("`postmortem-sync:item INC-1/AI_1`", "{{postmortem-sync:item INC-1/AI_1}}"),
        ("### Context", "h3. Context"),
        ("- one\n- two\n  - nested", "* one\n* two\n** nested"),
        ("1. first\n2. second", "# first\n# second"),
        ("| | |\n|---|---|\n| Team | Platform |", "|Team|Platform|"),
        ("| A | B |\n|---|---|\n| 1 | 2 |", "||A||B||\n|1|2|"),
        ("[docs](http://x/a|b)", "[docs|http://x/a%7Cb]"),
        ("```\ncode *here*\n```", "{noformat}\ncode *here*\n{noformat}"),
        ("a [b] {c} | d", "a \\[b\\] \\{c\\} \\| d"),
        ("INC-2024-042 - *x*", "INC-2024-042 \\- _x_"),
        ("---", "----"),
        ("see !diagram.png! here", "see \\!diagram.png! here"),
        ("path C:\\Users\\x", "path C:\\Users\\x"),
        ("two `\\\\` in code", "two {{\\\\}} in code"),
        ("line<br>next", "line\\\\\nnext"),
        ("", ""),
    ],
)
def test_markdown_to_wiki(markdown: str, wiki: str) -> None:
    assert markdown_to_wiki(markdown) == wiki


def _pages(pages: list[Any]) -> Any:
    calls: list[object] = []

    def fetch(arg: object) -> Any:
        calls.append(arg)
        return pages[len(calls) - 1]

    return fetch, calls


def test_cursor_pages_follow_tokens() -> None:
    fetch, calls = _pages([{"issues": [1, 2], "isLast": False, "nextPageToken": "t1"}, {"issues": [3], "isLast": True}])
    assert list(cursor_pages(fetch, "search")) == [1, 2, 3]
    assert calls == [None, "t1"]


@pytest.mark.parametrize(
    "page",
    [
        {"isLast": True},
        {"issues": [], "isLast": False},
        {"issues": []},
        {"issues": "x", "isLast": True},
        [],
        None,
    ],
)
def test_cursor_pages_refuse_incomplete_answers(page: Any) -> None:
    fetch, _ = _pages([page])
    with pytest.raises(TrackerError, match="incomplete"):
        list(cursor_pages(fetch, "search"))


def test_offset_pages_follow_start_at() -> None:
    fetch, calls = _pages([{"issues": [1, 2], "total": 3}, {"issues": [3], "total": 3}])
    assert list(offset_pages(fetch, "search")) == [1, 2, 3]
    assert calls == [0, 2]


def test_offset_pages_with_nothing_found() -> None:
    fetch, _ = _pages([{"issues": [], "total": 0}])
    assert list(offset_pages(fetch, "search")) == []


@pytest.mark.parametrize(
    "pages",
    [
        [{"issues": [1]}],
        [{"total": 1}],
        [{"issues": [1], "total": True}],
        [{"issues": [1, 2], "total": 5}, {"issues": [], "total": 5}],
    ],
)
def test_offset_pages_refuse_incomplete_answers(pages: list[Any]) -> None:
    fetch, _ = _pages(pages)
    with pytest.raises(TrackerError, match="incomplete"):
        list(offset_pages(fetch, "search"))
