"""Markdown to Atlassian Document Format (ADF) and back, for Jira Cloud REST v3.

Jira Cloud v3 takes issue descriptions and comment bodies as ADF JSON rather than text.
:func:`markdown_to_adf` turns the Markdown this tool writes into an ADF ``doc``;
:func:`adf_to_text` turns whatever Jira returns into readable plain text.

The Markdown is parsed by ``markdown-it-py`` (CommonMark plus GFM tables and
strikethrough). The output keeps to the ADF structural rules:

* marks sit on ``text`` nodes only, never twice with the same type, and ``code`` combines
  with ``link`` only;
* no empty ``text`` nodes; adjacent text nodes with equal marks are merged;
* ``listItem`` content starts with a ``paragraph`` and holds only paragraphs, lists and
  code blocks; ``blockquote`` holds only paragraphs, lists and code blocks. Blocks that
  Markdown allows there but ADF does not are degraded: a heading becomes a bold paragraph,
  a nested blockquote is unwrapped, a table becomes one paragraph per row, a rule is dropped;
* every table cell holds one paragraph; a ``codeBlock`` holds one unmarked text node (none
  when the block is empty); heading levels are 1-6.

Decisions: a soft line break becomes a space (CommonMark rendering); HTML comments are
dropped; ``<br>`` becomes a ``hardBreak``; any other HTML is kept as literal text; an image
becomes its alt text linked to its source (ADF media needs uploaded attachments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = ["adf_to_text", "markdown_to_adf"]

Node = dict[str, Any]
Mark = dict[str, Any]

_MD: Final = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_COMMENT_RE: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_BR_RE: Final = re.compile(r"<br\s*/?>", re.IGNORECASE)
_INLINE_MARKS: Final = {"em": "em", "strong": "strong", "s": "strike"}
_LIST_ITEM_BLOCKS: Final = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})
_QUOTE_BLOCKS: Final = _LIST_ITEM_BLOCKS


# --------------------------------------------------------------------------- Markdown -> ADF


def markdown_to_adf(markdown: str) -> dict[str, Any]:
    """Convert Markdown to an ADF document.

    An empty or blank input gives ``{"type": "doc", "version": 1, "content": []}``, which
    ADF allows (a ``doc`` has no minimum content).
    """
    tree = SyntaxTreeNode(_MD.parse(markdown))
    return {"type": "doc", "version": 1, "content": _blocks(tree.children)}


def _blocks(nodes: Iterable[SyntaxTreeNode]) -> list[Node]:
    """Convert block-level syntax nodes, unrestricted (as at the top of a doc)."""
    out: list[Node] = []
    for node in nodes:
        out.extend(_block(node))
    return out


def _block(node: SyntaxTreeNode) -> list[Node]:
    """Convert one block-level syntax node to zero or more ADF block nodes."""
    kind = node.type
    if kind == "paragraph":
        return [_paragraph(_inline_of(node))]
    if kind == "heading":
        level = int(node.tag[1:])
        return [{"type": "heading", "attrs": {"level": level}, "content": _inline_of(node)}]
    if kind == "bullet_list":
        return [{"type": "bulletList", "content": [_list_item(c) for c in node.children]}]
    if kind == "ordered_list":
        start = node.attrs.get("start", 1)
        return [
            {
                "type": "orderedList",
                "attrs": {"order": int(start)},
                "content": [_list_item(c) for c in node.children],
            }
        ]
    if kind in ("fence", "code_block"):
        return [_code_block(node)]
    if kind == "blockquote":
        content = _fit(_blocks(node.children), _QUOTE_BLOCKS)
        return [{"type": "blockquote", "content": content}] if content else []
    if kind == "hr":
        return [{"type": "rule"}]
    if kind == "table":
        return [_table(node)]
    if kind == "html_block":
        inline = _html_block(node.content)
        return [_paragraph(inline)] if inline else []
    return _blocks(node.children)  # unknown container: keep what it holds


def _paragraph(content: list[Node]) -> Node:
    """An ADF paragraph (content may be empty: ADF allows an empty paragraph)."""
    return {"type": "paragraph", "content": content}


def _list_item(node: SyntaxTreeNode) -> Node:
    """A ``listItem`` whose content starts with a paragraph, as ADF requires."""
    content = _fit(_blocks(node.children), _LIST_ITEM_BLOCKS)
    if not content or content[0]["type"] != "paragraph":
        content.insert(0, _paragraph([]))
    return {"type": "listItem", "content": content}


def _code_block(node: SyntaxTreeNode) -> Node:
    """A ``codeBlock`` with one unmarked text node and the fence's language, if any."""
    code = node.content.removesuffix("\n")
    block: Node = {"type": "codeBlock"}
    language = node.info.strip().split(maxsplit=1)[0] if node.info.strip() else ""
    if language:
        block["attrs"] = {"language": language}
    block["content"] = [{"type": "text", "text": code}] if code else []
    return block


def _table(node: SyntaxTreeNode) -> Node:
    """A ``table``; header cells become ``tableHeader``, every cell holds one paragraph."""
    rows: list[Node] = []
    for section in node.children:  # thead, tbody
        for tr in section.children:
            cells = [
                {
                    "type": "tableHeader" if cell.type == "th" else "tableCell",
                    "content": [_paragraph(_inline_of(cell))],
                }
                for cell in tr.children
            ]
            rows.append({"type": "tableRow", "content": cells})
    return {"type": "table", "content": rows}


def _fit(blocks: list[Node], allowed: frozenset[str]) -> list[Node]:
    """Degrade blocks that ADF does not allow inside a list item or blockquote."""
    out: list[Node] = []
    for block in blocks:
        kind = block["type"]
        if kind in allowed:
            out.append(block)
        elif kind == "heading":
            out.append(_paragraph([_add_mark(n, {"type": "strong"}) for n in block["content"]]))
        elif kind == "blockquote":
            out.extend(_fit(block["content"], allowed))
        elif kind == "table":
            out.extend(_paragraph(_row_inline(row)) for row in block["content"])
        # "rule" and anything else unknown is dropped
    return out


def _row_inline(row: Node) -> list[Node]:
    """A table row as inline content: the cells' inline content joined by `` | ``."""
    parts: list[Node] = []
    for i, cell in enumerate(row["content"]):
        if i:
            parts.append({"type": "text", "text": " | "})
        parts.extend(cell["content"][0]["content"])
    return _merge(parts)


def _inline_of(node: SyntaxTreeNode) -> list[Node]:
    """The ADF inline content of a block holding one ``inline`` child (or none)."""
    out: list[Node] = []
    for child in node.children:
        out.extend(_inline(child.children, []))
    return _tidy(out)


def _inline(nodes: Sequence[SyntaxTreeNode], marks: list[Mark]) -> list[Node]:
    """Convert inline syntax nodes under the given marks to ADF inline nodes."""
    out: list[Node] = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            out.extend(_text(node.content, marks))
        elif kind == "softbreak" and not (out and out[-1]["type"] == "hardBreak"):
            out.extend(_text(" ", marks))
        elif kind == "hardbreak":
            out.append({"type": "hardBreak"})
        elif kind == "code_inline":
            out.extend(_text(node.content, [*marks, {"type": "code"}]))
        elif kind in _INLINE_MARKS:
            out.extend(_inline(node.children, [*marks, {"type": _INLINE_MARKS[kind]}]))
        elif kind in ("link", "image"):
            href = str(node.attrs.get("href" if kind == "link" else "src", ""))
            attrs = {"href": href}
            if node.attrs.get("title"):
                attrs["title"] = str(node.attrs["title"])
            link_marks = [*marks, {"type": "link", "attrs": attrs}]
            inner = _inline(node.children, link_marks)
            out.extend(inner or _text(href, link_marks))
        elif kind == "html_inline":
            out.extend(_html_inline(node.content, marks))
        else:
            out.extend(_inline(node.children, marks))
    return out


def _html_inline(html: str, marks: list[Mark]) -> list[Node]:
    """Inline HTML: a comment is dropped, ``<br>`` is a hardBreak, anything else literal."""
    if _BR_RE.fullmatch(html.strip()):
        return [{"type": "hardBreak"}]
    return _text(" ".join(_COMMENT_RE.sub("", html).splitlines()), marks)


def _html_block(html: str) -> list[Node]:
    """An HTML block as literal lines joined by hardBreaks, comments and blank lines gone."""
    out: list[Node] = []
    text = _BR_RE.sub("\n", _COMMENT_RE.sub("", html))
    for line in (line for line in text.splitlines() if line.strip()):
        if out:
            out.append({"type": "hardBreak"})
        out.extend(_text(line.strip(), []))
    return out


def _text(text: str, marks: list[Mark]) -> list[Node]:
    """A text node with ADF-legal marks, or nothing for empty text."""
    if not text:
        return []
    node: Node = {"type": "text", "text": text}
    legal = _legal_marks(marks)
    if legal:
        node["marks"] = legal
    return [node]


def _add_mark(node: Node, mark: Mark) -> Node:
    """``node`` with ``mark`` added if it is text and the mark is legal there."""
    if node["type"] != "text":
        return node
    legal = _legal_marks([*node.get("marks", []), mark])
    return {**node, "marks": legal} if legal else node


def _legal_marks(marks: list[Mark]) -> list[Mark]:
    """One mark per type (innermost wins); with ``code`` only ``link`` may stay."""
    by_type: dict[str, Mark] = {}
    for mark in marks:
        by_type[mark["type"]] = mark
    if "code" in by_type:
        by_type = {t: m for t, m in by_type.items() if t in ("code", "link")}
    return list(by_type.values())


def _tidy(nodes: list[Node]) -> list[Node]:
    """Merge text runs; drop blank text and hardBreaks at both ends (left by dropped HTML)."""
    out = _merge(nodes)
    for end in (0, -1):
        while out:
            node = out[end]
            if node["type"] == "text" and "marks" not in node:
                text = node["text"].lstrip() if end == 0 else node["text"].rstrip()
                if text:
                    out[end] = {**node, "text": text}
                    break
            elif node["type"] != "hardBreak":
                break
            out.pop(end)
    return out


def _merge(nodes: list[Node]) -> list[Node]:
    """Join adjacent text nodes with identical marks."""
    out: list[Node] = []
    for node in nodes:
        prev = out[-1] if out else None
        if prev is not None and node["type"] == prev["type"] == "text" and node.get("marks") == prev.get("marks"):
            out[-1] = {**prev, "text": prev["text"] + node["text"]}
        else:
            out.append(node)
    return out


# --------------------------------------------------------------------------- ADF -> text

_INLINE_TYPES: Final = frozenset(
    {"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status", "mediaInline"}
)
_LIST_TYPES: Final = frozenset({"bulletList", "orderedList", "taskList", "decisionList"})


def adf_to_text(doc: dict[str, Any] | str | None) -> str:
    """Readable plain text from an ADF document.

    Blocks are separated by blank lines; list items start with ``- `` (ordered ones with
    ``1. ``, counting from the list's ``order``; nested items indented); table rows are
    their cells joined by `` | ``; a hardBreak is a newline; a link whose text differs
    from its URL reads ``text (url)``; mentions, emoji, statuses, cards and dates read as
    their text, URL or ``YYYY-MM-DD``. Unknown node types are rendered by recursing into
    their content. A plain string (Jira Server / REST v2) is returned unchanged; ``None``
    gives ``""``.
    """
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    return _render(doc).strip()


def _render(node: Any) -> str:
    """Plain text of any ADF node; never raises on malformed input."""
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs: dict[str, Any] = node["attrs"] if isinstance(node.get("attrs"), dict) else {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status"):
        text = attrs.get("text") or attrs.get("shortName") or attrs.get("id") or ""
        return str(text)
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return str(attrs.get("url", ""))
    if kind == "date":
        return _render_date(attrs.get("timestamp"))
    if kind == "rule":
        return "---"
    if kind == "orderedList":
        start = attrs.get("order", 1)
        first = start if isinstance(start, int) else 1
        return "\n".join(_render_item(item, f"{n}. ") for n, item in enumerate(_children(node), first))
    if kind in _LIST_TYPES:
        return "\n".join(_render_item(item, "- ") for item in _children(node))
    if kind == "table":
        return "\n".join(_render(row) for row in _children(node))
    if kind == "tableRow":
        return " | ".join(" ".join(_render(c).split()) for c in _children(node)).rstrip()
    if kind == "blockquote":
        return "\n".join(f"> {line}".rstrip() for line in _render_container(node).split("\n"))
    return _render_container(node)


def _render_container(node: Node) -> str:
    """Children's text: inline runs concatenated, blocks separated by blank lines."""
    return "\n\n".join(text for _, text in _segments(node))


def _segments(node: Node) -> list[tuple[str, str]]:
    """Non-blank ``(type, text)`` per block child; a run of inline children is one segment."""
    parts: list[tuple[str, str]] = []
    run: list[Any] = []
    for child in [*_children(node), None]:  # None flushes the last inline run
        if _is_inline(child):
            run.append(child)
            continue
        if run:
            parts.append(("inline", _render_inline(run)))
            run = []
        if isinstance(child, dict):
            parts.append((str(child.get("type")), _render(child)))
    return [(kind, text) for kind, text in parts if text.strip()]


def _render_inline(nodes: list[Any]) -> str:
    """Inline nodes' text; a link reads ``text (url)`` unless its text is the url."""
    out: list[str] = []
    href, linked = "", ""

    def close_link() -> None:
        if href and linked != href:
            out.append(f" ({href})")

    for node in nodes:
        node_href = _link_href(node)
        if node_href != href:
            close_link()
            href, linked = node_href, ""
        text = _render(node)
        linked += text
        out.append(text)
    close_link()
    return "".join(out)


def _link_href(node: Node) -> str:
    """The href of a text node's link mark, or ``""``."""
    for mark in node.get("marks") or []:
        if isinstance(mark, dict) and mark.get("type") == "link":
            attrs = mark.get("attrs")
            return str(attrs.get("href", "")) if isinstance(attrs, dict) else ""
    return ""


def _render_item(item: Any, prefix: str) -> str:
    """One list item: ``prefix`` then its text, following lines indented to match."""
    if not isinstance(item, dict):
        return ""
    if item.get("type") == "taskItem":
        done = isinstance(item.get("attrs"), dict) and item["attrs"].get("state") == "DONE"
        prefix = "- [x] " if done else "- [ ] "
    body = ""
    for kind, text in _segments(item):  # a nested list on the next line, blocks after a blank
        body += ("\n" if kind in _LIST_TYPES else "\n\n") + text if body else text
    lines = body.split("\n")
    indent = " " * len(prefix)
    return "\n".join([prefix + lines[0], *(f"{indent}{line}".rstrip() for line in lines[1:])])


def _render_date(timestamp: Any) -> str:
    """An ADF date (epoch milliseconds, usually a string) as ``YYYY-MM-DD``."""
    try:
        return datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC).date().isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return str(timestamp or "")


def _children(node: Node) -> list[Any]:
    """A node's content list, or an empty list when missing or malformed."""
    content = node.get("content")
    return content if isinstance(content, list) else []


def _is_inline(node: Any) -> bool:
    """True for an inline ADF node."""
    return isinstance(node, dict) and node.get("type") in _INLINE_TYPES
