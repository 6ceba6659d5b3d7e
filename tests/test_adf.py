"""Tests for connectors.adf: Markdown -> ADF for Jira Cloud v3, and ADF -> plain text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.adf import adf_to_text, markdown_to_adf

Node = dict[str, Any]

# --------------------------------------------------------------------------- builders


def doc(*content: Node) -> Node:
    return {"type": "doc", "version": 1, "content": list(content)}


def t(text: str, *marks: str | Node) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = [{"type": m} if isinstance(m, str) else m for m in marks]
    return node


def link(href: str, title: str | None = None) -> Node:
    attrs = {"href": href} if title is None else {"href": href, "title": title}
    return {"type": "link", "attrs": attrs}


def p(*content: Node) -> Node:
    return {"type": "paragraph", "content": list(content)}


def h(level: int, *content: Node) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": list(content)}


def li(*content: Node) -> Node:
    return {"type": "listItem", "content": list(content)}


def ul(*items: Node) -> Node:
    return {"type": "bulletList", "content": list(items)}


def ol(*items: Node, order: int = 1) -> Node:
    return {"type": "orderedList", "attrs": {"order": order}, "content": list(items)}


def code(text: str, language: str | None = None) -> Node:
    node: Node = {"type": "codeBlock"}
    if language:
        node["attrs"] = {"language": language}
    node["content"] = [t(text)] if text else []
    return node


def quote(*content: Node) -> Node:
    return {"type": "blockquote", "content": list(content)}


def row(*cells: Node) -> Node:
    return {"type": "tableRow", "content": list(cells)}


def th(*inline: Node) -> Node:
    return {"type": "tableHeader", "content": [p(*inline)]}


def td(*inline: Node) -> Node:
    return {"type": "tableCell", "content": [p(*inline)]}


BR: Node = {"type": "hardBreak"}
RULE: Node = {"type": "rule"}

# --------------------------------------------------------------------------- validator

INLINE = {"text", "hardBreak"}
BLOCKS = {
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "codeBlock",
    "blockquote",
    "rule",
    "table",
}
CHILDREN: dict[str, set[str]] = {
    "doc": BLOCKS,
    "paragraph": INLINE,
    "heading": INLINE,
    "bulletList": {"listItem"},
    "orderedList": {"listItem"},
    "listItem": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "blockquote": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "codeBlock": {"text"},
    "table": {"tableRow"},
    "tableRow": {"tableHeader", "tableCell"},
    "tableHeader": BLOCKS - {"table"},
    "tableCell": BLOCKS - {"table"},
    "rule": set(),
    "text": set(),
    "hardBreak": set(),
}
MARKS = {"strong", "em", "code", "link", "strike"}
NON_EMPTY = {
    "bulletList",
    "orderedList",
    "listItem",
    "blockquote",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
}


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.get("content", []):
        yield from walk(child)


def assert_valid_adf(document: Node) -> None:
    """Check the ADF structural rules this converter must keep."""
    assert document["type"] == "doc"
    assert document["version"] == 1
    assert isinstance(document["content"], list)
    for node in walk(document):
        kind = node["type"]
        assert kind in CHILDREN, f"unknown node type {kind!r}"
        content = node.get("content", [])
        for child in content:
            assert child["type"] in CHILDREN[kind], f"{child['type']} inside {kind}"
        if kind in NON_EMPTY:
            assert content, f"empty {kind}"
        if "marks" in node:
            assert kind == "text", f"marks on {kind}"
            types = [m["type"] for m in node["marks"]]
            assert node["marks"], "empty marks list"
            assert set(types) <= MARKS, types
            assert len(types) == len(set(types)), f"duplicate marks {types}"
            if "code" in types:
                assert set(types) <= {"code", "link"}, f"code combined with {types}"
            for mark in node["marks"]:
                if mark["type"] == "link":
                    assert isinstance(mark["attrs"]["href"], str)
        if kind == "text":
            assert isinstance(node["text"], str)
            assert node["text"] != "", "empty text node"
        if kind == "heading":
            assert node["attrs"]["level"] in range(1, 7)
        if kind == "listItem":
            assert content[0]["type"] == "paragraph"
        if kind == "codeBlock":
            assert all("marks" not in c for c in content)
        if kind == "orderedList" and "attrs" in node:
            assert node["attrs"]["order"] >= 0


def convert(markdown: str) -> Node:
    result = markdown_to_adf(markdown)
    assert_valid_adf(result)
    return result


# --------------------------------------------------------------------------- Markdown -> ADF

CASES: list[tuple[str, str, Node]] = [
    ("empty", "", doc()),
    ("blank", "  \n\n", doc()),
    ("paragraph", "Hello world", doc(p(t("Hello world")))),
    ("two paragraphs", "one\n\ntwo", doc(p(t("one")), p(t("two")))),
    ("softbreak is a space", "one\ntwo", doc(p(t("one two")))),
    ("hardbreak backslash", "one\\\ntwo", doc(p(t("one"), BR, t("two")))),
    ("hardbreak spaces", "one  \ntwo", doc(p(t("one"), BR, t("two")))),
    *[(f"h{n}", "#" * n + " Title", doc(h(n, t("Title")))) for n in range(1, 7)],
    ("setext heading", "Title\n=====", doc(h(1, t("Title")))),
    ("strong", "a **b** c", doc(p(t("a "), t("b", "strong"), t(" c")))),
    ("em", "a *b* c", doc(p(t("a "), t("b", "em"), t(" c")))),
    ("inline code", "run `make`", doc(p(t("run "), t("make", "code")))),
    ("strike", "~~gone~~", doc(p(t("gone", "strike")))),
    (
        "link",
        "see [runbook](https://wiki.example.com/rb)",
        doc(p(t("see "), t("runbook", link("https://wiki.example.com/rb")))),
    ),
    (
        "link with title",
        '[rb](https://x.example "Runbook")',
        doc(p(t("rb", link("https://x.example", "Runbook")))),
    ),
    (
        "autolink",
        "<https://x.example/a>",
        doc(p(t("https://x.example/a", link("https://x.example/a")))),
    ),
    (
        "image becomes linked alt text",
        "![graph](https://x.example/g.png)",
        doc(p(t("graph", link("https://x.example/g.png")))),
    ),
    (
        "image without alt",
        "![](https://x.example/g.png)",
        doc(p(t("https://x.example/g.png", link("https://x.example/g.png")))),
    ),
    (
        "bullet list",
        "- a\n- b",
        doc(ul(li(p(t("a"))), li(p(t("b"))))),
    ),
    (
        "ordered list",
        "1. a\n2. b",
        doc(ol(li(p(t("a"))), li(p(t("b"))))),
    ),
    (
        "ordered list start",
        "3. a\n4. b",
        doc(ol(li(p(t("a"))), li(p(t("b"))), order=3)),
    ),
    (
        "nested lists",
        "- a\n  1. b\n     - c\n- d",
        doc(
            ul(
                li(p(t("a")), ol(li(p(t("b")), ul(li(p(t("c"))))))),
                li(p(t("d"))),
            )
        ),
    ),
    (
        "loose list item with two paragraphs",
        "- a\n\n  more\n- b",
        doc(ul(li(p(t("a")), p(t("more"))), li(p(t("b"))))),
    ),
    ("list item starting with a list", "- - a", doc(ul(li(p(), ul(li(p(t("a")))))))),
    ("empty list item", "-\n- b", doc(ul(li(p()), li(p(t("b")))))),
    (
        "list item starting with code",
        "- ```\n  x\n  ```",
        doc(ul(li(p(), code("x")))),
    ),
    ("fenced code", "```\nx = 1\ny = 2\n```", doc(code("x = 1\ny = 2"))),
    ("fenced code language", "```python title\nx = 1\n```", doc(code("x = 1", "python"))),
    ("fenced code empty", "```sh\n```", doc(code("", "sh"))),
    ("indented code", "    x = 1\n    y", doc(code("x = 1\ny"))),
    (
        "code keeps markup literal",
        "```\n**not bold** <!-- c -->\n```",
        doc(code("**not bold** <!-- c -->")),
    ),
    ("blockquote", "> quoted\n> text", doc(quote(p(t("quoted text"))))),
    ("blockquote with list", "> - a", doc(quote(ul(li(p(t("a"))))))),
    ("nested blockquote is unwrapped", "> > deep", doc(quote(p(t("deep"))))),
    ("heading in blockquote becomes bold", "> # Head", doc(quote(p(t("Head", "strong"))))),
    ("heading in list item becomes bold", "- # Head", doc(ul(li(p(t("Head", "strong")))))),
    ("rule in blockquote dropped", "> a\n>\n> ---", doc(quote(p(t("a"))))),
    ("empty blockquote dropped", ">", doc()),
    ("rule", "a\n\n---\n\nb", doc(p(t("a")), RULE, p(t("b")))),
    (
        "table",
        "| Item | Status |\n|:--|--:|\n| fix `dns` | **done** |\n| docs |",
        doc(
            {
                "type": "table",
                "content": [
                    row(th(t("Item")), th(t("Status"))),
                    row(td(t("fix "), t("dns", "code")), td(t("done", "strong"))),
                    row(td(t("docs")), td()),
                ],
            }
        ),
    ),
    (
        "table br in cell",
        "| a |\n|---|\n| x<br>y |",
        doc({"type": "table", "content": [row(th(t("a"))), row(td(t("x"), BR, t("y")))]}),
    ),
    (
        "blockquote containing table becomes rows",
        "> | a | b |\n> |---|---|\n> | 1 | 2 |",
        doc(quote(p(t("a | b")), p(t("1 | 2")))),
    ),
    ("html comment block dropped", "<!-- postmortem-sync:id=PM-12 -->\n\nBody", doc(p(t("Body")))),
    ("html comment inline dropped", "Body <!-- marker --> text", doc(p(t("Body  text")))),
    ("html comment at end dropped", "Body <!-- marker -->", doc(p(t("Body")))),
    ("multi-line html comment dropped", "<!--\nline one\nline two\n-->\nafter", doc(p(t("after")))),
    ("html comment then text", "<!-- a -->\n\nafter", doc(p(t("after")))),
    ("inline html literal", "a <kbd>b</kbd>", doc(p(t("a <kbd>b</kbd>")))),
    ("inline br", "a<br/>b", doc(p(t("a"), BR, t("b")))),
    (
        "html block literal lines",
        "<details>\n<summary>More</summary>\n</details>",
        doc(p(t("<details>"), BR, t("<summary>More</summary>"), BR, t("</details>"))),
    ),
    ("escaped characters", r"\*not em\* a\_b", doc(p(t("*not em* a_b")))),
    ("entities", "&amp; &lt;x&gt;", doc(p(t("& <x>")))),
]


@pytest.mark.parametrize(("markdown", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_markdown_to_adf(markdown: str, expected: Node) -> None:
    assert convert(markdown) == expected


MARK_CASES: list[tuple[str, str, list[Node]]] = [
    ("strong em", "***x***", [t("x", "em", "strong")]),
    ("em in strong", "**a *b***", [t("a ", "strong"), t("b", "strong", "em")]),
    ("code drops strong", "**`x`**", [t("x", "code")]),
    ("code drops em and strike", "~~*`x`*~~", [t("x", "code")]),
    ("code keeps link", "[`x`](https://e.example)", [t("x", link("https://e.example"), "code")]),
    (
        "code in strong link",
        "**[`x`](https://e.example)**",
        [t("x", link("https://e.example"), "code")],
    ),
    ("strong link", "**[x](https://e.example)**", [t("x", "strong", link("https://e.example"))]),
    ("nested em deduplicated", "*a _b_ c*", [t("a b c", "em")]),
    (
        "link with mixed marks",
        "[a **b**](https://e.example)",
        [t("a ", link("https://e.example")), t("b", link("https://e.example"), "strong")],
    ),
]


@pytest.mark.parametrize(("markdown", "expected"), [c[1:] for c in MARK_CASES], ids=[c[0] for c in MARK_CASES])
def test_mark_combinations(markdown: str, expected: list[Node]) -> None:
    assert convert(markdown) == doc(p(*expected))


def test_html_comment_never_reaches_output() -> None:
    md = "<!-- postmortem-sync:item=42 -->\n# Title <!-- x -->\n\ntext <!-- y --> more\n"
    result = convert(md)
    texts = [n["text"] for n in walk(result) if n["type"] == "text"]
    assert not any("<!--" in s or "-->" in s or "postmortem-sync" in s for s in texts)
    assert result["content"][0] == h(1, t("Title"))


ISSUE_BODY = """\
<!-- postmortem-sync:postmortem=PM-2024-017 item=3 -->
## Add a circuit breaker to the payment gateway client

Raised from post-mortem **PM-2024-017** (*checkout outage, 14 March*).
During the incident the client retried indefinitely and exhausted the
connection pool; see the [timeline](https://wiki.example.com/pm/2024-017#timeline).

### Acceptance criteria

1. Breaker opens after 5 consecutive failures
2. Half-open probe every `30s`
   - probe uses the `/healthz` endpoint
   - failures are logged with ~~warn~~ error level
3. Dashboards updated

> Owner: payments team\\
> Due: 2024-04-30

```yaml
breaker:
  threshold: 5
```

---

_Filed automatically by postmortem-sync. Do not edit the marker line._
"""

REPORT = """\
# Follow-through report: PM-2024-017

All **6** action items from the checkout outage are finished; the post-mortem can close.

| # | Action item | Tracker | Status | Closed |
|--:|-------------|---------|:------:|--------|
| 1 | Add circuit breaker | [PAY-101](https://j.example/PAY-101) | completed | 2024-04-22 |
| 2 | Alert on pool exhaustion | `PAY-102` | completed | 2024-04-02 |
| 3 | Document failover runbook | github#88 | wont-fix | 2024-03-30 |

## Notes

- Item 3 was superseded by the platform-wide runbook
- Median time to close: 19 days

<!-- postmortem-sync:report generated 2024-04-23T10:00:00Z -->
"""


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[A-Za-z0-9]+", text))


@pytest.mark.parametrize("markdown", [ISSUE_BODY, REPORT], ids=["issue body", "report"])
def test_round_trip_keeps_all_words(markdown: str) -> None:
    result = convert(markdown)
    text = adf_to_text(result)
    # HTML comments are dropped on purpose, and a fence's language is an attribute, not text.
    source = re.sub(r"<!--.*?-->", "", markdown, flags=re.DOTALL)
    source = re.sub(r"^```\w+", "```", source, flags=re.MULTILINE)
    missing = words(source) - words(text)
    assert not missing, missing


def test_round_trip_report_table_rows() -> None:
    text = adf_to_text(convert(REPORT))
    assert "# | Action item | Tracker | Status | Closed" in text
    assert ("1 | Add circuit breaker | PAY-101 (https://j.example/PAY-101) | completed | 2024-04-22") in text
    assert "- Item 3 was superseded by the platform-wide runbook" in text


def test_round_trip_issue_body_layout() -> None:
    text = adf_to_text(convert(ISSUE_BODY))
    assert text.startswith("Add a circuit breaker to the payment gateway client\n\nRaised")
    assert "1. Breaker opens after 5 consecutive failures\n2. Half-open probe every 30s\n" in text
    assert "   - probe uses the /healthz endpoint\n" in text
    assert "> Owner: payments team\n> Due: 2024-04-30" in text
    assert "breaker:\n  threshold: 5" in text


@pytest.mark.parametrize("markdown", [ISSUE_BODY, REPORT, *(c[1] for c in CASES)])
def test_no_empty_text_nodes(markdown: str) -> None:
    for node in walk(markdown_to_adf(markdown)):
        if node["type"] == "text":
            assert node["text"]


# --------------------------------------------------------------------------- ADF -> text


def test_adf_to_text_passes_strings_and_none() -> None:
    assert adf_to_text("plain *v2* body") == "plain *v2* body"
    assert adf_to_text("") == ""
    assert adf_to_text(None) == ""
    assert adf_to_text(doc()) == ""


TEXT_CASES: list[tuple[str, Node, str]] = [
    ("paragraphs", doc(p(t("a")), p(t("b"))), "a\n\nb"),
    ("hardBreak", doc(p(t("a"), BR, t("b"))), "a\nb"),
    ("heading", doc(h(2, t("Title")), p(t("x"))), "Title\n\nx"),
    ("bullet list", doc(ul(li(p(t("a"))), li(p(t("b"))))), "- a\n- b"),
    ("ordered list", doc(ol(li(p(t("a"))), li(p(t("b"))), order=3)), "3. a\n4. b"),
    (
        "nested list",
        doc(ul(li(p(t("a")), ul(li(p(t("b")))), p(t("more"))))),
        "- a\n  - b\n\n  more",
    ),
    ("code block", doc(code("x = 1\ny", "py")), "x = 1\ny"),
    ("blockquote", doc(quote(p(t("a")), p(t("b")))), "> a\n>\n> b"),
    ("rule", doc(p(t("a")), RULE, p(t("b"))), "a\n\n---\n\nb"),
    (
        "table",
        doc({"type": "table", "content": [row(th(t("A")), th(t("B"))), row(td(t("1")), td())]}),
        "A | B\n1 |",
    ),
    ("marks ignored", doc(p(t("bold", "strong"), t(" "), t("x", "code"))), "bold x"),
    ("link", doc(p(t("rb", link("https://e.example")))), "rb (https://e.example)"),
    ("bare link", doc(p(t("https://e.example", link("https://e.example")))), "https://e.example"),
    (
        "link split over marks",
        doc(p(t("a ", link("https://e.example")), t("b", link("https://e.example"), "strong"))),
        "a b (https://e.example)",
    ),
    (
        "mention emoji status",
        doc(
            p(
                {"type": "mention", "attrs": {"id": "557058:abc", "text": "@Ana"}},
                t(" "),
                {"type": "emoji", "attrs": {"shortName": ":tada:", "text": "🎉"}},
                t(" "),
                {"type": "status", "attrs": {"text": "DONE", "color": "green"}},
            )
        ),
        "@Ana 🎉 DONE",
    ),
    (
        "inlineCard and date",
        doc(
            p(
                {"type": "inlineCard", "attrs": {"url": "https://j.example/browse/X-1"}},
                t(" due "),
                {"type": "date", "attrs": {"timestamp": "1714435200000"}},
            )
        ),
        "https://j.example/browse/X-1 due 2024-04-30",
    ),
    (
        "unknown nodes recurse",
        doc(
            {"type": "panel", "attrs": {"panelType": "info"}, "content": [p(t("inside"))]},
            {"type": "expand", "content": [p(t("one")), p(t("two"))]},
        ),
        "inside\n\none\n\ntwo",
    ),
    (
        "task list",
        doc(
            {
                "type": "taskList",
                "content": [
                    {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [t("a")]},
                    {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [t("b")]},
                ],
            }
        ),
        "- [x] a\n- [ ] b",
    ),
    ("malformed nodes ignored", {"type": "doc", "content": [None, 3, {"content": "x"}]}, ""),
]


@pytest.mark.parametrize(("document", "expected"), [c[1:] for c in TEXT_CASES], ids=[c[0] for c in TEXT_CASES])
def test_adf_to_text(document: Node, expected: str) -> None:
    assert adf_to_text(document) == expected


def test_functions_do_not_mutate_input() -> None:
    document = convert(ISSUE_BODY)
    snapshot = repr(document)
    adf_to_text(document)
    assert repr(document) == snapshot
    assert convert(ISSUE_BODY) == document
