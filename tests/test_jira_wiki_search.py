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


I1, I2, I3, I4 = ({"id": str(n)} for n in range(1, 5))


def _pages(pages: list[Any]) -> Any:
    calls: list[object] = []

    def fetch(arg: object) -> Any:
        calls.append(arg)
        return pages[len(calls) - 1]

    return fetch, calls


def test_cursor_pages_follow_tokens() -> None:
    fetch, calls = _pages(
        [{"issues": [I1, I2], "isLast": False, "nextPageToken": "t1"}, {"issues": [I3], "isLast": True}]
    )
    assert list(cursor_pages(fetch, "search")) == [I1, I2, I3]
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
    fetch, calls = _pages([{"issues": [I1, I2], "total": 3}, {"issues": [I3], "total": 3}])
    assert list(offset_pages(fetch, "search")) == [I1, I2, I3]
    assert calls == [0, 2]


def test_offset_pages_with_nothing_found() -> None:
    fetch, _ = _pages([{"issues": [], "total": 0}])
    assert list(offset_pages(fetch, "search")) == []


@pytest.mark.parametrize(
    "pages",
    [
        [{"issues": [I1]}],
        [{"total": 1}],
        [{"issues": [I1], "total": True}],
        [{"issues": [I1, I2], "total": 5}, {"issues": [], "total": 5}],
        # A proxy that ignores startAt: page one again, said so or not.
        [{"issues": [I1, I2], "total": 4, "startAt": 0}, {"issues": [I1, I2], "total": 4, "startAt": 0}],
        [{"issues": [I1, I2], "total": 4}, {"issues": [I1, I2], "total": 4}],
    ],
)
def test_offset_pages_refuse_incomplete_answers(pages: list[Any]) -> None:
    fetch, _ = _pages(pages)
    with pytest.raises(TrackerError, match="incomplete"):
        list(offset_pages(fetch, "search"))


def test_cursor_pages_refuse_a_token_or_an_issue_twice() -> None:
    again = {"issues": [I1], "isLast": False, "nextPageToken": "t1"}
    fetch, _ = _pages([again, {"issues": [I2], "isLast": False, "nextPageToken": "t1"}])
    with pytest.raises(TrackerError, match="token came twice"):
        list(cursor_pages(fetch, "search"))
    fetch, _ = _pages([again, {"issues": [I1], "isLast": True}])
    with pytest.raises(TrackerError, match="came twice"):
        list(cursor_pages(fetch, "search"))


def test_cursor_pages_stop_at_the_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.jira_search as search

    monkeypatch.setattr(search, "MAX_PAGES", 3)
    counter = iter(range(100))

    def endless(token: str | None) -> dict[str, Any]:
        n = next(counter)
        return {"issues": [{"id": str(n)}], "isLast": False, "nextPageToken": f"t{n}"}

    with pytest.raises(TrackerError, match="more than 3 pages"):
        list(cursor_pages(endless, "search"))


def test_offset_pages_start_over_when_an_issue_leaves_between_pages() -> None:
    # I2 is deleted after page one: everything shifts left and I3 would be skipped.
    fetch, calls = _pages(
        [
            {"issues": [I1, I2], "total": 4},
            {"issues": [I4], "total": 3},
            {"issues": [I1, I3], "total": 3},
            {"issues": [I4], "total": 3},
        ]
    )
    assert list(offset_pages(fetch, "search")) == [I1, I3, I4]
    assert calls == [0, 2, 0, 2]


def test_offset_pages_give_up_when_the_result_keeps_changing() -> None:
    changing = [{"issues": [I1], "total": 2 + n % 2} for n in range(10)]
    fetch, _ = _pages(changing)
    with pytest.raises(TrackerError, match="kept changing"):
        list(offset_pages(fetch, "search"))
