"""A Jira site's fields (``GET /field``) and the values teams set on them. Pure.

Teams may ask for extra fields on every issue they get (``fields:`` in the teams file),
naming each field by its id (``customfield_10042``) or its name. Names are not unique on
real sites (two apps may each add a "Team" field), so a name that matches more than one
field is refused with the ids to choose from, rather than guessed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

#: Jira Software's epic fields on Server/Data Center (Cloud links children with ``parent``).
EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME_TYPE = "com.pyxis.greenhopper.jira:gh-epic-label"
#: Fields the worker sets itself; a team cannot set them through ``fields:``.
RESERVED = frozenset({"project", "issuetype", "summary", "description", "labels", "priority", "duedate", "parent"})


@dataclass(frozen=True)
class FieldDef:
    """One field as the site lists it."""

    id: str
    name: str
    custom: bool = False
    schema_type: str | None = None
    items: str | None = None
    custom_type: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FieldDef:
        schema = raw.get("schema") or {}
        return cls(
            id=str(raw.get("id", "")),
            name=str(raw.get("name", "")),
            custom=bool(raw.get("custom")),
            schema_type=schema.get("type"),
            items=schema.get("items"),
            custom_type=schema.get("custom"),
        )


class FieldError(ValueError):
    """A field named in the configuration is unknown, ambiguous or given a wrong value."""


def resolve_field(ref: str, fields: Sequence[FieldDef]) -> FieldDef:
    """The field ``ref`` names: an exact id, else a unique name (ignoring case)."""
    for field in fields:
        if field.id == ref:
            return field
    named = [f for f in fields if f.name.casefold() == ref.strip().casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(f"{f.id} ({f.custom_type or f.schema_type or '?'})" for f in named)
        raise FieldError(f'field name "{ref}" is ambiguous on this site: it names {ids}; write the id instead')
    by_folded = {f.name.casefold(): f.name for f in fields}
    close = difflib.get_close_matches(ref.strip().casefold(), sorted(by_folded), n=3, cutoff=0.8)
    names = " or ".join('"' + by_folded[c] + '"' for c in close)
    hint = f" (did you mean {names}?)" if close else ""
    raise FieldError(f'no field called "{ref}" on this site{hint}')


def by_custom_type(fields: Iterable[FieldDef], custom_type: str, what: str) -> FieldDef | None:
    """The one field of a plugin type (e.g. Epic Link); None when the site has none."""
    found = [f for f in fields if f.custom_type == custom_type]
    if len(found) > 1:
        raise FieldError(f"this site has {len(found)} {what} fields ({', '.join(f.id for f in found)})")
    return found[0] if found else None


def field_value(field: FieldDef, value: object) -> object:
    """``value`` shaped the way Jira takes it for ``field``'s type."""
    kind, items = field.schema_type, field.items
    where = f'field "{field.name}" ({field.id})'
    if field.id in RESERVED:
        raise FieldError(f"{where} is set by postmortem-sync itself; remove it from fields:")
    if kind == "option":
        return {"value": _text(value, where)}
    if kind == "array":
        values = value if isinstance(value, list) else [value]
        if items == "option":
            return [{"value": _text(v, where)} for v in values]
        if items in ("string", None):
            return [_text(v, where) for v in values]
        if items == "user":
            return [{"name": _text(v, where)} for v in values]
        raise FieldError(f"{where} holds {items} values, which postmortem-sync cannot set")
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(f"{where} takes a number, not {value!r}")
        return value
    if kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(_text(value, where)).isoformat()
        except ValueError:
            raise FieldError(f"{where} takes a date such as 2024-03-26, not {value!r}") from None
    if kind in ("string", "any", None):
        return _text(value, where)
    raise FieldError(f"{where} is of type {kind}, which postmortem-sync cannot set")


def _text(value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(f"{where} takes text, not {value!r}")
    return str(value)
