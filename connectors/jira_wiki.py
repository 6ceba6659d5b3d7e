"""Markdown to Jira wiki markup, the text format of Jira Server/Data Center REST v2.

Data Center takes descriptions and comments as plain strings that it renders as wiki
markup (``*bold*``, ``||header||``, ``{{code}}``). Sending our Markdown as it is would show
``**`` and table rules literally, so :func:`markdown_to_wiki` converts the Markdown this
tool writes (CommonMark plus GFM tables, parsed by ``markdown-it-py``) block by block.
Characters that would start wiki formatting in plain text are escaped with a backslash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = ["markdown_to_wiki"]

_MD: Final = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_ALWAYS: Final = re.compile(r"([{}\[\]|])")
#: Formatting characters are only special at the start of a word (``!`` embeds an image).
_WORD_START: Final = re.compile(r"(^|(?<=[\s(]))([*_+^~?!-])")
#: Two backslashes are a line break in wiki markup; a lone one is shown as it is.
_BACKSLASHES: Final = re.compile(r"\\(?=\\)")
_COMMENT_RE: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_MARKS: Final = {"strong": "*", "em": "_", "s": "-"}


def markdown_to_wiki(markdown: str) -> str:
    """Convert Markdown to Jira wiki markup."""
    tree = SyntaxTreeNode(_MD.parse(markdown))
    return "\n\n".join(block for block in _blocks(tree.children, 0) if block)


def _blocks(nodes: Iterable[SyntaxTreeNode], depth: int) -> list[str]:
    return [_block(node, depth) for node in nodes]


def _block(node: SyntaxTreeNode, depth: int) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline_of(node)
    if kind == "heading":
        return f"h{node.tag[1:]}. {_inline_of(node)}"
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, "*" if kind == "bullet_list" else "#", "")
    if kind in ("fence", "code_block"):
        return "{noformat}\n" + node.content.rstrip("\n") + "\n{noformat}"
    if kind == "blockquote":
        return "{quote}\n" + "\n\n".join(_blocks(node.children, depth)) + "\n{quote}"
    if kind == "table":
        return _table(node)
    if kind == "hr":
        return "----"
    if kind == "html_block":
        return _escape(_COMMENT_RE.sub("", node.content).strip())
    return _escape(node.content.strip())


def _list(node: SyntaxTreeNode, bullet: str, prefix: str) -> str:
    lines: list[str] = []
    marker = prefix + bullet
    for item in node.children:
        first = True
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                lines.append(_list(child, "*" if child.type == "bullet_list" else "#", marker))
                continue
            text = _block(child, 0).replace("\n", " ") if child.type == "paragraph" else _block(child, 0)
            lines.append(f"{marker} {text}" if first else text)
            first = False
        if first:
            lines.append(f"{marker} ")
    return "\n".join(lines)


def _table(node: SyntaxTreeNode) -> str:
    rows: list[str] = []
    for section in node.children:
        for row in section.children:
            cells = [_inline_of(cell).replace("\n", " ").strip() or " " for cell in row.children]
            sep = "||" if section.type == "thead" else "|"
            rows.append(sep + sep.join(cells) + sep)
    # A Markdown table whose header is empty (``| | |``) is a plain key/value table.
    if rows and not rows[0].strip("| "):
        rows = rows[1:]
    return "\n".join(rows)


def _inline_of(node: SyntaxTreeNode) -> str:
    return "".join(_inline(child.children) for child in node.children if child.type == "inline")


def _inline(nodes: Sequence[SyntaxTreeNode]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            out.append(_escape(node.content))
        elif kind in _MARKS:
            mark = _MARKS[kind]
            inner = _inline(node.children)
            out.append(f"{mark}{inner}{mark}" if inner.strip() else inner)
        elif kind == "code_inline":
            out.append("{{" + node.content.replace("}}", "} }") + "}}")
        elif kind == "link":
            href = str(node.attrs.get("href", "")).replace("|", "%7C").replace("]", "%5D")
            out.append(f"[{_inline(node.children)}|{href}]")
        elif kind == "image":
            alt = _escape(node.content or "image")
            out.append(f"[{alt}|{node.attrs.get('src', '')}]")
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\\\\\n")
        elif kind == "html_inline":
            html = _COMMENT_RE.sub("", node.content)
            out.append("\\\\\n" if re.fullmatch(r"<br\s*/?>", html, re.IGNORECASE) else _escape(html))
        else:
            out.append(_inline(node.children) if node.children else _escape(node.content))
    return "".join(out)


def _escape(text: str) -> str:
    # A backslash before another is spaced out, so C:\\share stays text, not a line break.
    text = _BACKSLASHES.sub("\\ ", text)
    return _WORD_START.sub(r"\1\\\2", _ALWAYS.sub(r"\\\1", text))
