"""Rich-text fields in both of Jira's wire formats.

REST v3 (Cloud only) carries descriptions, comment bodies and multi-line text custom fields
as Atlassian Document Format (ADF) documents; REST v2 (Cloud and Server/Data Center) carries
them as plain strings in wiki markup. The store keeps a value as it was sent and converts it
when the other API version reads it.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

ADF_REQUIRED = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
STRING_REQUIRED = "Operation value must be a string"
#: Jackson's complaint when a v2 comment body is an object (Server/DC answers it as is).
COMMENT_NOT_STRING = (
    "Can not deserialize instance of java.lang.String out of START_OBJECT token\n"
    " at [Source: org.apache.catalina.connector.CoyoteInputStream; line: 1, column: 10]"
)
COMMENT_INVALID = "Comment body is not valid!"
COMMENT_EMPTY = "Comment body can not be empty!"

#: A stored rich-text value: an ADF document (sent through v3) or a string (sent through v2).
RichText = JsonDict | str


def is_adf(value: object) -> bool:
    """True for an Atlassian Document Format document (what Cloud v3 takes for rich text)."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def adf_text(value: object) -> str:
    """All the text inside an ADF node, space-separated (for JQL ``~`` and v2 readers)."""
    if isinstance(value, dict):
        own = value.get("text") if isinstance(value.get("text"), str) else ""
        return " ".join(filter(None, [str(own), adf_text(value.get("content"))]))
    if isinstance(value, list):
        return " ".join(filter(None, (adf_text(v) for v in value)))
    return ""


def adf_paragraph(text: str) -> JsonDict:
    """A one-paragraph ADF document holding ``text``."""
    content = [{"type": "text", "text": text}] if text else []
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]}


def plain_text(value: object) -> str:
    """The words of a stored rich-text value, whichever format it was sent in."""
    if isinstance(value, str):
        return value
    return adf_text(value)


def render_text(value: object, rich: bool) -> Any:
    """A stored value as a reader of v3 (``rich``: ADF) or v2 (string) expects it."""
    if value is None:
        return None
    if rich:
        return value if is_adf(value) else adf_paragraph(plain_text(value))
    return plain_text(value)


def text_error(value: object, rich: bool) -> str | None:
    """Why ``value`` cannot be set on a rich-text field through v3/v2; ``None`` if it can."""
    if value is None:
        return None
    if rich:
        return None if is_adf(value) else ADF_REQUIRED
    return None if isinstance(value, str) else STRING_REQUIRED


def comment_error(body: object, rich: bool) -> tuple[list[str], dict[str, str]] | None:
    """Jira's ``(errorMessages, errors)`` for an unacceptable comment body; ``None`` if fine."""
    if rich:
        return None if is_adf(body) else ([COMMENT_INVALID], {})
    if isinstance(body, dict | list):
        return [COMMENT_NOT_STRING], {}
    if not isinstance(body, str) or not body.strip():
        return [], {"comment": COMMENT_EMPTY}
    return None
