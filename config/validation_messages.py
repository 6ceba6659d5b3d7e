"""Pydantic validation errors about a YAML or Markdown document, in plain words, located.

:func:`errors_from_validation` turns a ``ValidationError`` about ``doc.data`` into
:class:`config.yamlfile.SourceError` s carrying the file, line and field, with messages an
author understands ("required field is missing", "must be one of: ...", "unknown field
(did you mean ...?)") instead of pydantic's.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from config.yamlfile import FieldPath, PathPart, SourceError, YamlDocument, clip


def errors_from_validation(
    exc: ValidationError,
    doc: YamlDocument,
    *,
    model: type[BaseModel] | None = None,
    pattern_hints: Mapping[str, str] | None = None,
) -> list[SourceError]:
    """Translate a pydantic ``ValidationError`` about ``doc.data`` into located errors.

    ``model`` (the validated class) lets an unknown field suggest the closest real one.
    ``pattern_hints`` maps a regular expression used in the model to words describing it,
    so a wrong format is explained instead of showing the expression.
    """
    details = exc.errors(include_url=False)
    failed = [_data_path(doc.data, d["loc"]) for d in details]
    found: list[tuple[str, FieldPath, SourceError]] = []
    for detail, path in zip(details, failed, strict=True):
        ctx = detail.get("ctx") or {}
        problem = ctx.get("error")
        if problem is not None and isinstance(getattr(problem, "loc", None), tuple):
            path = (*path, *problem.loc)
        elif detail["type"].startswith("union_tag_"):
            # Point at the field that picks the kind (``tracker``), not at the whole entry.
            path = (*path, str(ctx.get("discriminator", "")).strip("'"))
            detail = {**detail, "input": ctx.get("tag")}
        elif detail["type"] == "too_short" and any(
            len(other) > len(path) and other[: len(path)] == path for other in failed
        ):
            continue  # pydantic also calls a list whose only item failed "too short": noise
        message = _message(detail, path, model, pattern_hints or {})
        if detail["loc"] and detail["loc"][-1] == "[key]" and detail["type"] != "value_error":
            message = f"this name {message}"
        found.append((detail["type"], path, doc.error(path, message)))
    # A misspelt required field is one mistake: "did you mean" says it all, so the
    # "required field is missing" it causes is left out.
    meant = {
        (*path[:-1], guess)
        for kind, path, _ in found
        if kind == "extra_forbidden" and (guess := _suggest_field(path, model)) is not None
    }
    kept = {error for kind, path, error in found if not (kind == "missing" and path in meant)}
    return sorted(kept, key=SourceError.sort_key)


def merge_errors(primary: Iterable[SourceError], secondary: Iterable[SourceError]) -> list[SourceError]:
    """``primary`` plus those of ``secondary`` about other places.

    Our own checks say more than pydantic's generic words; when both found a problem at the
    same line and field, only ours is kept.
    """
    kept = list(primary)
    taken = {(error.line, error.field) for error in kept}
    kept += [error for error in secondary if (error.line, error.field) not in taken]
    return sorted(kept, key=SourceError.sort_key)


def _data_path(data: Any, loc: Sequence[PathPart]) -> FieldPath:
    """Pydantic's error location, minus the steps it invents that are not in the file.

    A discriminated union adds the tag (``jira``), a dict key check adds ``[key]``; we walk
    the data and keep only the steps that exist, plus a final missing or unknown field name.
    """
    path: list[PathPart] = []
    current = data
    for index, part in enumerate(loc):
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            current = current[part]
            path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
        elif index == len(loc) - 1 and isinstance(part, str) and not part.startswith("["):
            path.append(part)  # a missing field: point at its parent's line, name the field
    return tuple(path)


def plain_message(detail: Any) -> str:
    """One pydantic error in plain words, without the value (settings may hold secrets)."""
    return _message({**detail, "input": ""}, (), None, {})


def _message(detail: Any, path: FieldPath, model: type[BaseModel] | None, hints: Mapping[str, str]) -> str:
    kind: str = detail["type"]
    ctx: dict[str, Any] = detail.get("ctx") or {}
    value = detail.get("input")
    got = f" ({_show(value)})" if _is_scalar(value) and value != "" else ""
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field(path, model)
    if kind in ("literal_error", "enum"):
        return f"must be one of: {_choices(ctx.get('expected', ''))}{got}"
    if kind == "union_tag_not_found":
        return "required field is missing"
    if kind == "union_tag_invalid":
        return f"must be one of: {_choices(str(ctx.get('expected_tags', '')))}{got}"
    if kind.startswith("date") and not kind.startswith("datetime"):
        if kind == "date_from_datetime_inexact":
            return f"must be a date without a time, such as 2024-03-26{got}"
        return f"not a valid date{got}; write it as YYYY-MM-DD, e.g. 2024-03-26"
    if kind == "timezone_aware":
        if isinstance(value, date) and not isinstance(value, datetime):
            return f"needs a time and a timezone, not only a date{got}: e.g. 2024-03-12T14:47:00Z"
        return (
            f"needs a timezone{got}: add Z for UTC or an offset, e.g. 2024-03-12T14:47:00Z or 2024-03-12T15:47:00+01:00"
        )
    if kind.startswith("datetime"):
        return f"not a valid date and time{got}; write it like 2024-03-12T14:47:00Z"
    if kind == "string_pattern_mismatch":
        words = hints.get(str(ctx.get("pattern", "")))
        return f"{words}{got}" if words else f"has the wrong format{got}"
    if kind == "string_type" and _is_scalar(value) and value is not None:
        return f'must be text{got}; put it in quotes: "{_plain(value)}"'
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"])).removeprefix("Value error, ")
    if kind == "too_short":
        least = int(ctx.get("min_length", 1))
        return f"needs at least {least} entr{'y' if least == 1 else 'ies'}"
    try:
        return _PLAIN[kind].format(**ctx) + got
    except (KeyError, IndexError):  # a kind we have no words for, or a changed context
        return str(detail["msg"]) + got


_PLAIN = {
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long (at most {max_length} characters)",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "greater_than_equal": "must be {ge} or more",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be {le} or less",
    "too_long": "has too many entries (at most {max_length})",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a mapping of fields (key: value)",
    "model_type": "must be a mapping of fields (key: value)",
    "model_attributes_type": "must be a mapping of fields (key: value)",
}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{clip(value)}"'
    if isinstance(value, date | datetime):
        return value.isoformat()
    if value is None:
        return "it is empty"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | date)


def _choices(expected: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` as ``a, b, c``."""
    parts = re.split(r",| or ", expected)
    return ", ".join(part.strip().strip("'") for part in parts if part.strip())


def _unknown_field(path: FieldPath, model: type[BaseModel] | None) -> str:
    guess = _suggest_field(path, model)
    if guess is not None:
        return f'unknown field (did you mean "{guess}"?)'
    allowed = _fields_at(model, path[:-1]) if model is not None and path else set()
    if allowed:
        return f"unknown field (check the spelling; allowed here: {', '.join(sorted(allowed))})"
    return "unknown field (check the spelling)"


def _suggest_field(path: FieldPath, model: type[BaseModel] | None) -> str | None:
    """The allowed field name closest to the unknown one at the end of ``path``."""
    if model is None or not path or not isinstance(path[-1], str):
        return None
    allowed = sorted(_fields_at(model, path[:-1]))
    close = difflib.get_close_matches(path[-1].lower(), allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _fields_at(model: type[BaseModel], path: FieldPath) -> set[str]:
    """The field names allowed at ``path`` inside ``model`` (all members of a union)."""
    current = _members(model)
    for part in path:
        step: list[Any] = []
        for kind in current:
            origin, args = typing.get_origin(kind), typing.get_args(kind)
            if isinstance(part, int) and origin in (tuple, list, Sequence) and args:
                step += _members(args[0])
            elif isinstance(part, str) and origin in (dict, Mapping) and len(args) == 2:
                step += _members(args[1])
            elif isinstance(part, str) and _is_model(kind) and part in kind.model_fields:
                step += _members(kind.model_fields[part].annotation)
        current = step
    return {name for kind in current if _is_model(kind) for name in kind.model_fields}


def _members(annotation: Any) -> list[Any]:
    """``Annotated[X | Y | None, ...]`` -> ``[X, Y]``: the types a value may have."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [] if annotation is type(None) else [annotation]


def _is_model(kind: Any) -> typing.TypeGuard[type[BaseModel]]:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


__all__ = ["errors_from_validation", "merge_errors"]
