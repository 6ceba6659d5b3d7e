"""Custom fields: the ones a site's admins added, their values' types, and the epic fields.

Ids run ``customfield_10100``, ``customfield_10101``, ... unless given. Names need not be
unique (real sites often have two "Team" fields). A field's ``schema_type`` decides what it
takes on create and edit:

``string``  a string (multi-line ``textarea`` fields: ADF through v3, a string through v2)
``number``  a number
``date``    ``YYYY-MM-DD``
``option``  ``{"value": one of the allowed values}`` or ``{"id": option id}``
``array``   a list: of such options when the field has allowed values, else of strings
``any``     any JSON value (Jira Software's Epic Link takes an epic's key, checked by the store)

Jira Software on Server/Data Center links issues to epics with two of these: "Epic Link"
(:data:`EPIC_LINK_TYPE`) and "Epic Name" (:data:`EPIC_NAME_TYPE`); Cloud uses the system
``parent`` field instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .jira_text import STRING_REQUIRED, render_text, text_error

JsonDict = dict[str, Any]

TEXTFIELD = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME_TYPE = "com.pyxis.greenhopper.jira:gh-epic-label"
SCHEMA_TYPES = ("string", "number", "date", "option", "array", "any")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELD_ID = re.compile(r"^customfield_(\d+)$")


@dataclass(frozen=True)
class FieldOption:
    """One allowed value of a select field."""

    id: str
    value: str


@dataclass
class CustomField:
    """A custom field as ``GET /field`` lists it."""

    id: str
    name: str
    schema_type: str
    custom: str
    items: str | None = None
    options: list[FieldOption] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The numeric part of the id (``customId`` and ``cf[N]``)."""
        return int(self.id.rsplit("_", 1)[1])

    @property
    def multiline(self) -> bool:
        """A rich-text field: ADF through v3, wiki string through v2."""
        return self.custom == TEXTAREA

    @property
    def clause_names(self) -> list[str]:
        """The names JQL knows it by."""
        return [f"cf[{self.number}]", self.name]

    def schema(self) -> JsonDict:
        """Its ``JsonTypeBean``."""
        bean: JsonDict = {"type": self.schema_type, "custom": self.custom, "customId": self.number}
        if self.items:
            bean["items"] = self.items
        return bean

    def find_option(self, ref: object) -> FieldOption | None:
        """The option ``{"id"}`` or ``{"value"}`` names (a bare string is a value)."""
        if isinstance(ref, str):
            ref = {"value": ref}
        if not isinstance(ref, dict):
            return None
        if "id" in ref:
            return next((o for o in self.options if o.id == str(ref["id"])), None)
        if "value" in ref:
            return next((o for o in self.options if o.value == str(ref["value"])), None)
        return None


class CustomFields:
    """A site's custom fields, in the order they were added."""

    def __init__(self) -> None:
        self._fields: dict[str, CustomField] = {}
        self._next_number = 10100
        self._next_option = 10000

    def add(
        self,
        name: str,
        *,
        schema_type: str = "string",
        custom: str = TEXTFIELD,
        allowed_values: Sequence[str] | None = None,
        field_id: str | None = None,
    ) -> CustomField:
        """Add a field; ``ValueError`` for an unknown type, a taken id or a bad option list."""
        if not name.strip():
            raise ValueError("a custom field needs a name")
        if schema_type not in SCHEMA_TYPES:
            raise ValueError(f"unknown schema type {schema_type!r}; use one of {SCHEMA_TYPES}")
        if schema_type == "option" and not allowed_values:
            raise ValueError("an option field needs allowed_values")
        if allowed_values is not None and schema_type not in ("option", "array"):
            raise ValueError("allowed_values only apply to option and array fields")
        values = [str(v) for v in allowed_values or ()]
        if len(set(values)) != len(values):
            raise ValueError(f"allowed values must be unique: {values}")
        if field_id is None:
            while f"customfield_{self._next_number}" in self._fields:
                self._next_number += 1
            field_id = f"customfield_{self._next_number}"
            self._next_number += 1
        elif not _FIELD_ID.match(field_id):
            raise ValueError(f"custom field ids look like customfield_10100, not {field_id!r}")
        if field_id in self._fields:
            raise ValueError(f"field {field_id} already exists")
        options = []
        for value in values:
            options.append(FieldOption(str(self._next_option), value))
            self._next_option += 1
        items = None
        if schema_type == "array":
            items = "option" if allowed_values is not None else "string"
        created = CustomField(field_id, name.strip(), schema_type, custom, items, options)
        self._fields[field_id] = created
        return created

    def get(self, field_id: str) -> CustomField | None:
        """The field with this id."""
        return self._fields.get(field_id)

    def all(self) -> list[CustomField]:
        """Every custom field."""
        return list(self._fields.values())

    def named(self, clause: str) -> list[CustomField]:
        """The fields a JQL clause name means: ``cf[10100]`` or a name (any case, maybe several)."""
        match = re.fullmatch(r"cf\[(\d+)\]", clause.strip(), re.IGNORECASE)
        if match:
            found = self._fields.get(f"customfield_{match.group(1)}")
            return [found] if found else []
        low = clause.strip().lower()
        return [f for f in self._fields.values() if f.name.lower() == low or f.id == low]


def parse_value(cf: CustomField, value: object, rich: bool) -> tuple[Any, str | None]:
    """``(stored value, None)`` for a value this field takes, else ``(None, Jira's message)``.

    ``None`` clears the field. Epic Link values pass through unchecked (the store checks them).
    """
    if value is None:
        return None, None
    kind = cf.schema_type
    if kind == "string":
        problem = text_error(value, rich) if cf.multiline else (None if isinstance(value, str) else STRING_REQUIRED)
        return (None, problem) if problem else (value, None)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "Operation value must be a number"
        return value, None
    if kind == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            return None, f"Error parsing date string: {value}"
        try:
            return date.fromisoformat(value), None
        except ValueError:
            return None, f"Error parsing date string: {value}"
    if kind == "option":
        return _option(cf, value)
    if kind == "array":
        if not isinstance(value, list):
            return None, "data was not an array"
        if cf.items != "option":
            if not all(isinstance(v, str) for v in value):
                return None, STRING_REQUIRED
            return list(dict.fromkeys(value)), None
        chosen: list[FieldOption] = []
        for item in value:
            option, problem = _option(cf, item)
            if problem:
                return None, problem
            if option not in chosen:
                chosen.append(option)
        return chosen, None
    return value, None


def _option(cf: CustomField, ref: object) -> tuple[Any, str | None]:
    found = cf.find_option(ref)
    if found is not None:
        return found, None
    if isinstance(ref, dict) and "id" in ref:
        return None, f"Option id '{ref['id']}' is not valid"
    if isinstance(ref, dict) and "value" in ref:
        return None, f"Option value '{ref['value']}' is not valid"
    if isinstance(ref, str):
        return None, f"Option value '{ref}' is not valid"
    return None, f"Specify a valid 'id' or 'value' for {cf.name}"


def render_value(cf: CustomField, stored: Any, api: str, rich: bool) -> Any:
    """A stored value as the API returns it (options as ``{"self", "value", "id"}``)."""
    if stored is None:
        return None
    if isinstance(stored, FieldOption):
        return _render_option(stored, api)
    if isinstance(stored, list):
        return [_render_option(v, api) if isinstance(v, FieldOption) else v for v in stored]
    if isinstance(stored, date):
        return stored.isoformat()
    if cf.multiline:
        return render_text(stored, rich)
    return stored


def _render_option(option: FieldOption, api: str) -> JsonDict:
    return {"self": f"{api}/customFieldOption/{option.id}", "value": option.value, "id": option.id}


def search_terms(stored: Any) -> set[str]:
    """A stored value as the lower-case strings JQL ``=`` compares against."""
    if stored is None:
        return set()
    items = stored if isinstance(stored, list) else [stored]
    out: set[str] = set()
    for item in items:
        if isinstance(item, FieldOption):
            out |= {item.value.lower(), item.id}
        elif isinstance(item, date):
            out.add(item.isoformat())
        elif isinstance(item, float) and item.is_integer():
            out.add(str(int(item)))
        else:
            out.add(str(item).lower())
    return out
